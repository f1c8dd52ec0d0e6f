"""Exactly-once for what people send: one row per sending, by the key its platform gives it.

A double click, a retry or a replay arrives again with the same key (Slack: the view id and hash of a
modal, the trigger_id of a slash command; Teams: the token drawn into a form; the sandbox: the form's
message). The core asks whether the key was `handled` before the work and `claim`s it as the last write
of the work's own transaction, so:
- the second arrival finds the key taken and stores nothing (on PostgreSQL a concurrent one waits on
  the unique index until the first commits, then rolls its work back);
- a refusal or a failure rolls the claim back with the writes, and the corrected form can be sent again.

A slash command whose work is done within the ack budget needs nothing more: the ack leaves after the
commit. One that cannot be done in time is `record`ed (committed before its empty ack, with what it takes
to finish it) and the claim of its work marks that row done. After a crash the next process finds it
`pending` and finishes it: at-least-once delivery, exactly-once effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import InboxEntry

# Keys are kept well past any retry or replay (Slack signs a request for 5 minutes), then purged.
KEPT = timedelta(days=7)

# Built once on the table's columns (not the model's, which take the ORM's slower path): every slash command and
# form asks `handled` and makes its `claim`, and building and running them through the ORM cost 0.7 + 0.9 ms of
# CPU on SQLite (1.8 + 1.5 on PostgreSQL) against 0.2 + 0.4 (0.6 + 0.8) so (bench/RESULTS.md, session 7).
_TABLE = InboxEntry.__table__
_HANDLED = select(_TABLE.c.id).where(_TABLE.c.key == bindparam("inbox_key"), _TABLE.c.done_at.is_not(None))
_CLAIM_NEW: dict[str, Insert] = {  # by dialect name: INSERT ... ON CONFLICT DO NOTHING RETURNING id
    name: insert(_TABLE).values(key=bindparam("inbox_key"), received_at=bindparam("now"), done_at=bindparam("now"))
    .on_conflict_do_nothing(index_elements=["key"]).returning(_TABLE.c.id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_CLAIM_RECORDED = update(_TABLE).where(_TABLE.c.key == bindparam("inbox_key"), _TABLE.c.done_at.is_(None)) \
    .values(done_at=bindparam("now"))


def handled(session: Session, key: str) -> bool:
    """Whether `key` was handled already: asked before the work (a recorded command waiting for it is not)."""
    return session.scalar(_HANDLED, {"inbox_key": key}) is not None


def claim(session: Session, key: str, now: datetime) -> bool:
    """Take `key` as the last write of the caller's transaction; False when another took it meanwhile.

    Last, so that nothing holds the key while the work runs: a slow command's `record` (another transaction)
    must not wait for it. One statement for a new key; a recorded one is marked done instead.
    """
    values = {"inbox_key": key, "now": now}
    if session.execute(_CLAIM_NEW[session.get_bind().dialect.name], values).first() is not None:
        return True
    return bool(session.execute(_CLAIM_RECORDED, values).rowcount)


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
                raise GaveUp
    except IntegrityError:
        return False  # the same key recorded at the same moment by another request
    except GaveUp:
        return None
    return True


class GaveUp(Exception):
    """Rolls a record, or work whose caller stopped waiting for it, back: nobody is waiting for it any more."""


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
