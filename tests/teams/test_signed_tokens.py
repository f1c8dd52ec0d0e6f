"""Teams tokens proven both ways, offline (issue 17): a token signed like the Bot Connector's is accepted
and its activity handled; one signed by another key, expired, for another app or another service URL
is refused with 401 and changes nothing.

The keys are made here and served as OpenID metadata and a JWKS by the fake token service, which
okrbot trusts through ToBotFromChannelOpenIdMetadataUrl (the same code path as Microsoft's URL).
The bot is a UserAssignedMSI one: its own token for the Bot Connector comes from the fake Azure App
Service identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER, read by msal), so the answer reaches
the fake Bot Connector with a real outbound token, all offline.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import CheckIn, ConversationRef, KeyResult
from tests.fakes.token_service import IDENTITY_HEADER, new_key
from tests.teams.conftest import start_harness

APP_ID = "00000000-0000-0000-0000-00000000b07d"
OTHER_APP_ID = "00000000-0000-0000-0000-0000000e71de"


@pytest.fixture
async def signed(database_url, clock, org_id, bot_connector, token_service, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{token_service.url}msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    harness, client = await start_harness(
        database_url, clock, bot_connector, monkeypatch, app_id=APP_ID, teams_app_type="UserAssignedMSI",
        teams_app_password=None, teams_openid_metadata_url=token_service.metadata_url)
    yield harness, token_service
    await client.close()
    harness.ctx.engine.dispose()


async def test_a_correctly_signed_token_is_accepted_and_its_activity_handled(signed, sessions):
    teams, keys = signed
    token = keys.channel_token(APP_ID, teams.connector.url)
    response = await teams.post(teams.message("confidence rd-o1-kr3 9 signed and sealed"),
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201, await response.text()

    [reply] = teams.connector.of("reply")
    assert "9" in reply.text and "Average delivery time" in reply.text
    assert reply.authorization == f"Bearer outbound-{APP_ID}"  # the bot's own token, from its managed identity
    with sessions() as s:
        assert s.scalar(select(KeyResult.confidence).where(KeyResult.key == "rd-o1-kr3")) == 9
        assert s.scalar(select(CheckIn.note).where(CheckIn.source == "teams")) == "signed and sealed"
    assert keys.requests.count("/v1/keys") == 1

    again = await teams.post(teams.message("mine"), headers={"Authorization": f"Bearer {token}"})
    assert again.status == 201
    assert keys.requests.count("/v1/keys") == 1  # the keys are kept, not fetched per token


@pytest.mark.parametrize("forgery", [
    {"key": new_key()},  # signed by another key under the same key id
    {"lifetime": -600},  # expired ten minutes ago (the SDK allows five minutes of clock skew)
    {"aud": OTHER_APP_ID},  # a real token, for another bot
    {"serviceurl": "https://smba.evil.example/"},  # a real token, for another service URL
    {"iss": "https://sts.evil.example/"},  # signed by the right key, but not issued by the Bot Framework
], ids=["other-key", "expired", "wrong-audience", "other-service-url", "other-issuer"])
async def test_a_token_signed_wrong_or_for_someone_else_is_401_and_changes_nothing(signed, sessions, forgery):
    teams, keys = signed
    token = keys.channel_token(APP_ID, teams.connector.url, **forgery)
    headers = {"Authorization": f"Bearer {token}"}
    response = await teams.post(teams.message("confidence rd-o1-kr3 9"), headers=headers)
    assert response.status == 401
    fetch = await teams.post(teams.invoke("task/fetch", {"okrbot": {"action": "checkin_open"}}), headers=headers)
    assert fetch.status == 401
    assert teams.connector.calls == []
    assert keys.outbound_tokens == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0
        assert s.scalar(select(KeyResult.confidence).where(KeyResult.key == "rd-o1-kr3")) != 9


@pytest.fixture
async def single_tenant(database_url, clock, org_id, bot_connector, token_service, entra, monkeypatch):
    harness, client = await start_harness(database_url, clock, bot_connector, monkeypatch, app_id=APP_ID,
                                          teams_openid_metadata_url=token_service.metadata_url)
    yield harness, token_service, entra
    await client.close()
    harness.ctx.engine.dispose()


async def test_a_single_tenant_bot_answers_with_a_token_from_its_tenant(single_tenant, sessions):
    teams, keys, entra = single_tenant
    token = keys.channel_token(APP_ID, teams.connector.url)
    response = await teams.post(teams.message("confidence rd-o1-kr3 9"), headers={"Authorization": f"Bearer {token}"})
    assert response.status == 201, await response.text()
    [reply] = teams.connector.of("reply")
    assert reply.authorization == f"Bearer outbound-{APP_ID}-1"
    [request] = entra.token_requests
    assert request["client_id"] == APP_ID and request["client_secret"] == "secret"
    assert request["grant_type"] == "client_credentials" and request["scope"] == "https://api.botframework.com/.default"
