"""A button value or form metadata naming another organization's rows reads and changes nothing there."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.importer import import_text
from bot.workspaces import link
from storage.db import transaction
from storage.models import Organization, Priority, Team, Win
from tests.conftest import EXAMPLE
from tests.slack.conftest import ENGINEER, TEAM

SECRET = "Secret priority of Other Corp"


@pytest.fixture
def other_org(everything, org_id, clock):
    """A second organization like the example one, with a priority of its own; returns (org id, team, priority).
    The example organization is the Slack workspace's, as after its first request."""
    text = EXAMPLE.read_text().replace("name: JD Retail\n  timezone", "name: Other Corp\n  timezone", 1)
    with transaction(everything.ctx.sessions) as s:
        link(s, s.get(Organization, org_id), "slack", TEAM)
        other = import_text(s, text, clock.now()).organization_id
        team = s.scalar(select(Team).where(Team.org_id == other, Team.key == "rd-efficiency"))
        row = Priority(org_id=other, team_id=team.id, week="2026-W47", level="P1", text=SECRET,
                       created_at=clock.now())
        s.add(row)
        s.flush()
        return other, team.id, row.id


def _example_org(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(Organization.id).where(Organization.name == "JD Retail"))


def everything_of(sessions, org: int) -> tuple:
    with sessions() as s:
        priorities = s.execute(select(Priority.id, Priority.status, Priority.text).where(Priority.org_id == org)
                               .order_by(Priority.id)).all()
        wins = s.scalar(select(func.count()).select_from(Win).where(Win.org_id == org))
        return tuple(priorities), wins


async def test_buttons_and_forms_naming_another_org_change_nothing_there(everything, other_org):
    other, team_id, priority_id = other_org
    sessions = everything.ctx.sessions
    before = everything_of(sessions, other)
    slack = everything.slack
    status, _ = await slack.click("priority_done", str(priority_id))
    assert status == 200
    await slack.click("priorities_open", str(team_id))
    await slack.click("win_open", f"{team_id}:2026-W47")
    opened_views = everything.slack.fake.bodies("views.open")
    assert len(opened_views) == 2  # the priorities form and the win form opened, for the clicker's own team
    for view in opened_views:
        shown = json.dumps(view)
        assert SECRET not in shown and "Other Corp" not in shown
        opened = json.loads(view["view"]) if isinstance(view["view"], str) else view["view"]
        values = {"text": "a forged win"} if opened["callback_id"] == "win" else {"text:1": "forged priority"}
        status, _ = await slack.submit(opened, values, user=ENGINEER)
        assert status == 200
    forged_metadata = {"m": f"{team_id}:2026-W47", "c": None, "r": None}
    win_view = {"type": "modal", "callback_id": "win", "private_metadata": json.dumps(forged_metadata),
                "blocks": [{"type": "input", "block_id": "text",
                            "element": {"type": "plain_text_input", "action_id": "text"}}]}
    await slack.submit(win_view, {"text": "another forged win"})
    assert everything_of(sessions, other) == before
    assert everything_of(sessions, _example_org(sessions))[1] == 2  # the wins landed at home
    for body in everything.slack.fake.bodies("response_url") + everything.slack.fake.bodies("chat.postMessage"):
        assert SECRET not in json.dumps(body)
