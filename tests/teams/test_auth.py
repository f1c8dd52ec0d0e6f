"""With MicrosoftAppId set, /api/messages takes only Bot Framework-signed activities: else 401, never 500."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from storage.models import CheckIn, ConversationRef
from tests.teams.conftest import start_harness

APP_ID = "00000000-0000-0000-0000-00000000b07d"


def _token(issuer: str, key=None, algorithm: str = "RS256") -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": APP_ID, "iat": now, "nbf": now - 10, "exp": now + 3600,
              "serviceurl": "http://127.0.0.1/"}
    if algorithm == "none":
        return jwt.encode(claims, None, algorithm="none")
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "forged-key"})


@pytest.fixture
async def secured(database_url, clock, org_id, bot_connector, monkeypatch):
    harness, client = await start_harness(database_url, clock, bot_connector, monkeypatch, app_id=APP_ID)
    yield harness
    await client.close()
    harness.ctx.engine.dispose()


@pytest.mark.parametrize("authorization", [
    None,
    "",
    "Bearer",
    "Bearer not-a-jwt",
    "Basic dXNlcjpwYXNz",
    "Bearer " + "a" * 5000,
    "Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl",
])
async def test_missing_or_malformed_authorization_is_401_and_changes_nothing(secured, sessions, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await secured.post(secured.message("confidence rd-o1-kr3 9"), headers=headers)
    assert response.status == 401
    await _nothing_happened(secured, sessions)


@pytest.mark.parametrize("issuer,algorithm", [
    ("https://evil.example.com/", "RS256"),
    ("https://api.botframework.com", "none"),
    ("https://sts.windows.net/not-a-tenant/", "RS256"),
])
async def test_wrong_issuer_or_unsigned_token_is_401(secured, sessions, issuer, algorithm):
    headers = {"Authorization": f"Bearer {_token(issuer, algorithm=algorithm)}"}
    response = await secured.post(secured.message("confidence rd-o1-kr3 9"), headers=headers)
    assert response.status == 401
    response = await secured.post(secured.invoke("task/fetch", {"okrbot": {"action": "checkin_open"}}),
                                  headers=headers)
    assert response.status == 401
    await _nothing_happened(secured, sessions)


async def _nothing_happened(harness, sessions) -> None:
    assert harness.connector.calls == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0


def _setup_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.get_records("setup"))


async def test_auth_off_is_announced_loudly(teams, caplog):
    assert "TEAMS AUTHENTICATION IS OFF" in _setup_log(caplog)


async def test_auth_on_is_quiet(secured, caplog):
    assert "AUTHENTICATION IS OFF" not in _setup_log(caplog)
