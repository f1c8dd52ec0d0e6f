"""The bot's own token for the Bot Connector: fetched once and kept, and never fetched on the event loop.

The SDK made new credentials (a new msal client, an empty cache) for every turn, and msal fetched
the token synchronously on the event loop when the reply was signed: a round trip to Entra ID per
message answered, and a stalled Entra ID froze the server. Here Entra ID is the fake at
login.microsoftonline.com (tests/fakes/entra.py), the bot a SingleTenant one (the default).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import func, select

from adapters.teams import credentials
from storage.models import CheckIn
from tests.teams.conftest import start_harness

APP_ID = "00000000-0000-0000-0000-00000000b07d"
FAST = 0.3  # seconds: far above a local answer, far below Entra ID's stall


@pytest.fixture
async def bot(database_url, clock, org_id, bot_connector, token_service, entra, monkeypatch):
    monkeypatch.setattr(credentials, "TOKEN_TIMEOUT", 0.5)  # how long a send waits for the token (10 s live)
    harness, client = await start_harness(database_url, clock, bot_connector, monkeypatch, app_id=APP_ID,
                                          teams_openid_metadata_url=token_service.metadata_url)
    yield harness, token_service, entra
    await client.close()
    harness.ctx.engine.dispose()


def _signed(harness, keys) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.channel_token(APP_ID, harness.connector.url)}"}


async def test_the_token_is_fetched_once_for_many_answers(bot):
    teams, keys, entra = bot
    for text in ("mine", "confidence rd-o1-kr3 8", "okrs"):
        response = await teams.post(teams.message(text), headers=_signed(teams, keys))
        assert response.status == 201
    assert len(teams.connector.of("reply")) == 3
    assert len(entra.token_requests) == 1
    assert {call.authorization for call in teams.connector.calls} == {f"Bearer outbound-{APP_ID}-1"}


async def test_a_stalled_entra_id_freezes_nothing_and_the_activity_can_be_sent_again(bot, sessions):
    teams, keys, entra = bot
    entra.stall = 2.0
    activity = teams.message("confidence rd-o1-kr3 8 after the stall")
    pending = asyncio.create_task(teams.post(activity, headers=_signed(teams, keys)))
    await asyncio.sleep(0)  # let it reach the token fetch (a suspension point, not a wait)
    for _ in range(3):
        began = time.monotonic()
        health = await teams.client.get("/healthz")
        assert health.status == 200 and time.monotonic() - began < FAST
    response = await pending
    assert response.status == 503  # the Bot Connector sends it again later
    assert teams.connector.calls == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0

    entra.stall = 0.0
    again = await teams.post(activity, headers=_signed(teams, keys))
    assert again.status == 201
    [reply] = teams.connector.of("reply")
    assert "8" in reply.text
    with sessions() as s:
        assert s.scalar(select(CheckIn.note).where(CheckIn.source == "teams")) == "after the stall"


async def test_direct_messages_and_answers_reuse_one_connector_client(bot, monkeypatch):
    """botbuilder built a ConnectorClient (and a user-token client) for every turn and every proactive send: about
    17 ms of CPU each on a loaded host. One client per app, audience and serviceUrl now serves them all, on the
    one kept token."""
    from botframework.connector.aio import ConnectorClient

    from bot.model import Card, Text
    from tests.teams.conftest import TENANT

    teams, keys, entra = bot
    built: list[object] = []
    build = ConnectorClient.__init__

    def counted(self, *args, **kwargs) -> None:
        built.append(kwargs.get("base_url"))
        build(self, *args, **kwargs)

    monkeypatch.setattr(ConnectorClient, "__init__", counted)
    assert (await teams.post(teams.message("help"), headers=_signed(teams, keys))).status == 201  # the chat's reference
    await teams.messenger.send_direct("aad-engineer", TENANT, Card(None, (Text("Check-in time"),)))
    first = len(built)
    assert 1 <= first <= 2  # the answer's client; the send's, if its audience differs
    for n in range(5):
        await teams.messenger.send_direct("aad-engineer", TENANT, Card(None, (Text(f"Check-in time {n}"),)))
        assert (await teams.post(teams.message("mine"), headers=_signed(teams, keys))).status == 201
    assert len(teams.connector.of("send")) == 6 and len(teams.connector.of("reply")) == 6
    assert len(built) == first, built  # before: one more for every send and every answer
    assert len(entra.token_requests) == 1
