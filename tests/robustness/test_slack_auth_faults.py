"""Slack's auth.test failing for a moment (503, 429, a cut connection) loses no request and tells nobody
"your installation is no longer available" (issue 17: slack_bolt's own authorization did both).

Through the real signed routes against the fake Slack: a slash command, a button and a modal submission
need no auth.test at all (the token is configured, or the installation holds the bot's ids); an event,
which bolt filters by the bot's own ids, asks auth.test once per token and keeps the answer in the
database, so a restarted process does not ask again; while Slack fails that call the event gets a 503,
which Slack delivers again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from adapters.slack.routes import BRIDGE
from storage.db import transaction
from storage.models import CheckIn, RitualRun, Team, Win
from tests.robustness.test_double_submit import _ids, _opening, _values
from tests.slack import test_oauth_workspaces
from tests.slack.conftest import ENGINEER, RD_CHANNEL, SlackSender, slack_settings, start_app
from tests.slack.test_wins_threads import ROOT_TS, reply

GONE = "no longer available"
ONE, install = test_oauth_workspaces.ONE, test_oauth_workspaces.install
oauth_app = test_oauth_workspaces.oauth_app  # the fixture: okrbot installed through OAuth


def failing(fake_slack, how: str) -> None:
    """auth.test refused the way Slack refuses under load, every time until the test says otherwise."""
    fake_slack.always_fail("auth.test", *{"503": (503,), "429": (429, 1)}[how])


def count(sessions, model) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("how", ["503", "429"])
async def test_a_command_is_answered_and_stored_while_auth_test_fails(how, slack, fake_slack, sessions):
    failing(fake_slack, how)
    before = count(sessions, CheckIn)
    status, body = await slack.command("confidence rd-o1-kr3 4 vendor is late")
    assert status == 200 and GONE not in str(body), body
    assert count(sessions, CheckIn) == before + 1
    assert not fake_slack.calls_to("auth.test")  # a command needs no bot identity


@pytest.mark.parametrize("how", ["503", "429"])
async def test_a_form_opens_and_its_submission_is_stored_while_auth_test_fails(how, slack, fake_slack, sessions):
    failing(fake_slack, how)
    kr, team = _ids(sessions)
    before = count(sessions, Win)
    action, value = _opening("win", team)
    status, _ = await slack.click(action, value)
    assert status == 200
    view = fake_slack.bodies("views.open")[-1]["view"]
    status, body = await slack.submit(view, _values("win", kr, 1))
    assert status == 200 and not body  # the modal closes because the win is stored
    assert count(sessions, Win) == before + 1
    assert not fake_slack.calls_to("auth.test")


@pytest.fixture
def wins_post(sessions, clock, org_id) -> str:
    with transaction(sessions) as s:
        team = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        s.add(RitualRun(org_id=org_id, team_id=team.id, ritual="friday", period="2026-W47", state="posted",
                        platform="slack", channel_id=RD_CHANNEL, message_ref=ROOT_TS, posted_at=clock.now()))
    return ROOT_TS


@pytest.mark.parametrize("how", ["503", "429"])
async def test_an_event_is_refused_503_while_auth_test_fails_and_stored_once_when_redelivered(
        how, slack, fake_slack, sessions, wins_post):
    failing(fake_slack, how)
    event = reply("win: shipped while Slack wobbled", "1700000200.000001")
    status, _ = await slack.event(event, event_id="EvA")
    assert status == 503  # Slack delivers an event again after a 5xx
    assert count(sessions, Win) == 0
    fake_slack.recover("auth.test")
    status, _ = await slack.event(event, event_id="EvA", retry=1)
    assert status == 200
    assert count(sessions, Win) == 1
    status, _ = await slack.event(event, event_id="EvA", retry=2)
    assert status == 200 and count(sessions, Win) == 1


async def test_who_the_bot_is_is_asked_once_per_token_even_across_restarts(
        database_url, clock, fake_slack, sessions, wins_post, org_id):
    async def restarted_app_sends(event: dict) -> int:
        ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
        try:
            status, _ = await SlackSender(client, fake_slack).event(event)
        finally:
            await app[BRIDGE].drain()
            await client.close()
            ctx.engine.dispose()
        return status

    assert await restarted_app_sends(reply("win: first", "1700000200.000001")) == 200
    failing(fake_slack, "503")  # from now on Slack would refuse: the database remembers the answer
    assert await restarted_app_sends(reply("win: second", "1700000200.000002")) == 200
    assert len(fake_slack.calls_to("auth.test")) == 1
    assert count(sessions, Win) == 2


async def test_the_bots_own_messages_are_still_ignored(slack, fake_slack, sessions, wins_post):
    """bolt drops the bot's own events by the ids auth.test gave (here without a bot_id on the message,
    which okrbot's own filter would catch)."""
    own = reply("win: the bot talking", "1700000200.000003", user=fake_slack.bot_user_id)
    status, _ = await slack.event(own)
    assert status == 200 and count(sessions, Win) == 0
    status, _ = await slack.event(reply("win: a person", "1700000200.000004", user=ENGINEER))
    assert status == 200 and count(sessions, Win) == 1


async def test_oauth_requests_never_ask_auth_test(oauth_app, fake_slack):
    """The installation holds the bot's ids: a request from an installed workspace is answered as usual
    while auth.test fails, and one from a workspace that never installed is still told so."""
    _ctx, slack = oauth_app
    await install(slack, ONE, "xoxb-one")
    asked = len(fake_slack.calls_to("auth.test"))  # the install itself asks, once
    failing(fake_slack, "503")
    status, body = await slack.command("help", team=ONE)
    assert status == 200 and GONE not in str(body), body
    status, body = await slack.event(reply("hello", "1700000200.000005"), team=ONE)
    assert status == 200
    assert len(fake_slack.calls_to("auth.test")) == asked
    status, _ = await slack.command("help", team="T0NEVER")
    assert status == 200 and GONE in str(fake_slack.bodies("response_url")[-1])


def _wins_refused(sessions, on: bool) -> None:
    """The database refuses every new win (as when it restarts under the write), or takes them again."""
    with transaction(sessions) as s:
        if s.bind.dialect.name == "sqlite":
            s.execute(text("CREATE TRIGGER refuse_wins BEFORE INSERT ON wins BEGIN SELECT RAISE(ABORT, 'gone'); END"
                           if on else "DROP TRIGGER refuse_wins"))
        elif on:
            s.execute(text("CREATE FUNCTION refuse_wins() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'gone'; END "
                           "$$ LANGUAGE plpgsql"))
            s.execute(text("CREATE TRIGGER refuse_wins BEFORE INSERT ON wins FOR EACH ROW EXECUTE FUNCTION "
                           "refuse_wins()"))
        else:
            s.execute(text("DROP TRIGGER refuse_wins ON wins"))


async def test_a_form_the_database_failed_stays_open_with_an_apology(slack, fake_slack, sessions):
    """Never a closed form with nothing stored: the modal stays open, says nothing was kept, and sends again."""
    kr, team = _ids(sessions)
    action, value = _opening("win", team)
    await slack.click(action, value)
    view = fake_slack.bodies("views.open")[-1]["view"]
    _wins_refused(sessions, True)
    status, body = await slack.submit(view, _values("win", kr, 1))
    assert status == 200 and body["response_action"] == "errors", body
    assert "nothing was changed" in " ".join(body["errors"].values())
    assert count(sessions, Win) == 0
    _wins_refused(sessions, False)
    status, body = await slack.submit(view, _values("win", kr, 1))
    assert status == 200 and not body
    assert count(sessions, Win) == 1
