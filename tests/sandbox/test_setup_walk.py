"""The sandbox walks the same set-up as Slack and Teams, on an empty organization (issue #18).

"Start an empty organization" makes you its installer; the welcome waits in your direct messages, and
each step is the same form, answered by the same core: the organization, a team from a (pretend)
channel, a first objective with three key results, the rituals with the Monday post's preview.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storage.models import KeyResult, Organization, Team
from tests.sandbox.conftest import make_client, visible_text


@pytest.fixture
async def sandbox(database_url, clock, org_id):
    """A local sandbox, the example organization loaded (a new one starts empty beside it)."""
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    yield client
    await client.close()
    ctx.engine.dispose()


async def click(client, page: str, action: str, value: str = "") -> str:
    """Press the button `action` on `page` (the dm channel): the page with the form it opened."""
    message = re.search(r'name="action_id" value="' + re.escape(action)
                        + r'"(?:(?!</form>).)*?name="message_id" value="(\d+)"', page, re.S)
    assert message, f"no {action} button on the page"
    response = await client.post("/sandbox/c/dm/actions", data={"message_id": message.group(1), "action_id": action,
                                                                 "value": value}, allow_redirects=False)
    assert response.status == 303
    return response.headers["Location"]


async def fill(client, location: str, values: dict[str, str]) -> tuple[int, str]:
    """Open the form at `location` and send it with these values (the others as drawn)."""
    form_id = re.search(r"form=(\d+)", location).group(1)
    page = await (await client.get(location)).text()
    drawn = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(r'<option value="([^"]*)"',
                                                                                         options)
        drawn[name] = chosen.group(1) if chosen else ""  # what a browser sends for a select
    response = await client.post(f"/sandbox/forms/{form_id}", data={**drawn, **values})
    return response.status, await response.text()


@pytest.fixture
async def empty_sandbox(database_url, clock):
    """A local sandbox on an empty database: no organization at all, `okrbot demo-data` never run."""
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    yield client
    await client.close()
    ctx.engine.dispose()


async def test_an_empty_database_walks_the_same_set_up_in_the_sandbox(empty_sandbox, sessions):
    page = await (await empty_sandbox.get("/sandbox")).text()
    shown = visible_text(page)
    assert "Start an empty organization" in shown and "Set up your organization" in shown  # the walk leads
    assert "Load the example" not in shown  # `okrbot demo-data` stays the full demo, not the way to start
    response = await empty_sandbox.post("/sandbox/new", data={"email": "ada.boss@acme.example"})
    page = await response.text()
    assert response.status == 200 and "Set up your organization" in visible_text(page)
    status, page = await fill(empty_sandbox, await click(empty_sandbox, page, "setup_org"),
                              {"name": "Acme", "timezone": "Europe/Paris", "lead": "ada.boss@acme.example"})
    assert status == 200 and "Acme" in visible_text(page)
    status, page = await fill(empty_sandbox, await click(empty_sandbox, page, "setup_team"),
                              {"channel": "design", "lead": "ana@acme.example"})
    assert status == 200 and "Team design" in visible_text(page), visible_text(page)[-600:]
    with sessions() as s:
        design = s.scalar(select(Team).where(Team.key == "design"))
        assert s.scalar(select(func.count()).select_from(Organization)) == 1
    status, page = await fill(empty_sandbox, await click(empty_sandbox, page, "setup_objective", str(design.id)), {
        "title": "Be loved", "kr1": "NPS from 30 to 45", "kr2": "Reviews from 1 to 4",
        "kr3": "Ship the design system", "kr3_measure": "milestone"})
    assert status == 200 and "design-2026-q4-o1" in visible_text(page)
    status, page = await fill(empty_sandbox, await click(empty_sandbox, page, "setup_rituals", str(design.id)), {})
    assert status == 200 and "Preview" in visible_text(page)


async def test_an_empty_organization_is_set_up_step_by_step_in_the_sandbox(sandbox, sessions, org_id):
    page = await (await sandbox.get("/sandbox")).text()
    assert "Start an empty organization" in page
    response = await sandbox.post("/sandbox/new", data={"email": "ada.boss@acme.example"})
    page = await response.text()
    assert response.status == 200 and "Set up your organization" in visible_text(page)

    status, page = await fill(sandbox, await click(sandbox, page, "setup_org"), {"name": "Acme", "timezone": "Mars"})
    assert status == 422 and "time zone" in visible_text(page)  # by its field; nothing saved
    status, page = await fill(sandbox, await click(sandbox, page, "setup_org"),
                              {"name": "Acme", "timezone": "Europe/Paris", "lead": "ada.boss@acme.example"})
    assert status == 200 and "Acme" in visible_text(page)

    status, page = await fill(sandbox, await click(sandbox, page, "setup_team"),
                              {"channel": "design", "lead": "ana@acme.example"})
    assert status == 200 and "Team design" in visible_text(page), visible_text(page)[-600:]
    with sessions() as s:
        design = s.scalar(select(Team).where(Team.key == "design", Team.org_id != org_id))
        assert design is not None and design.parent_id is not None

    status, page = await fill(sandbox, await click(sandbox, page, "setup_objective", str(design.id)), {
        "title": "Be loved", "kr1": "NPS from 30 to 45", "kr2": "Reviews from 1 to 4",
        "kr3": "Ship the design system", "kr3_measure": "milestone"})
    assert status == 200 and "design-2026-q4-o1" in visible_text(page)
    status, page = await fill(sandbox, await click(sandbox, page, "setup_rituals", str(design.id)), {})
    assert status == 200 and "Preview" in visible_text(page)
    with sessions() as s:
        assert s.scalar(select(Organization.name).where(Organization.name == "Acme")) == "Acme"
        acme = s.scalar(select(Organization.id).where(Organization.name == "Acme"))
        assert s.scalar(select(func.count()).select_from(KeyResult).where(KeyResult.org_id == acme)) == 3
    page = await (await sandbox.get("/sandbox/c/design")).text()  # the team's channel is there
    assert "design" in visible_text(page)


async def test_bad_input_is_answered_kindly_in_the_sandbox_and_nothing_is_half_written(empty_sandbox, sessions):
    """The sandbox's pretend workspace has every email and every channel, so what can go wrong there: a
    channel name with nothing in it, an address without @, a second company team, a circle in the tree."""
    client = empty_sandbox
    page = await (await client.post("/sandbox/new", data={"email": "ada.boss@acme.example"})).text()
    status, page = await fill(client, await click(client, page, "setup_org"), {"name": "Acme", "lead": "ada.boss"})
    assert status == 422 and "email" in visible_text(page)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 0  # nothing half-written
    status, page = await fill(client, await click(client, page, "setup_org"),
                              {"name": "Acme", "timezone": "Europe/Paris", "lead": "ada.boss@acme.example"})
    assert status == 200

    status, page = await fill(client, await click(client, page, "setup_team"), {"channel": "###", "lead": "a@b.c"})
    assert status == 422 and "okrbot is not in that channel yet" in visible_text(page)
    status, page = await fill(client, await click(client, page, "setup_team"),
                              {"channel": "design", "lead": "ana@acme.example", "level": "company"})
    assert status == 422 and "There is a company team already" in visible_text(page)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 1
    for channel in ("design", "sales"):
        status, page = await fill(client, await click(client, page, "setup_team"),
                                  {"channel": channel, "lead": "ana@acme.example"})
        assert status == 200
    with sessions() as s:
        design, sales = (s.scalar(select(Team).where(Team.key == key)) for key in ("design", "sales"))
    status, page = await fill(client, await click(client, page, "setup_team"),
                              {"channel": "sales", "lead": "ana@acme.example", "parent": str(design.id)})
    assert status == 200
    status, page = await fill(client, await click(client, page, "setup_team"),
                              {"channel": "design", "lead": "ana@acme.example", "parent": str(sales.id)})
    assert status == 422 and "go round in a circle" in visible_text(page)
    with sessions() as s:
        assert s.get(Team, design.id).parent_id != sales.id
