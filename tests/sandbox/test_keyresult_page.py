"""The key result's page (/kr/CODE) over real HTTP: what it shows, to whom, and that key-result lines link to it."""

from __future__ import annotations

import re

from bot.importer import import_text
from bot.model import Interaction
from storage.db import transaction
from tests.conftest import EXAMPLE
from tests.sandbox.conftest import KEY, link_for, make_client, sign_in_as, visible_text  # noqa: F401


def _say(ctx, org_id: int, email: str, text: str):
    return ctx.core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor=email, actor_email=email,
                                       kind="command", text=text))


async def test_page_shows_owner_alignment_chart_and_every_checkin_with_its_note(app, org_id, clock):
    ctx, client = app
    _say(ctx, org_id, "director.rd@example.com", "confidence rd-o1-kr1 4 two coaches left <b>us</b>")
    clock.advance(days=2)
    _say(ctx, org_id, "director.rd@example.com", "progress rd-o1-kr1 74 new coach started")
    response = await client.get(f"/kr/rd-o1-kr1?org={org_id}")
    html = await response.text()
    assert response.status == 200
    text = visible_text(html)
    assert "Agile maturity score" in text and "Owner Zhao Lei" in text and "Progress 74 / 85 points" in text
    assert "It supports" in text and "ecology-o7" in text and "retail-o3" in text  # the chain up the tree
    assert "Check-ins (3, newest first, times in Asia/Shanghai)" in text
    assert text.index("new coach started") < text.index("two coaches left <b>us</b>")  # newest first, as text
    assert "<b>us</b>" not in html
    assert "sandbox" in text and "import" in text  # where each check-in came from
    assert '<svg class="cycle"' in html and "Confidence at each check-in, oldest first: 5, 4, 4" in html
    assert "since last week" not in text  # the import's 5 is this week's too: nothing before it to compare with
    # Individual objectives aligned to it are the owner's and their manager's business only.
    assert "liu-o1" not in text


async def test_individual_key_results_only_for_owner_and_manager(app, org_id, sessions):
    _ctx, client = app
    assert (await client.get("/kr/liu-o1-kr1")).status == 404
    response = await client.get("/kr/no-such-kr")
    assert response.status == 404 and "no key result with the code no-such-kr" in visible_text(await response.text())
    await sign_in_as(client, sessions, "engineer@example.com")
    assert (await client.get("/kr/liu-o1-kr1")).status == 404
    await sign_in_as(client, sessions, "director.rd@example.com")  # Liu's manager
    assert (await client.get("/kr/LIU-O1-KR1")).status == 200
    text = visible_text(await (await client.get("/kr/rd-o1-kr1")).text())
    assert "liu-o1" in text and "liu-o1-kr1" in text  # aligned to it, with its key results


async def test_public_server_needs_a_session_and_shows_its_own_organization_only(public, org_id, sessions, clock):
    ctx, client = public
    response = await client.get("/kr/rd-o1-kr1")
    assert response.status == 401 and "/okr dashboard" in visible_text(await response.text())
    with transaction(sessions) as s:
        text = EXAMPLE.read_text().replace("name: JD Retail\n  timezone", "name: Other Corp\n  timezone", 1)
        other = import_text(s, text.replace("rd-o1-kr1", "other-kr1"), clock.now())
    signed_in = await client.get(link_for(ctx, org_id), allow_redirects=False)
    cookies = {"okrbot_session": signed_in.cookies["okrbot_session"].value}
    own = await client.get(f"/kr/rd-o1-kr1?org={other.organization_id}", cookies=cookies)
    assert own.status == 200 and "JD Retail" in visible_text(await own.text())  # the session's org, not the hint
    assert (await client.get(f"/kr/other-kr1?org={other.organization_id}", cookies=cookies)).status == 404


async def test_every_key_result_line_links_to_its_page(app, org_id, sessions):
    ctx, client = app
    for path, code in (("/", "retail-o3-kr1"), ("/?team=rd-efficiency", "rd-o1-kr1")):
        html = await (await client.get(path)).text()
        assert html.count(f'href="/kr/{code}?org={org_id}"') == (2 if path == "/" else 4), path  # tree (+ four-square)
    reply = _say(ctx, org_id, "engineer@example.com", "okrs rd-efficiency")
    urls = [getattr(e, "url", None) for e in reply.card.elements if hasattr(e, "code")]
    assert urls and all(re.fullmatch(r"http://127\.0\.0\.1:3000/kr/[\w-]+\?org=\d+", u or "") for u in urls)
    for text in ("mine", "confidence rd-o1-kr3 6"):
        lines = [e for e in _say(ctx, org_id, "engineer@example.com", text).card.elements if hasattr(e, "code")]
        assert lines and all(line.url.endswith(f"/kr/{line.code}?org={org_id}") for line in lines), text
    # The sandbox draws a reply's key-result lines as links.
    await sign_in_as(client, sessions, "engineer@example.com")
    html = await (await client.post("/sandbox/c/rd-efficiency/messages", data={"text": "/okr okrs"})).text()
    assert re.search(r'<a class="code" href="http://127\.0\.0\.1:3000/kr/rd-o1-kr3\?org=\d+">rd-o1-kr3</a>', html)


async def test_a_removed_key_result_says_when_and_why_and_keeps_its_history(app, org_id, clock):
    ctx, client = app
    _say(ctx, org_id, "engineer@example.com", "progress rd-o1-kr4 52 contract tests for the vendor API")
    _say(ctx, org_id, "director.rd@example.com", "change rd-o1-kr4 remove because the vendor dropped the product")
    text = visible_text(await (await client.get(f"/kr/rd-o1-kr4?org={org_id}")).text())
    assert "Removed on" in text and "because the vendor dropped the product" in text, text
    assert "contract tests for the vendor API" in text  # its history stays
    assert "Changed after it was set" in text and "removed (Automated test coverage of key interfaces)" in text
    live = visible_text(await (await client.get(f"/kr/rd-o1-kr3?org={org_id}")).text())
    assert "Removed on" not in live
