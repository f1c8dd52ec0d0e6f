"""Idempotency-Key: a retried POST gets the first answer again instead of storing a second check-in.

The answer is stored under (token, key) in the same transaction as the change, so a crash stores both or
neither. The fingerprint (SHA-256 of method, path and body) tells a true retry from a different request
that reuses a key: that one is refused (422), as the IETF Idempotency-Key draft recommends. Two identical
requests racing: the second's insert meets the first's row (PostgreSQL waits for the first to commit;
SQLite runs one writer at a time), its own change is rolled back, and it answers what the first stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.api.problems import FieldError, Problem, invalid
from storage.db import insert_ignoring_conflicts
from storage.models import ApiRequest

MAX_KEY = 255
KEPT = timedelta(days=7)  # after this a key may be reused (clients retry for minutes, not days)

class Raced(Exception):
    """Another request with the same key stored its answer first: roll this one back and replay that."""


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise invalid(FieldError("Idempotency-Key", "expect_idempotency_key"))
    key = key.strip()
    if len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise invalid(FieldError("Idempotency-Key", "expect_printable_key", key[:40], {"limit": MAX_KEY}))
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join((method.encode(), path.encode(), body))).hexdigest()


def stored(session: Session, token_id: int, key: str, print_: str) -> tuple[int, dict] | None:
    """The first answer under this key, if any; a key first used for another request is a 422 problem."""
    row = session.execute(
        select(ApiRequest.fingerprint, ApiRequest.status, ApiRequest.body)
        .where(ApiRequest.token_id == token_id, ApiRequest.key == key)
    ).first()
    if row is None:
        return None
    if row.fingerprint != print_:
        raise Problem(422, "idempotency_key_reused",
                      errors=(FieldError("Idempotency-Key", "expect_new_key", key[:40]),))
    return row.status, row.body


def remember(session: Session, token_id: int, key: str, print_: str, status: int, body: dict,
             now: datetime) -> None:
    """Store the answer with the change; Raced when the same key was stored meanwhile."""
    inserted = session.scalars(
        insert_ignoring_conflicts(session, ApiRequest).values(
            token_id=token_id, key=key, fingerprint=print_, status=status, body=body, created_at=now)
        .on_conflict_do_nothing(index_elements=["token_id", "key"]).returning(ApiRequest.id)
    ).first()
    if inserted is None:
        raise Raced()


def purge(session: Session, now: datetime) -> int:
    return session.execute(delete(ApiRequest).where(ApiRequest.created_at < now - KEPT)).rowcount or 0
