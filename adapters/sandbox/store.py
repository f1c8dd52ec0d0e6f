"""The sandbox's pretend chat in SQL: channels are team keys (or "dm:<person id>"), threads hang off a root.

Nothing lives in process memory, so the sandbox survives a restart the way Slack or Teams would. A
channel page is three statements whatever its length: the latest roots, their replies, their authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from bot.teams import team_by_key
from storage.models import Person, SandboxMessage, Team

PAGE = 50  # latest top-level messages shown in a channel (a four-square card is ~10 KiB)
FORM_KEY = "form"  # a stored message whose card column holds {"form": ...} is a form handed to one person


def dm_channel(person_id: int) -> str:
    return f"dm:{person_id}"


@dataclass
class MessageView:
    id: int
    author: str | None  # None: okrbot
    ephemeral: bool
    text: str
    card: dict | None
    form: dict | None
    form_done: bool
    at: datetime
    thread_id: int | None
    replies: list[MessageView] = field(default_factory=list)


def add_message(
    session: Session,
    org_id: int,
    channel: str,
    now: datetime,
    *,
    text: str = "",
    card: dict | None = None,
    author_id: int | None = None,
    visible_to: int | None = None,
    thread_id: int | None = None,
) -> SandboxMessage:
    row = SandboxMessage(org_id=org_id, channel_id=channel, thread_id=thread_id, author_person_id=author_id,
                         visible_to_person_id=visible_to, text=text, card=card, created_at=now)
    session.add(row)
    session.flush()
    return row


def visible(org_id: int, viewer_id: int):
    return (SandboxMessage.org_id == org_id) & or_(
        SandboxMessage.visible_to_person_id.is_(None), SandboxMessage.visible_to_person_id == viewer_id
    )


def find_message(session: Session, org_id: int, viewer_id: int, message_id: int) -> SandboxMessage | None:
    """A message this person may see in this organization; None for anyone else's or another org's."""
    return session.scalar(select(SandboxMessage).where(SandboxMessage.id == message_id, visible(org_id, viewer_id)))


def channel_messages(session: Session, org_id: int, channel: str, viewer_id: int) -> list[MessageView]:
    author = aliased(Person)
    base = select(SandboxMessage, author.name).outerjoin(author, author.id == SandboxMessage.author_person_id)
    roots = session.execute(
        base.where(visible(org_id, viewer_id), SandboxMessage.channel_id == channel, SandboxMessage.thread_id.is_(None))
        .order_by(SandboxMessage.id.desc()).limit(PAGE)
    ).all()
    views = {row.id: _view(row, name) for row, name in reversed(roots)}
    if views:
        for row, name in session.execute(
            base.where(visible(org_id, viewer_id), SandboxMessage.thread_id.in_(list(views)))
            .order_by(SandboxMessage.id)
        ):
            views[row.thread_id].replies.append(_view(row, name))
    return list(views.values())


def _view(row: SandboxMessage, author: str | None) -> MessageView:
    card = row.card or None
    form = card.get(FORM_KEY) if card and FORM_KEY in card else None
    return MessageView(
        # In one's own direct messages everything is private: "only visible to you" would be noise there.
        id=row.id, author=author, text=row.text,
        ephemeral=row.visible_to_person_id is not None and not row.channel_id.startswith("dm:"),
        card=None if form else card, form=form, form_done=bool(card and card.get("done")),
        at=row.created_at, thread_id=row.thread_id,
    )


def channel_team(session: Session, org_id: int, channel: str) -> Team | None:
    """The team whose sandbox channel this is: channel id = the team's key."""
    return team_by_key(session, org_id, channel)
