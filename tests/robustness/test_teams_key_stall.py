"""Forged Teams tokens against a stalled signing-key endpoint never freeze the server (issue 10, item 1).

botbuilder fetched the keys with blocking `requests`, no timeout, on the event loop, for every
token claiming the Bot Framework issuer while it had none: each forged request froze every route.
Here the key endpoint is a tarpit; /healthz and a signed Slack command must answer at their usual
speed while forged tokens wait on it, the forged requests are refused, and the next ones during the
backoff are refused at once without touching the endpoint again.
"""

from __future__ import annotations

import asyncio
import time

import jwt
from sqlalchemy import func, select

from adapters.slack.routes import BRIDGE
from storage.models import ConversationRef
from tests.fakes.token_service import ISSUER, new_key
from tests.slack.conftest import SlackSender, slack_settings, start_app
from tests.teams.conftest import TENANT

APP_ID = "00000000-0000-0000-0000-00000000b07d"
FAST = 0.5  # seconds: far above a local answer, far below the tarpit's stall


def forged_activity(n: int) -> dict:
    return {"type": "message", "id": f"forged-{n}", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:9/",
            "from": {"id": "29:mallory"}, "recipient": {"id": "28:okrbot"}, "text": "mine",
            "conversation": {"id": "a:forged", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}}


def forged_token() -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": "http://127.0.0.1:9/", "nbf": now, "exp": now + 600}
    return jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": "a-key-nobody-has"})


async def test_forged_tokens_against_a_stalled_key_endpoint_freeze_nothing(
        database_url, org_id, clock, fake_slack, tarpit, sessions):
    settings = slack_settings(database_url, fake_slack, teams_app_id=APP_ID, teams_app_password="secret",
                              teams_tenant_id=TENANT, teams_openid_metadata_url=tarpit.url)
    ctx, app, client = await start_app(settings, clock)
    slack = SlackSender(client, fake_slack)
    headers = {"Authorization": f"Bearer {forged_token()}"}
    try:
        started = time.monotonic()
        forged = [asyncio.create_task(client.post("/api/messages", json=forged_activity(n), headers=headers))
                  for n in range(5)]
        await asyncio.sleep(0)  # let them reach the key fetch (a suspension point, not a wait)

        for _ in range(3):
            began = time.monotonic()
            health = await client.get("/healthz")
            assert health.status == 200 and time.monotonic() - began < FAST
        began = time.monotonic()
        status, _ = await slack.command("mine")
        assert status == 200 and time.monotonic() - began < FAST

        answers = await asyncio.gather(*forged)
        assert {answer.status for answer in answers} <= {401, 503}
        # The five tokens shared one fetch (aiohttp retries a GET once when the server hangs up on it).
        assert 1 <= tarpit.connections <= 2
        assert time.monotonic() - started < 5
        knocks = tarpit.connections

        # Backing off: the next forged token is refused at once, and nobody knocks on the tarpit again.
        began = time.monotonic()
        again = await client.post("/api/messages", json=forged_activity(9), headers=headers)
        assert again.status == 503 and int(again.headers["Retry-After"]) >= 1
        assert time.monotonic() - began < FAST and tarpit.connections == knocks
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(ConversationRef)) == 0
    finally:
        await app[BRIDGE].drain()
        await client.close()
        ctx.engine.dispose()
