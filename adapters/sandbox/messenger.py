"""The sandbox's Messenger: the rituals post here exactly as they post to Slack or Teams, into SQL.

Conversation.workspace is the organization id and channel_id a team key; a direct message goes to
channel "dm:<person id>" and only that person sees it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.sandbox.platform import PLATFORM
from adapters.sandbox.store import add_message, dm_channel
from bot.context import row_id
from bot.model import Card, Conversation, MessageRef, PermanentFailure
from bot.serialize import card_to_dict
from bot.timesource import Clock
from storage.db import transaction
from storage.models import Organization, Person, PlatformAccount, SandboxMessage


class SandboxMessenger:
    platform = PLATFORM.name

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock

    async def post(self, to: Conversation, card: Card) -> MessageRef:
        return await asyncio.to_thread(self._add, to.workspace, to.channel_id, card, None, None)

    async def reply(self, to: Conversation, thread: MessageRef, card: Card) -> MessageRef:
        root = row_id(str(thread.message_id))
        if root is None:
            raise PermanentFailure(f"no sandbox thread {thread.message_id!r}")
        return await asyncio.to_thread(self._add, to.workspace, to.channel_id, card, root, None)

    async def update(self, to: Conversation, message: MessageRef, card: Card) -> None:
        await asyncio.to_thread(self._update, to.workspace, message, card)

    async def send_direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef:
        return await asyncio.to_thread(self._direct, platform_user_id, workspace, card)

    # ------------------------------------------------------------ blocking SQL, off the event loop

    def _org(self, session: Session, workspace: str) -> int:
        org_id = row_id(str(workspace))
        if org_id is None or session.get(Organization, org_id) is None:
            raise PermanentFailure(f"no sandbox organization {workspace!r}")
        return org_id

    def _add(self, workspace: str, channel: str, card: Card, thread: int | None, person: int | None) -> MessageRef:
        with transaction(self.sessions) as session:
            org_id = self._org(session, workspace)
            if thread is not None:
                root = session.get(SandboxMessage, thread)
                if root is None or root.org_id != org_id:
                    raise PermanentFailure(f"no sandbox thread {thread}")
            row = add_message(session, org_id, channel, self.clock.now(), text=card.fallback, card=card_to_dict(card),
                              visible_to=person, thread_id=thread)
            return MessageRef(channel_id=channel, message_id=str(row.id), thread_id=str(thread) if thread else None)

    def _update(self, workspace: str, message: MessageRef, card: Card) -> None:
        with transaction(self.sessions) as session:
            org_id = self._org(session, workspace)
            message_id = row_id(message.message_id)
            row = session.get(SandboxMessage, message_id) if message_id else None
            if row is None or row.org_id != org_id:
                raise PermanentFailure(f"no sandbox message {message.message_id!r}")
            row.card, row.text, row.updated_at = card_to_dict(card), card.fallback, self.clock.now()

    def _direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef:
        """Accepts "dm:<person id>", a person id, or the sandbox account id (the person's email)."""
        with transaction(self.sessions) as session:
            org_id = self._org(session, workspace)
            person_id = _person(session, org_id, platform_user_id)
        if person_id is None:
            raise PermanentFailure(f"nobody {platform_user_id!r} in sandbox organization {org_id}")
        return self._add(workspace, dm_channel(person_id), card, None, person_id)


def _person(session: Session, org_id: int, who: str) -> int | None:
    key = who.removeprefix("dm:")
    if key.isdigit():
        person_id = row_id(key)
        if person_id is None:
            return None
        return session.scalar(select(Person.id).where(Person.org_id == org_id, Person.id == person_id))
    by_email = select(Person.id).where(Person.org_id == org_id, func.lower(Person.email) == key.lower())
    by_account = select(PlatformAccount.person_id).where(
        PlatformAccount.org_id == org_id, PlatformAccount.platform == PLATFORM.name, PlatformAccount.account_id == key)
    return session.scalar(by_email) or session.scalar(by_account)


def build_messenger(sessions: sessionmaker[Session], clock: Clock) -> SandboxMessenger:
    """The sandbox's Messenger on its own (the clock's); the pages are `routes.mount`."""
    return SandboxMessenger(sessions, clock)
