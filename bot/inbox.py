"""Exactly-once for what people send: one row per sending, by the key its platform gives it.

A double click, a retry or a replay arrives again with the same key (Slack: the view id and hash of a
modal, the trigger_id of a slash command; Teams: the token drawn into a form; the sandbox: the form's
message). The core claims the key in the same transaction as the action's writes (`claim`), so:
- the second arrival finds the key taken and stores nothing (on PostgreSQL a concurrent one waits on
  the unique index until the first commits);
- a refusal or a failure rolls the claim back with the writes, and the corrected form can be sent again.

A slash command that is acknowledged before its work is done is `record`ed first, committed before the
ack, with what it takes to finish it; the claim then marks that row done. After a crash the next
process finds it `pending` and finishes it: at-least-once delivery, exactly-once effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import InboxEntry

# Keys are kept well past any retry or replay (Slack signs a request for 5 minutes), then purged.
KEPT = timedelta(days=7)


def claim(session: Session, key: str, now: datetime) -> bool:
    """Take `key` inside the caller's transaction; False when it was handled already (or is being handled)."""
    finished = session.execute(
        update(InboxEntry).where(InboxEntry.key == key, InboxEntry.done_at.is_(None)).values(done_at=now)
    )
    if finished.rowcount:
        return True  # a recorded command, done now
    if session.scalar(select(InboxEntry.id).where(InboxEntry.key == key)) is not None:
        return False
    try:
        with session.begin_nested():  # a savepoint: losing the race leaves the transaction usable
            session.add(InboxEntry(key=key, received_at=now, done_at=now))
    except IntegrityError:
        return False
    return True


def record(sessions: sessionmaker[Session], key: str, payload: dict[str, Any], now: datetime,
           keep: Callable[[], bool] = lambda: True) -> bool | None:
    """Commit `key` as received and not yet done, with `payload` to finish it; False for a key seen before.

    `keep()` is asked just before the commit: False rolls the record back and gives None (the caller gave
    up waiting for it, and must not promise the work).
    """
    try:
        with transaction(sessions) as session:
            if session.scalar(select(InboxEntry.id).where(InboxEntry.key == key)) is not None:
                return False
            session.add(InboxEntry(key=key, payload=payload, received_at=now))
            session.flush()
            if not keep():
                raise _GaveUp
    except IntegrityError:
        return False  # the same key recorded at the same moment by another request
    except _GaveUp:
        return None
    return True


class _GaveUp(Exception):
    """Rolls a record back: nobody is waiting for it any more."""


def settle(sessions: sessionmaker[Session], key: str, now: datetime) -> None:
    """Mark a recorded command done without its work: it was answered with a refusal or an apology."""
    with transaction(sessions) as session:
        session.execute(
            update(InboxEntry).where(InboxEntry.key == key, InboxEntry.done_at.is_(None)).values(done_at=now)
        )


def pending(sessions: sessionmaker[Session], received_before: datetime | None = None) -> list[tuple[str, dict]]:
    """Recorded work no process has finished, oldest first (those received before a moment, if given)."""
    query = select(InboxEntry.key, InboxEntry.payload).where(
        InboxEntry.done_at.is_(None), InboxEntry.payload.is_not(None)
    )
    if received_before is not None:
        query = query.where(InboxEntry.received_at < received_before)
    with sessions() as session:
        return [(key, payload) for key, payload in session.execute(query.order_by(InboxEntry.id))]


def purge(sessions: sessionmaker[Session], now: datetime) -> int:
    """Forget keys handled long ago."""
    with transaction(sessions) as session:
        return session.execute(
            delete(InboxEntry).where(InboxEntry.done_at.is_not(None), InboxEntry.done_at < now - KEPT)
        ).rowcount
