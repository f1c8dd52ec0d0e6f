"""The registry that maps commands, buttons and forms to their handlers.

Service modules register themselves with the decorators; `bot.core` imports them all. A handler
takes the interaction's `Ctx` and returns a `Reply`, or raises `Refusal`.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Ctx
from bot.model import Interaction, Reply

CommandHandler = Callable[[Ctx, object], Reply]
EventHandler = Callable[[Ctx, Interaction], Reply]

COMMANDS: dict[type, CommandHandler] = {}
ACTIONS: dict[str, EventHandler] = {}
SUBMITS: dict[str, EventHandler] = {}
MESSAGES: list[EventHandler] = []


def command(*types: type) -> Callable[[CommandHandler], CommandHandler]:
    def register(fn: CommandHandler) -> CommandHandler:
        for t in types:
            COMMANDS[t] = fn
        return fn

    return register


def action(action_id: str) -> Callable[[EventHandler], EventHandler]:
    """A button; action ids are "name" or "name:detail", dispatched on "name"."""

    def register(fn: EventHandler) -> EventHandler:
        ACTIONS[action_id] = fn
        return fn

    return register


def submit(form_id: str) -> Callable[[EventHandler], EventHandler]:
    def register(fn: EventHandler) -> EventHandler:
        SUBMITS[form_id] = fn
        return fn

    return register


def message(fn: EventHandler) -> EventHandler:
    """A thread message (wins); handlers return an empty Reply when the message is not theirs."""
    MESSAGES.append(fn)
    return fn
