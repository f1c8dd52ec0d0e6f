"""The handler registry is built when a Core is made, from an explicit list of service modules: a command
of the grammar without a handler (a module left out, a new command not handled yet) or one with two
fails there, not as a "not available" answer later. Message handlers say "not mine" (None) apart from
"handled" (a Reply, even an empty one): the first that handles a message ends the search."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import get_args

import pytest

from bot import commands as c
from bot.core import SERVICES, Core
from bot.handlers import HandlerError, build, command, message
from bot.model import Card, Interaction, Reply, Text
from bot.services import weekly
from storage.db import transaction
from storage.models import RitualRun, Team


def test_every_command_of_the_grammar_has_exactly_one_handler():
    handlers = build(SERVICES)
    assert set(handlers.commands) == set(get_args(c.Command)) == set(c.command_types())  # the type says the same
    assert weekly.wins_thread_reply in handlers.messages


def test_a_service_module_left_out_fails_at_start(sessions, clock):
    without_weekly = tuple(m for m in SERVICES if m is not weekly)
    with pytest.raises(HandlerError, match="no handler for the command.*PlanAdd.*Health.*WinAdd"):
        Core(sessions, clock, services=without_weekly)


def test_a_new_command_without_a_handler_fails_at_start():
    @dataclass(frozen=True)
    class Shout:
        text: str

    with pytest.raises(HandlerError, match="no handler for the command.*Shout"):
        build(SERVICES, (*get_args(c.Command), Shout))


def _module(name: str, **functions) -> ModuleType:
    module = ModuleType(name)
    for key, fn in functions.items():
        fn.__module__ = name
        setattr(module, key, fn)
    return module


def test_two_handlers_for_one_command_fail_at_start():
    def mine_again(ctx, cmd):
        return Reply()

    extra = _module("tests.extra_mine", mine_again=command(c.Mine)(mine_again))
    with pytest.raises(HandlerError, match="command Mine has two handlers"):
        build((*SERVICES, extra))


def test_a_message_the_wins_thread_does_not_claim_goes_on_to_the_next_handler(sessions, clock, chat, org_id):
    seen = []

    def echo(ctx, interaction):
        seen.append(interaction.text)
        text = f"echo {interaction.text}"
        return Reply(card=Card(None, (Text(text),), fallback=text))

    extra = _module("tests.extra_echo", echo=message(echo))
    core = Core(sessions, clock, services=(*SERVICES, extra))
    with transaction(sessions) as s:
        team = s.query(Team).filter_by(key="rd-efficiency").one()
        s.add(RitualRun(org_id=org_id, team_id=team.id, ritual="friday", period="2026-W47", state="posted",
                        platform="sandbox", channel_id="rd-efficiency", message_ref="root-1"))

    def send(text: str, thread: str | None) -> Reply:
        return core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor="engineer@example.com",
                                       actor_email="engineer@example.com", kind="message", text=text,
                                       conversation="rd-efficiency", thread_id=thread, message_id=f"m-{text}"))

    # Outside a wins thread the wins handler says "not mine": the next handler answers.
    assert send("hello", None).card.fallback == "echo hello"
    # In the Friday thread it handles the reply (not a win, so it answers nothing): the search ends there.
    assert send("great work", "root-1") == Reply()
    assert seen == ["hello"]
