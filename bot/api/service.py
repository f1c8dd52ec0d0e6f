"""One API call from a bearer secret to an answer: who calls, may they, how often, then the work.

Authentication, the organization check, the rate and the work run in one transaction, so a call costs
one round of database work; a POST's Idempotency-Key answer is stored in that same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.api import idempotency, keyresults
from bot.api.problems import FieldError, Problem, invalid, told_in
from bot.api.ratelimit import RateLimiter
from bot.api.tokens import Caller, authenticate
from bot.context import row_id
from storage.db import transaction
from storage.models import Organization

Work = Callable[[Session, Organization], tuple[int, dict]]


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    def __init__(self, sessions: sessionmaker[Session], now: Callable[[], datetime], limiter: RateLimiter) -> None:
        self.sessions, self.now, self.limiter = sessions, now, limiter

    def _admit(self, session: Session, secret: str | None, org_raw: str, write: bool, now: datetime) -> tuple[
            Caller, Organization]:
        caller = authenticate(session, secret, now) if secret else None
        if caller is None:
            raise Problem(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="okrbot"'})
        org = session.get(Organization, caller.org_id)
        with told_in(org.language if org else None):
            wait = self.limiter.take(caller.token_id)
            if wait is not None:
                raise Problem(429, "rate_limited", {"seconds": wait}, headers={"Retry-After": str(wait)})
            org_id = row_id(org_raw)
            if org_id is None:
                raise invalid(FieldError("org", "expect_org_id", org_raw[:20]))
            if org_id != caller.org_id or org is None:  # another organization's, or deleted under a live token
                raise Problem(403, "forbidden", {"org": org_id})
            if write and not caller.may_write:
                raise Problem(403, "read_only")
        return caller, org

    def read(self, secret: str | None, org_raw: str, work: Callable[[Session, Organization, datetime], dict]) -> Answer:
        now = self.now()
        with transaction(self.sessions) as session:
            _caller, org = self._admit(session, secret, org_raw, False, now)
            with told_in(org.language):
                return Answer(200, work(session, org, now))

    def check_in(self, secret: str | None, org_raw: str, code: str, key: str | None, body: bytes,
                 path: str) -> Answer:
        """POST a check-in once per Idempotency-Key: a retry answers the first call's answer again."""
        now = self.now()
        print_ = idempotency.fingerprint("POST", path, body)
        language = None
        try:
            with transaction(self.sessions) as session:
                caller, org = self._admit(session, secret, org_raw, True, now)
                language = org.language
                with told_in(language):
                    key = idempotency.check_key(key)
                    first = idempotency.stored(session, caller.token_id, key, print_)
                    if first is not None:
                        return Answer(first[0], first[1], {"Idempotent-Replayed": "true"})
                    result = keyresults.post_checkin(session, org, code, parse_json(body), now)
                    idempotency.remember(session, caller.token_id, key, print_, 201, result, now)
                    return Answer(201, result)
        except idempotency.Raced:
            with transaction(self.sessions) as session:
                first = idempotency.stored(session, caller.token_id, key, print_)
            if first is None:  # the other request's transaction is still open (cannot happen with the unique key)
                raise Problem(409, "idempotency_key_in_use", language=language) from None
            return Answer(first[0], first[1], {"Idempotent-Replayed": "true"})


def parse_json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise invalid(FieldError("", "expect_json_object", body[:40].decode("utf-8", "replace"))) from None
