"""Multi-workspace OAuth: install two workspaces; each is its own organization and sees only its own data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from adapters.slack.routes import BRIDGE
from bot.importer import import_text
from bot.workspaces import link
from storage.db import transaction
from storage.models import ChannelBinding, CheckIn, KeyResult, Organization, Priority, Team, Win
from tests.conftest import EXAMPLE
from tests.slack.conftest import ENGINEER, RD_CHANNEL, SlackSender, slack_settings, start_app

ONE, TWO = "T0ONE", "T0TWO"
SECRET_WIN = "ORG1 SECRET WIN"
SECRET_PRIORITY = "ORG1 SECRET PRIORITY"


@pytest.fixture
async def oauth_app(database_url, org_id, clock, fake_slack):
    settings = slack_settings(database_url, fake_slack, slack_bot_token=None, slack_client_id="111.222",
                              slack_client_secret="client-secret")
    ctx, app, client = await start_app(settings, clock)
    yield ctx, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


async def install(slack: SlackSender, team: str, token: str) -> None:
    slack.fake.installs[team] = {"access_token": token, "scope": "commands,chat:write"}
    page = await slack.client.get("/slack/install")
    assert page.status == 200
    state = re.search(r"state=([\w-]+)", await page.text()).group(1)
    done = await slack.client.get(f"/slack/oauth_redirect?code={team}&state={state}",
                                  headers={"Cookie": f"slack-app-oauth-state={state}"})
    assert done.status == 200, await done.text()


async def test_install_stores_each_workspace_and_uses_its_own_token(oauth_app, fake_slack, sessions):
    ctx, slack = oauth_app
    await install(slack, ONE, "xoxb-one")
    await install(slack, TWO, "xoxb-two")
    with sessions() as s:
        rows = s.execute(text("SELECT team_id, bot_token FROM slack_bots ORDER BY team_id")).all()
    assert [tuple(r) for r in rows] == [(ONE, "xoxb-one"), (TWO, "xoxb-two")]
    assert [c.body["code"] for c in fake_slack.calls_to("oauth.v2.access")] == [ONE, TWO]

    fake_slack.add_user("U0X", "x@two.example", team_id=TWO)
    await slack.command("help", user="U0X", team=TWO)
    assert fake_slack.calls_to("users.info")[-1].token == "xoxb-two"

    from bot.model import Card, Conversation, Text

    await ctx.messengers["slack"].post(Conversation("slack", ONE, "C1"), Card(None, (Text("hi"),)))
    await ctx.messengers["slack"].post(Conversation("slack", TWO, "C2"), Card(None, (Text("hi"),)))
    assert [c.token for c in fake_slack.calls_to("chat.postMessage")] == ["xoxb-one", "xoxb-two"]


async def test_an_uninstall_forgets_that_workspaces_tokens_only(oauth_app, sessions):
    _ctx, slack = oauth_app
    await install(slack, ONE, "xoxb-one")
    await install(slack, TWO, "xoxb-two")
    status, _ = await slack.event({"type": "app_uninstalled", "event_ts": "1700000000.1"}, team=ONE)
    assert status == 200
    with sessions() as s:
        assert s.execute(text("SELECT team_id FROM slack_bots")).scalars().all() == [TWO]
        assert s.execute(text("SELECT DISTINCT team_id FROM slack_installations")).scalars().all() == [TWO]


async def test_a_request_from_a_workspace_that_never_installed_changes_nothing(oauth_app, sessions):
    _ctx, slack = oauth_app
    status, _ = await slack.command("confidence 1 9", team="T0NEVER")
    assert status == 200  # bolt tells the person to install the app
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "slack")) == 0


@pytest.fixture
async def two_orgs(oauth_app, sessions, clock, org_id):
    """Workspace ONE is the example organization, TWO a second copy of it with the same people and keys."""
    _ctx, slack = oauth_app
    await install(slack, ONE, "xoxb-one")
    await install(slack, TWO, "xoxb-two")
    with transaction(sessions) as s:
        other = import_text(s, EXAMPLE.read_text().replace("name: JD Retail\n", "name: Other Corp\n", 1),
                            clock.now()).organization_id
        link(s, s.get(Organization, org_id), "slack", ONE)
        link(s, s.get(Organization, other), "slack", TWO)
    status, body = await slack.command(f"win {SECRET_WIN}", team=ONE)
    assert status == 200 and body["response_type"] == "in_channel"
    await slack.command(f"priority add P1 {SECRET_PRIORITY}", team=ONE)
    return org_id, other, slack


def _state(sessions, org: int) -> tuple:
    with sessions() as s:
        return (
            tuple(s.scalars(select(KeyResult.confidence).where(KeyResult.org_id == org).order_by(KeyResult.id))),
            tuple(s.scalars(select(Priority.status).where(Priority.org_id == org).order_by(Priority.id))),
            s.scalar(select(func.count()).select_from(Win).where(Win.org_id == org)),
            s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.org_id == org)),
            s.scalar(select(func.count()).select_from(ChannelBinding).where(ChannelBinding.org_id == org)),
        )


async def test_one_workspace_can_neither_read_nor_change_anothers_data(two_orgs, sessions, fake_slack):
    one, two, slack = two_orgs
    before = _state(sessions, one)
    with sessions() as s:
        priority_one = s.scalar(select(Priority.id).where(Priority.org_id == one))
        team_one = s.scalar(select(Team.id).where(Team.org_id == one, Team.key == "rd-efficiency"))
        kr_one = s.scalar(select(KeyResult.id).where(KeyResult.org_id == one, KeyResult.key == "rd-o1-kr3"))
        kr_two = s.scalar(select(KeyResult.id).where(KeyResult.org_id == two, KeyResult.key == "rd-o1-kr3"))

    answers = []
    for command in ("mine", "okrs", "okrs rd-efficiency", "report", "report rd-efficiency", "wins", "priorities",
                    "confidence rd-o1-kr3 2 from two", "progress rd-o1-kr3 30", "priority done 1",
                    "health On-call load red", "plan Something", "bind rd-efficiency", "align", "lint"):
        status, body = await slack.command(command, team=TWO)
        assert status == 200, command
        answers.append(str(body))
    status, _ = await slack.click("priority_done", str(priority_one), team=TWO)
    assert status == 200
    status, _ = await slack.click("priorities_open", str(team_one), team=TWO)
    for view in [c.body["view"] for c in fake_slack.calls_to("views.open")]:
        answers.append(str(view))
        if view["callback_id"] == "priorities":
            view = {**view, "private_metadata": view["private_metadata"].replace(f'"m":"{team_one}"', '"m":"x"')}
            await slack.submit(view, {"level:1": "P2", "text:1": "from two"}, team=TWO)
    forged = {"type": "modal", "callback_id": "checkin", "private_metadata": "",
              "blocks": [{"type": "input", "block_id": f"confidence:{kr_one}",
                          "element": {"type": "static_select", "action_id": "x",
                                      "options": [{"text": {"type": "plain_text", "text": "1"}, "value": "1"}]}}]}
    await slack.submit(forged, {f"confidence:{kr_one}": "1"}, team=TWO)
    answers.extend(str(c.body) for c in fake_slack.calls_to("response_url"))

    assert _state(sessions, one) == before  # nothing of ONE changed
    everything = "\n".join(answers)
    assert SECRET_WIN not in everything and SECRET_PRIORITY not in everything  # nothing of ONE was shown
    with sessions() as s:
        assert s.get(KeyResult, kr_two).confidence == 2  # TWO's own key result did change
        bound = s.scalars(select(Team.org_id).join(ChannelBinding, ChannelBinding.team_id == Team.id)
                          .where(ChannelBinding.org_id == two, ChannelBinding.channel_id == RD_CHANNEL)).all()
        assert bound == [two]  # TWO's bind stayed inside TWO


async def test_same_user_id_in_another_workspace_is_a_different_person(two_orgs, sessions):
    one, two, slack = two_orgs
    status, body = await slack.command("confidence rd-o1-kr3 9", user=ENGINEER, team=TWO)
    assert status == 200
    with sessions() as s:
        confidences = dict(s.execute(select(KeyResult.org_id, KeyResult.confidence)
                                     .where(KeyResult.key == "rd-o1-kr3")).all())
    assert confidences == {one: 5, two: 9}
