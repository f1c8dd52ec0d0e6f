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
