"""Drafting on the dashboard (#12 item 2): a signed-in lead gets `/okr draft`'s own form on a page, the lint's
advice by the fields, nothing kept until it is answered, a double click saved once, the set submitted from the
reply's button; anyone else is refused kindly, as in chat, over the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from storage.models import InboxEntry, Objective, OkrSet, Person, Team
from tests.rituals.test_drafts import CEO, ENGINEER, LEAD, drafted, form_values, ids
from tests.rituals.test_proposals import plan_q1
from tests.sandbox.conftest import link_for, sign_in_as, visible_text


def form_action(html: str) -> str:
    [action] = re.findall(r'<form method="post" action="([^"]*)" class="okr-form"', html)
    return unescape(action)


async def test_a_lead_drafts_on_the_dashboard_with_the_lint_by_the_fields(client, sessions, org_id):
    plan_q1(sessions, org_id)
    [ceo] = ids(sessions, Person, Person.email, CEO)
    await sign_in_as(client, sessions, CEO)
    team_page = visible_text(await (await client.get("/?team=retail")).text())
    assert "Draft this team's OKRs for 2027-Q1" in team_page

    opened = await client.get("/draft?team=retail")
    html = await opened.text()
    assert opened.status == 200 and "Draft an objective · JD Retail" in visible_text(html)
    # The owner is picked by name (a select of people, not a number box of their ids).
    assert re.search(rf'<select id="[^"]+" name="kr1_owner"[^>]*>\s*<option value="{ceo}" selected>Chen Hao', html)
    for field in ("title", "type", "kr1", "kr1_measure", "kr1_start", "kr1_target", "kr1_unit", "kr1_owner"):
        assert f'name="{field}"' in html, field
    action = form_action(html)

    # The lint's advice comes back by its fields, what was typed kept, nothing stored.
    bad = await client.post(action, data=form_values(ceo, "Grow revenue 20%", kr3_target=""))
    html = await bad.text()
    assert bad.status == 422
    assert "reads as a number to hit" in visible_text(html) and "quantifiable" in visible_text(html)
    assert 'value="Grow revenue 20%"' in html and 'value="Active merchants in lower-tier cities"' in html
    assert drafted(sessions, "retail") == []
    wrong = await client.post(action, data=form_values(ceo, kr1_target="lots"))
    assert wrong.status == 422 and "lots" in visible_text(await wrong.text())

    # Saved once, whatever the double click; the reply's buttons work on the page.
    again_action = form_action(await (await client.get("/draft?team=retail")).text())
    saved = await client.post(again_action, data=form_values(ceo))
    text = visible_text(await saved.text())
    assert saved.status == 200 and "Drafted retail-2027-q1-o1 Win the lower-tier cities, with 3 key results." in text
    twice = await client.post(again_action, data=form_values(ceo))
    assert twice.status == 200
    assert drafted(sessions, "retail") == [("Win the lower-tier cities", "draft", 3)]
    submitted = await client.post("/act?back=/%3Fteam%3Dretail",
                                  data={"action_id": "draft_submit", "value": str(ids(sessions, Team, Team.key,
                                                                                      "retail")[0]),
                                        "message_id": ""})
    assert submitted.status == 200
    with sessions() as s:
        assert s.scalar(select(OkrSet.state)) in ("submitted", "approved")


async def test_drafting_for_a_team_you_do_not_lead_is_refused_kindly(client, sessions, org_id):
    plan_q1(sessions, org_id)
    [engineer] = ids(sessions, Person, Person.email, ENGINEER)
    [retail] = ids(sessions, Team, Team.key, "retail")
    await sign_in_as(client, sessions, ENGINEER)
    assert "Draft this team's OKRs" not in visible_text(await (await client.get("/?team=rd-efficiency")).text())
    response = await client.get("/draft?team=rd-efficiency")
    text = visible_text(await response.text())
    assert response.status == 200 and "Only the leads of R&D Efficiency can do that (Zhao Lei)" in text, text
    assert 'class="okr-form"' not in await response.text()
    # A form forged for someone else's team stores nothing and says why.
    forged = await client.post(f"/forms/draft?m={retail}&o=c%7Cdraft+retail&k=abcdefghijkl",
                               data=form_values(engineer))
    assert "Only the leads of JD Retail" in visible_text(await forged.text())
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Objective).where(Objective.status == "draft")) == 0
    assert (await client.post("/forms/nope", data={})).status == 404
    assert (await client.post("/act", data={"action_id": "set_approve", "value": "1"})).status == 404
    # The lead of the team above has not approved yet: the lead hears they wait, in their language.
    await sign_in_as(client, sessions, LEAD)
    waits = visible_text(await (await client.get("/draft?team=rd-efficiency&lang=es")).text())
    assert "Platform Ecology Department" in waits and "2027-Q1" in waits and "Volver" in waits


async def test_the_draft_form_needs_a_person_and_a_real_page(client, public, sessions, org_id):
    plan_q1(sessions, org_id)
    response = await client.get("/draft?team=retail")  # local, nobody picked
    assert response.status == 401 and "needs to know who you are" in visible_text(await response.text())
    ctx, server = public
    assert (await server.get("/draft?team=retail")).status == 401
    signed = await server.get(link_for(ctx, org_id, CEO), allow_redirects=False)
    cookies = {"okrbot_session": signed.cookies["okrbot_session"].value}
    html = await (await server.get("/draft?team=retail", cookies=cookies)).text()
    action = form_action(html)
    [ceo] = ids(sessions, Person, Person.email, CEO)
    forged = await server.post(action, data=form_values(ceo), cookies=cookies,
                               headers={"Origin": "https://evil.example"})
    assert forged.status == 403 and drafted(sessions, "retail") == []
    saved = await server.post(action, data=form_values(ceo), cookies=cookies)
    assert saved.status == 200 and drafted(sessions, "retail") == [("Win the lower-tier cities", "draft", 3)]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboxEntry).where(InboxEntry.key.like("web:form:%"))) == 1
