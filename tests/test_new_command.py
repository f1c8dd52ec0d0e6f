"""A command defined here, in the tests (a grammar entry, its handler, the line its template says), is
listed by help on every platform and answered there: a new command needs no edit of help, of the
parser's tables or of the handler registry."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from adapters.teams.manifest import teams_manifest
from bot import commands
from bot.context import Ctx
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import add_prompts
from tests.conftest import card_text
from tests.sandbox.conftest import make_client, say, sign_in_as, visible_text
from tests.slack.conftest import SlackSender, slack_settings, start_app
from tests.teams.conftest import start_harness

HERE = "tests.test_new_command"
SAYS = "counts up to N, to see a new command get into help"


@dataclass(frozen=True)
class Tally:
    upto: int


def _tally(words: list[str]) -> Tally | commands.UsageError:
    if len(words) != 2 or not words[1].isdigit():
        return commands.UsageError("missing", "tally", (("what", "a number"),))
    return Tally(int(words[1]))


@command(Tally)
def tally(ctx: Ctx, cmd: Tally) -> Reply:
    text = "tallied " + " ".join(str(n) for n in range(1, cmd.upto + 1))
    return Reply(card=Card(None, (Text(text),), fallback=text))


TALLY = commands.Verb("tally", "tally N", _tally, (Tally,), "see", ("tl",), words="tally", handlers=HERE)


@pytest.fixture(autouse=True)
def tally_command():
    add_prompts(Path(__file__).parent / "prompts")
    commands.register(TALLY)
    yield
    commands.unregister(TALLY.name)


def test_offered_in_a_menu_it_is_in_the_teams_manifest_by_itself():
    commands.unregister(TALLY.name)
    commands.register(replace(TALLY, menu=("personal",)))
    personal, team = teams_manifest("11111111-2222-3333-4444-555555555555")["bots"][0]["commandLists"]
    assert {"title": "tally", "description": f"tally N: {SAYS}"} in personal["commands"]
    assert "tally" not in [c["title"] for c in team["commands"]]


def test_the_grammar_parses_it_and_lists_its_usage_and_alias():
    assert commands.parse("tl 3") == Tally(3)
    assert commands.USAGE["tally"] == "tally N" and commands.ALIASES["tl"] == "tally"
    assert Tally in commands.command_types()
    with pytest.raises(ValueError, match="already has tally"):
        commands.register(TALLY)


def test_help_lists_it_and_help_on_it_shows_it(chat):
    text = card_text(chat.say("help"))
    assert f"• `/okr tally N` (or `tl`) {SAYS}" in text
    assert text.index("`/okr dashboard`") < text.index("`/okr tally N`")  # under "See", in grammar order
    assert card_text(chat.say("help tl")).startswith(f"okrbot\n*/okr tally N*\n• `/okr tally N` (or `tl`) {SAYS}")
    assert "tallied 1 2 3" in card_text(chat.say("tally 3"))


async def test_slack_teams_and_the_sandbox_list_it_in_help_and_answer_it(
    database_url, clock, org_id, sessions, fake_slack, bot_connector, monkeypatch
):
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    try:
        slack = SlackSender(client, fake_slack)
        for text, expected in (("help", f"`/okr tally N` (or `tl`) {SAYS}"), ("tally 2", "tallied 1 2")):
            status, body = await slack.command(text)
            assert status == 200 and expected in json.dumps(body), body
    finally:
        await client.close()
        ctx.engine.dispose()

    teams, client = await start_harness(database_url, clock, bot_connector, monkeypatch)
    try:
        for text, expected in (("help", "@okrbot tally N"), ("tally 2", "tallied 1 2")):
            bot_connector.calls.clear()
            await teams.say(text, "engineer")
            assert any(expected in call.text for call in bot_connector.calls), [c.text for c in bot_connector.calls]
    finally:
        await client.close()
        teams.ctx.engine.dispose()

    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    try:
        await sign_in_as(client, sessions, "engineer@example.com")
        for text, expected in (("/okr help", f"/okr tally N (or tl ) {SAYS}"), ("/okr tally 2", "tallied 1 2")):
            page = visible_text(await (await say(client, "rd-efficiency", text)).text())
            assert expected in page, page[-2000:]
    finally:
        await client.close()
        ctx.engine.dispose()
