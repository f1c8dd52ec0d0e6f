"""/api/messages answers malformed or unsupported activities with a 4xx, never a 5xx."""

from __future__ import annotations

import pytest

from tests.teams.conftest import TENANT


def invoke(name: str, **fields) -> dict:
    return {"type": "invoke", "name": name, "id": "1", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:9",
            "from": {"id": "29:engineer", "aadObjectId": "aad-engineer"}, "recipient": {"id": "28:okrbot"},
            "conversation": {"id": "a:personal-engineer", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}, **fields}


@pytest.mark.parametrize("activity", [
    invoke("adaptiveCard/action"),  # botbuilder answers with an Exception it cannot serialise
    invoke("adaptiveCard/action", value={"action": "nope"}),
    invoke("task/submit", value="not an object"),
    invoke("task/fetch", value=[1, 2]),
    invoke("composeExtension/query", value={}),  # an invoke okrbot does not handle: botbuilder says 501
    invoke("no/such/invoke"),
], ids=["card-action-no-value", "card-action-bad-value", "submit-str", "fetch-list", "compose", "unknown"])
async def test_a_malformed_or_unknown_invoke_is_a_4xx(everything, activity):
    response = await everything.client.post("/api/messages", json=activity)
    assert 200 <= response.status < 500, await response.text()
    assert "Traceback" not in await response.text()


async def test_a_command_activity_delivered_twice_is_stored_once(teams, sessions):
    """Found by bench/chaos.py: the Bot Connector delivers an activity again when okrbot's answer was slow or
    lost; the same activity id must not store a second check-in, win or priority."""
    from sqlalchemy import func, select

    from storage.models import CheckIn, Priority, Win

    def counts() -> tuple[int, int, int]:
        with sessions() as s:
            return tuple(s.scalar(select(func.count()).select_from(model)) for model in (CheckIn, Win, Priority))

    before = counts()
    for text in ("confidence rd-o1-kr3 6 redelivered", "win redelivered win", "priority add P2 redelivered one"):
        activity = teams.message(text)
        first = await teams.post(activity)
        again = await teams.post(activity)  # the same activity, same id
        assert first.status in (200, 201) and again.status in (200, 201)
    assert counts() == tuple(n + 1 for n in before)
    await teams.say("confidence rd-o1-kr3 7 a new message")  # another activity id: stored
    assert counts()[0] == before[0] + 2
