"""From adding okrbot to a team to the first Monday post, through Teams activities only (issue #18).

okrbot is added to a team (conversationUpdate, membersAdded with the bot) by its installer, on an empty
database; the welcome goes to the installer in a direct message, the team's channel gets a short hello.
The installer sets up the organization in a dialog, two teams from
two channels (`@okrbot team add` in each: the form in the chat, the members from the team's roster), one
objective with three key results, and the clock posts each team's first Monday four-square in its channel
at 09:00 in the team's zone. A second test follows the team's members added and removed.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.teams import references
from bot.exporter import export_yaml
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Organization, Person, Team, TeamMember
from tests.teams.conftest import BOT, TENANT, start_harness

TEAM = "19:acme-general@thread.tacv2"
DESIGN = "19:design@thread.tacv2"
SALES = "19:sales@thread.tacv2"
CAST = {"boss": ("boss@acme.example", "Ada Boss"), "ana": ("ana@acme.example", "Ana Design"),
        "cy": ("cy@acme.example", "Cy Sales"), "eve": ("eve@acme.example", "Eve Late")}
PARIS_MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NEW_YORK_MONDAY_0900 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
ids = itertools.count(1)


def activity(connector, who: str = "boss", channel: str | None = TEAM, **fields: Any) -> dict[str, Any]:
    """An activity from `who` in a channel of the Acme team (or, with channel None, their personal chat)."""
    data: dict[str, Any] = {"tenant": {"id": TENANT}}
    if channel:
        conversation = {"id": channel, "conversationType": "channel", "isGroup": True, "tenantId": TENANT}
        data.update(team={"id": TEAM, "name": "Acme"}, channel={"id": channel})
    else:
        conversation = {"id": f"a:personal-{who}", "conversationType": "personal", "tenantId": TENANT}
    return {"type": "message", "id": f"2{next(ids):012d}", "channelId": "msteams", "serviceUrl": connector.url,
            "from": {"id": f"29:{who}", "name": CAST[who][1], "aadObjectId": f"aad-{who}"}, "recipient": BOT,
            "conversation": conversation, "channelData": data, "locale": "en-US",
            "localTimezone": "Europe/Paris", **fields}


def members_event(connector, added: list[str] | None = None, removed: list[str] | None = None,
                  who: str = "boss") -> dict[str, Any]:
    def accounts(names):
        return [BOT if n == "bot" else {"id": f"29:{n}", "aadObjectId": f"aad-{n}"} for n in names or []]

    event = activity(connector, who, TEAM, type="conversationUpdate")
    event["channelData"]["eventType"] = "teamMemberAdded" if added else "teamMemberRemoved"
    if added:
        event["membersAdded"] = accounts(added)
    if removed:
        event["membersRemoved"] = accounts(removed)
    return event


@pytest.fixture
async def acme(database_url, clock, bot_connector, monkeypatch):
    """okrbot serving Teams on an empty database; the Acme team has a General, a design and a sales channel."""
    harness, client = await start_harness(database_url, clock, bot_connector, monkeypatch)
    bot_connector.members.clear()
    for who in ("boss", "ana", "cy"):
        bot_connector.add_member(f"29:{who}", f"aad-{who}", *CAST[who])
    bot_connector.team_channels[TEAM] = [{"id": TEAM}, {"id": DESIGN, "name": "design"},
                                         {"id": SALES, "name": "sales"}]
    yield harness
    await client.close()
    harness.ctx.engine.dispose()


def _inputs(card: dict) -> dict[str, dict]:
    return {item["id"]: item for item in card["body"] if item["type"].startswith("Input.")}


def _submit_data(card: dict) -> dict:
    return next(a for a in card["actions"] if a["type"] == "Action.Submit")["data"]


async def dialog(teams, action: str, value: str = "", who: str = "boss") -> dict:
    """Click a button of okrbot's (a task/fetch): the form in the dialog."""
    event = activity(teams.connector, who, TEAM, type="invoke", name="task/fetch",
                     value={"type": "task/fetch", "data": {"okrbot": {"action": action, "value": value}}})
    response = await teams.post(event)
    assert response.status == 200
    body = await response.json()
    return body["task"]["value"]["card"]["content"]


async def submit(teams, card: dict, values: dict[str, str], who: str = "boss") -> dict:
    """Submit a dialog's form with these values (the others as drawn): the dialog's next card."""
    drawn = {name: item.get("value") for name, item in _inputs(card).items() if item.get("value") is not None}
    data = {**_submit_data(card), **drawn, **values}
    event = activity(teams.connector, who, TEAM, type="invoke", name="task/submit",
                     value={"type": "task/submit", "data": data})
    response = await teams.post(event)
    assert response.status == 200
    body = await response.json()
    return body["task"]["value"]["card"]["content"] if body and body.get("task") else {}


def text(card: dict) -> str:
    return str(card)


def members(sessions, team: str) -> dict[str, str]:
    with sessions() as s:
        return dict(s.execute(select(Person.email, TeamMember.role).join(TeamMember, TeamMember.person_id == Person.id)
                              .join(Team, Team.id == TeamMember.team_id).where(Team.name == team)).all())


async def team_from_channel(teams, channel: str, values: dict[str, str]) -> str:
    """`@okrbot team add` in the channel: the form in the chat, submitted in place; what okrbot answered."""
    said = activity(teams.connector, "boss", channel, text="<at>okrbot</at> team add",
                    entities=[{"type": "mention", "text": "<at>okrbot</at>", "mentioned": BOT}])
    assert (await teams.post(said)).status in (200, 201)
    form_message = [c for c in teams.connector.calls if c.kind in ("send", "reply")][-1]
    card = form_message.card
    assert _inputs(card)["channel"]["type"] == "Input.ChoiceSet"  # the team's channels to choose from
    assert _inputs(card)["channel"]["value"] == channel
    drawn = {name: item.get("value") for name, item in _inputs(card).items() if item.get("value") is not None}
    await teams.post(activity(teams.connector, "boss", channel, value={**_submit_data(card), **drawn, **values},
                              replyToId="1700000000001"))
    return str(teams.connector.of("update")[-1].body)


async def install_and_set_up(teams, sessions) -> None:
    connector = teams.connector
    response = await teams.post(members_event(connector, added=["bot"]))
    assert response.status in (200, 201)
    # The installer gets the set-up in a direct message okrbot opens; the team's channel a short hello.
    opened = [c for c in connector.of("create") if not c.body.get("isGroup")]
    assert [m["id"] for c in opened for m in c.body["members"]] == ["29:boss"], [c.body for c in connector.calls]
    welcome = [c for c in connector.calls if c.kind == "send" and "Set up your organization" in c.text]
    assert [c.conversation for c in welcome] == [opened[0].conversation]
    hello = [c for c in connector.calls if c.kind in ("send", "reply") and c.conversation == TEAM]
    assert len(hello) == 1 and "Ada Boss is setting it up" in hello[0].text
    assert "Set up your organization" not in hello[0].text
    stored = references.load(sessions, TENANT, "person", "aad-boss")  # later direct messages go there too
    assert stored["conversation"]["id"] == opened[0].conversation

    card = await dialog(teams, "setup_org")
    assert _inputs(card)["timezone"]["value"] == "Europe/Paris"  # the installer's own zone, from Teams
    assert "Acme" in text(await submit(teams, card, {"name": "Acme", "lead": "boss@acme.example"}))

    said = await team_from_channel(teams, DESIGN, {"lead": "ana@acme.example"})
    assert "design" in said and "Ana Design" in said
    said = await team_from_channel(teams, SALES, {"lead": "cy@acme.example", "timezone": "America/New_York",
                                                  "follow": "no"})
    assert "sales" in said

    with sessions() as s:
        design = s.scalar(select(Team).where(Team.name == "design"))
    card = await dialog(teams, "setup_objective", str(design.id))
    assert {"kr1_measure", "kr1_owner", "type"} <= set(_inputs(card))  # the quarter's drafting form
    done = await submit(teams, card, {"title": "Make design the reason people choose us",
                                      "kr1": "Design reviews per week from 1 to 4", "kr2": "NPS from 30 to 45",
                                      "kr3": "Ship the new design system", "kr3_measure": "milestone"})
    assert "design-2026-q4-o1" in text(done) and "active in 2026-Q4" in text(done)


async def test_from_adding_okrbot_to_the_first_monday_post_through_teams_only(acme, sessions, clock):
    await install_and_set_up(acme, sessions)
    with sessions() as s:
        org = s.scalar(select(Organization))
        assert (org.name, org.timezone) == ("Acme", "Europe/Paris")
        assert len(s.scalars(select(KeyResult)).all()) == 3
    roster = {"boss@acme.example", "ana@acme.example", "cy@acme.example"}  # a channel's members: its team's
    assert set(members(sessions, "design")) == roster and members(sessions, "design")["ana@acme.example"] == "lead"
    assert set(members(sessions, "sales")) == roster and members(sessions, "sales")["cy@acme.example"] == "lead"

    connector = acme.connector
    before = len(connector.of("create"))
    clock.set(PARIS_MONDAY_0900)
    await sweep(acme.ctx, clock.now())
    posts = connector.of("create")[before:]
    assert [c.body["channelData"]["channel"]["id"] for c in posts] == [DESIGN]
    assert "Ship the new design system" in posts[0].text
    clock.set(NEW_YORK_MONDAY_0900)
    await sweep(acme.ctx, clock.now())
    posts = connector.of("create")[before:]
    assert [c.body["channelData"]["channel"]["id"] for c in posts] == [DESIGN, SALES]

    with transaction(sessions) as s:
        exported = export_yaml(s, s.scalar(select(Organization)))
    assert f"teams: '{DESIGN}'" in exported and "follow_channel: true" in exported


async def test_team_members_added_and_removed_are_followed_by_teams_that_want_it(acme, sessions):
    await install_and_set_up(acme, sessions)
    acme.connector.add_member("29:eve", "aad-eve", *CAST["eve"])
    assert (await acme.post(members_event(acme.connector, added=["eve"]))).status in (200, 201)
    assert members(sessions, "design")["eve@acme.example"] == "member"
    assert "eve@acme.example" not in members(sessions, "sales")  # sales stays as set

    await acme.post(members_event(acme.connector, removed=["eve", "ana"]))
    design = members(sessions, "design")
    assert "eve@acme.example" not in design and design["ana@acme.example"] == "lead"  # a lead stays


async def test_a_welcome_teams_will_not_deliver_in_a_direct_message_stays_in_the_channel(acme):
    acme.connector.fail_always("create", 403, retry_after=None)
    assert (await acme.post(members_event(acme.connector, added=["bot"]))).status in (200, 201)
    in_channel = [c for c in acme.connector.of("send") if c.conversation == TEAM]
    assert len(in_channel) == 1 and "Set up your organization" in in_channel[0].text


async def test_bad_input_is_answered_kindly_in_teams_and_nothing_is_half_written(acme, sessions):
    """A channel okrbot is not in, a person Teams does not know, a second company team, a circle in the tree."""
    teams = acme
    assert (await teams.post(members_event(teams.connector, added=["bot"]))).status in (200, 201)
    card = await dialog(teams, "setup_org")
    said = text(await submit(teams, card, {"name": "Acme", "lead": "nobody@acme.example"}))
    assert "Nobody in this workspace has the email" in said
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 0  # nothing half-written
    assert "Acme" in text(await submit(teams, card, {"name": "Acme", "lead": "boss@acme.example"}))

    card = await dialog(teams, "setup_team")
    said = text(await submit(teams, card, {"channel": "19:elsewhere@thread.tacv2", "lead": "ana@acme.example"}))
    assert "okrbot is not in that channel yet" in said and "add okrbot to the team" in said
    said = text(await submit(teams, card, {"channel": DESIGN, "lead": "ana@acme.example", "level": "company"}))
    assert "There is a company team already" in said
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 1

    assert "Ana Design" in text(await submit(teams, card, {"channel": DESIGN, "lead": "ana@acme.example"}))
    card = await dialog(teams, "setup_team")  # a sent form is done: the next team is a new one
    assert "Cy Sales" in text(await submit(teams, card, {"channel": SALES, "lead": "cy@acme.example"}))
    with sessions() as s:
        design, sales = (s.scalar(select(Team).where(Team.name == n)) for n in ("design", "sales"))
    card = await dialog(teams, "setup_team")  # its parents now list the new teams
    await submit(teams, card, {"channel": SALES, "lead": "cy@acme.example", "parent": str(design.id)})
    card = await dialog(teams, "setup_team")
    said = text(await submit(teams, card, {"channel": DESIGN, "lead": "ana@acme.example", "parent": str(sales.id)}))
    assert "go round in a circle" in said
    with sessions() as s:
        assert s.get(Team, design.id).parent_id != sales.id
