"""The registry that maps commands, buttons, forms and thread messages to their handlers.

The decorators only mark a function with what it handles; nothing is registered by importing a
module. `build` reads the marks of an explicit list of service modules (`bot.core.SERVICES`) when
a `Core` is made, and refuses to start when a command of the grammar has no handler, or a
command, button or form has two: a missing module is an error at start, never a command that
answers "not available" later with nothing logged.

A command, button or form handler takes the interaction's `Ctx` and returns a `Reply`, or raises
`Refusal`. A message handler returns None for a message that is not its own ("not mine"), and a
`Reply` (possibly empty) for one it handled, which ends the search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from bot.commands import GRAMMAR, command_types
from bot.context import Ctx
from bot.model import Interaction, Reply

CommandHandler = Callable[[Ctx, object], Reply]
EventHandler = Callable[[Ctx, Interaction], Reply]
MessageHandler = Callable[[Ctx, Interaction], Reply | None]
MARK = "__okrbot_handles__"  # the (kind, key) pairs a decorated function handles


class HandlerError(Exception):
    """The handlers cannot serve the grammar: raised at start, naming what is missing or doubled."""


def _mark(*pairs: tuple[str, object]):
    def decorate(fn):
        setattr(fn, MARK, (*getattr(fn, MARK, ()), *pairs))
        return fn

    return decorate


def command(*types: type) -> Callable[[CommandHandler], CommandHandler]:
    return _mark(*(("command", t) for t in types))


def action(action_id: str) -> Callable[[EventHandler], EventHandler]:
    """A button; action ids are "name" or "name:detail", dispatched on "name"."""
    return _mark(("action", action_id))


def submit(form_id: str) -> Callable[[EventHandler], EventHandler]:
    return _mark(("submit", form_id))


def message(fn: MessageHandler) -> MessageHandler:
    """A thread message (wins): returns None when the message is not its own."""
    return _mark(("message", None))(fn)


@dataclass(frozen=True)
class Handlers:
    commands: dict[type, CommandHandler]
    actions: dict[str, EventHandler]
    submits: dict[str, EventHandler]
    messages: tuple[MessageHandler, ...]


def build(modules: Iterable[ModuleType], commands: Iterable[type] | None = None) -> Handlers:
    """The handlers the marked functions of `modules`, and of the modules registered grammar entries name
    (`Verb.handlers`), provide; every type of `commands` (by default: all the grammar makes) needs exactly one."""
    named = (import_module(verb.handlers) for verb in GRAMMAR.values() if verb.handlers)
    modules = tuple(dict.fromkeys((*modules, *named)))
    found: dict[str, dict] = {"command": {}, "action": {}, "submit": {}}
    messages: list[MessageHandler] = []
    for module in modules:
        for fn in vars(module).values():
            if getattr(fn, "__module__", None) != module.__name__:
                continue  # imported from elsewhere: counted where it is defined
            for kind, key in getattr(fn, MARK, ()):
                if kind == "message":
                    messages.append(fn)
                elif key in found[kind]:
                    raise HandlerError(f"{kind} {_name(key)} has two handlers: "
                                       f"{_where(found[kind][key])} and {_where(fn)}")
                else:
                    found[kind][key] = fn
    wanted = list(command_types() if commands is None else commands)
    missing = [_name(t) for t in wanted if t not in found["command"]]
    if missing:
        raise HandlerError(f"no handler for the command(s) {', '.join(missing)}: "
                           "add the service module that handles them to bot.core.SERVICES")
    unknown = [_name(t) for t in found["command"] if t not in wanted]
    if unknown:
        raise HandlerError(f"handlers for {', '.join(unknown)}, which the grammar (bot.commands.GRAMMAR) lacks")
    return Handlers(found["command"], found["action"], found["submit"], tuple(messages))


def _name(key: object) -> str:
    return key.__name__ if isinstance(key, type) else repr(key)


def _where(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"
