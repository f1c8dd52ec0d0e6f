"""What the core may ask a chat platform about its people and channels, while setting up in chat.

Setting up an organization from a chat (bot.services.setup) needs what only the platform knows: a
channel's name and members, a person's email and time zone, whether okrbot is in a channel. Each
adapter that can answer implements `Directory` and hands it to the core (`Core.directories`); the
core calls it from its worker thread, so the methods are synchronous. A platform without one simply
cannot set up teams from channels.

The core never asks the platform inside a transaction: a question is HTTP calls (a 500-member channel
is 500 users.info), and an open transaction holds SQLite's write lock, or a PostgreSQL connection, for
all that while. A handler asks through `Ctx.ask`: the first time, that raises `Ask`, the core rolls
back, puts the question to the platform with no transaction open and runs the handler again with the
answer (`bot.core.Core`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Profile:
    """A person as the platform shows them: `account_id` is their id there (a Slack user, an AAD object id)."""

    account_id: str
    name: str
    email: str | None = None
    timezone: str | None = None  # IANA zone, when the platform knows it


@dataclass(frozen=True)
class ChannelInfo:
    """A channel; `bot_is_member` False means okrbot cannot post there until someone adds it."""

    id: str
    name: str
    bot_is_member: bool = True


class DirectoryError(Exception):
    """The platform did not answer (a timeout, a 5xx): nothing is written, the person is asked to try again."""


class Directory(Protocol):
    """The platform's people and channels, for one workspace at a time."""

    def profile(self, workspace: str, account_id: str) -> Profile | None: ...

    def find_by_email(self, workspace: str, email: str) -> Profile | None: ...

    def channel(self, workspace: str, channel_id: str) -> ChannelInfo | None:
        """None: no such channel, or one okrbot cannot see (a private channel it is not in)."""

    def members(self, workspace: str, channel_id: str) -> list[Profile]:
        """The channel's people (bots left out), with their emails when the platform gives them."""

    def channels(self, workspace: str) -> list[ChannelInfo]:
        """Channels to choose from, for a platform whose forms have no channel picker of their own."""


Question = Callable[[Directory], Any]


class Ask(Exception):
    """A handler needs the platform's answer to `question`, kept under `key` for its next run (see the module)."""

    def __init__(self, key: str, question: Question) -> None:
        super().__init__(key)
        self.key = key
        self.question = question

    def answer(self, directory: Directory | None) -> object:
        """The platform's answer, or the DirectoryError it failed with (raised in the handler, which says so)."""
        if directory is None:
            return DirectoryError("this platform has no directory")
        try:
            return self.question(directory)
        except DirectoryError as exc:
            return exc
