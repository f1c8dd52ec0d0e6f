"""The fakes' random fault modes (tests/fakes/faults.py), as okrbot's own messenger and a plain client
see them: a 503, a 429 with Retry-After, and a post that was stored but whose answer never came."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.slack.messenger import SlackMessenger
from bot.model import Card, Conversation, DeliveryError, Text
from tests.fakes.bot_connector import start_bot_connector
from tests.fakes.faults import Faults
from tests.fakes.slack_api import FakeSlack

CARD = Card("Monday", (Text("four-square"),), fallback="Monday")
TO = Conversation("slack", "T0TEAM", "C0RDEFF")


async def _slack_post(faults: Faults) -> tuple[FakeSlack, DeliveryError]:
    async def token(workspace: str) -> str:
        return "xoxb-team"

    async with FakeSlack(faults=faults) as fake:
        messenger = SlackMessenger(fake.api_url, token)
        with pytest.raises(DeliveryError) as raised:
            await messenger.post(TO, CARD)
    return fake, raised.value


async def test_slack_faults_are_what_okrbot_sees_from_slack():
    fake, error = await _slack_post(Faults(server_errors=1.0))
    assert not error.permanent and fake.messages["C0RDEFF"] == []
    fake, error = await _slack_post(Faults(rate_limits=1.0, retry_after=3))
    assert not error.permanent and error.retry_after == 3.0 and fake.messages["C0RDEFF"] == []
    fake, error = await _slack_post(Faults(dropped=1.0))
    assert not error.permanent and error.reason.startswith("connection_failed")
    assert fake.messages["C0RDEFF"][0]["text"] == "Monday"  # it arrived; the answer did not
    assert fake.calls_to("chat.postMessage")[0].fault == "dropped"


async def test_bot_connector_faults_refuse_or_drop_writes():
    fake, runner = await start_bot_connector()
    fake.faults = Faults(server_errors=1 / 3, rate_limits=1 / 3, dropped=1 / 3, seed=7)
    seen = []
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(30):
                try:
                    async with http.post(f"{fake.url}v3/conversations/a:1/activities", json={"text": "hi"}) as answer:
                        seen.append((answer.status, answer.headers.get("Retry-After")))
                except aiohttp.ServerDisconnectedError:
                    seen.append(("dropped", None))
    finally:
        await runner.cleanup()
    assert set(seen) == {(503, None), (429, "1"), ("dropped", None)}
    dropped = [c for c in fake.calls if c.fault == "dropped"]
    assert len(dropped) == seen.count(("dropped", None)) == len(fake.delivered())  # carried out, unanswered
    assert all(c.activity_id for c in dropped)
    assert fake.faults.injected["dropped"] == len(dropped)


def test_shares_are_drawn_as_asked_and_reads_are_never_dropped():
    faults = Faults(server_errors=0.05, rate_limits=0.01, dropped=0.02, seed=1)
    kinds = [faults.draw(write=True) for _ in range(20_000)]
    assert 0.045 < kinds.count("5xx") / 20_000 < 0.055
    assert 0.007 < kinds.count("429") / 20_000 < 0.013
    assert 0.015 < kinds.count("dropped") / 20_000 < 0.025
    assert "dropped" not in {faults.draw(write=False) for _ in range(5_000)}
    assert Faults().draw(write=True) is None  # off by default
