"""Signed, expiring tokens for dashboard sign-in links and session cookies.

A token is `base64url(json payload) "." base64url(HMAC-SHA256(key, purpose + "." + payload))`. The
purpose ("link" or "session") is part of what is signed, so a session cookie can never be replayed
as a sign-in link or the other way round. The payload names the organization and the person, so a
session is always scoped to one organization. Only the standard library: hmac, hashlib, base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Purpose = Literal["link", "session"]
LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Identity:
    org_id: int
    person_id: int
    expires: datetime
    digest: str = ""  # SHA-256 of the token: how a used link or an ended session is remembered (never the token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, purpose: Purpose, payload: str) -> str:
    digest = hmac.new(key.encode("utf-8"), f"{purpose}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return _b64(digest)


def sign(key: str, purpose: Purpose, org_id: int, person_id: int, expires: datetime) -> str:
    # "n": a nonce, so two links or sessions made in the same second are still different tokens.
    body = json.dumps({"o": org_id, "p": person_id, "e": int(expires.timestamp()), "n": secrets.token_urlsafe(6)},
                      separators=(",", ":"))
    payload = _b64(body.encode("utf-8"))
    return f"{payload}.{_mac(key, purpose, payload)}"


def verify(key: str, purpose: Purpose, token: str, now: datetime) -> Identity | None:
    """The identity in a genuine, unexpired token; None for anything forged, altered, stale or garbled.

    A genuine token is ASCII; anything else is refused before hmac.compare_digest and the ASCII
    encoding of the payload, which raise on non-ASCII text (an HTTP 500 for a cookie like "é")."""
    token = token or ""
    payload, _, mac = token.partition(".")
    if not token.isascii() or not payload or not mac or not hmac.compare_digest(mac, _mac(key, purpose, payload)):
        return None
    try:
        data = json.loads(_unb64(payload))
        identity = Identity(int(data["o"]), int(data["p"]), datetime.fromtimestamp(int(data["e"]), now.tzinfo),
                            hashlib.sha256(token.encode("ascii")).hexdigest())
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError):
        return None
    return identity if identity.expires > now else None


def link_token(key: str, org_id: int, person_id: int, now: datetime) -> str:
    return sign(key, "link", org_id, person_id, now + LINK_LIFETIME)


def session_token(key: str, org_id: int, person_id: int, now: datetime) -> str:
    return sign(key, "session", org_id, person_id, now + SESSION_LIFETIME)
