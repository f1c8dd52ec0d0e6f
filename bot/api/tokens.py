"""API tokens: one organization each, read or write, stored as a SHA-256 digest and shown once.

A token is `okr_` and 43 random URL-safe characters (256 bits), so a plain SHA-256 is enough to store it
(no slow hash is needed against guessing, unlike a password) and a lookup by digest is one index probe.
`last_used_at` is written at most once a minute per token, so a busy client costs no write per call.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ApiToken, Organization

PREFIX = "okr_"
SCOPES = ("read", "write")
USE_RECORDED_EVERY = timedelta(minutes=1)
MAX_NAME = 100


class TokenRefused(ValueError):
    """A token cannot be created or revoked as asked; the message says why (one line for the CLI)."""


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: a valid, unrevoked token."""

    token_id: int
    org_id: int
    scope: str
    name: str

    @property
    def may_write(self) -> bool:
        return self.scope == "write"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, org_id: int, name: str, scope: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller's hands)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise TokenRefused(f"a token needs a name of 1 to {MAX_NAME} characters (what will use it, e.g. 'jira-sync')")
    if scope not in SCOPES:
        raise TokenRefused(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    if session.get(Organization, org_id) is None:
        raise TokenRefused(f"there is no organization {org_id}; `okrbot ritual status` lists them with their ids")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(org_id=org_id, name=name, scope=scope, digest=digest(secret), hint=secret[:10],
                     created_at=now)
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session) -> list[tuple[ApiToken, str]]:
    """Every token with its organization's name, oldest first (revoked ones too: their history)."""
    rows = session.execute(select(ApiToken, Organization.name).join(Organization, Organization.id == ApiToken.org_id)
                           .order_by(ApiToken.org_id, ApiToken.id)).all()
    return [(token, org_name) for token, org_name in rows]


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenRefused(f"there is no token {token_id}; `okrbot token list` shows them")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def authenticate(session: Session, secret: str, now: datetime) -> Caller | None:
    """The caller a bearer secret stands for, None for an unknown or revoked one; records the use."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.execute(
        select(ApiToken.id, ApiToken.org_id, ApiToken.scope, ApiToken.name, ApiToken.last_used_at)
        .where(ApiToken.digest == digest(secret), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token_id, org_id, scope, name, last_used = row
    if last_used is None or last_used <= now - USE_RECORDED_EVERY:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return Caller(token_id, org_id, scope, name)

