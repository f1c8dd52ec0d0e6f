"""/slack/events answers every malformed or forged request with a 4xx, never a 500, and runs nothing."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from storage.models import CheckIn
from tests.slack.conftest import ENGINEER, TEAM

FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ('"a string"', "application/json"),
    (urlencode({"payload": "{not json"}), FORM),
    (urlencode({"payload": "[]"}), FORM),
]


def checkins(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(CheckIn))


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_an_unsigned_malformed_body_is_401(everything, body, content_type):
    response = await everything.client.post("/slack/events", data=body.encode(),
                                            headers={"Content-Type": content_type})
    assert response.status == 401


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_a_signed_malformed_body_is_400(everything, body, content_type):
    status, _ = await everything.slack.post(body, content_type)
    assert status == 400


async def test_non_utf8_is_refused_not_a_crash(everything):
    body = b"\xff\xfe\x00payload"
    response = await everything.client.post("/slack/events", data=body,
                                            headers=everything.slack.headers("x", "application/json"))
    assert response.status == 401  # the signature was made over other bytes
    assert "Traceback" not in await response.text()


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "99999999999999999999999"])
async def test_a_garbage_timestamp_is_401_and_changes_nothing(everything, timestamp):
    before = checkins(everything.ctx.sessions)
    body = urlencode({"command": "/okr", "text": "confidence rd-o1-kr1 2", "team_id": TEAM, "user_id": ENGINEER})
    response = await everything.client.post("/slack/events", data=body.encode(), headers={
        "Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00"})
    assert response.status == 401
    assert checkins(everything.ctx.sessions) == before


PAYLOADS = [
    {"type": "block_actions", "team": {"id": TEAM}, "actions": [{"action_id": "x", "type": "button"}]},
    {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": ENGINEER}, "view": None},
    {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": ENGINEER},
     "view": {"callback_id": "checkin", "private_metadata": "[1]", "state": {"values": {"a": "str"}}}},
]


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_a_signed_payload_missing_fields_is_a_4xx(everything, payload):
    status, _ = await everything.slack.interactive(payload)
    assert 200 <= status < 500



@pytest.mark.parametrize("event", [
    {"type": "message", "channel": "C1", "thread_ts": "1.0", "ts": "2.0", "user": ENGINEER, "text": ["x"]},
    {"type": "message", "subtype": "message_changed", "channel": "C1", "message": "x"},
    {"type": "app_home_opened", "tab": "home"},
])
async def test_a_signed_event_with_wrong_types_is_a_4xx(everything, event):
    status, _ = await everything.slack.event(event)
    assert 200 <= status < 500


async def test_a_failing_command_tells_the_person_instead_of_a_500(everything):
    """A slash command whose listener fails still answers 200 with an apology the person sees."""
    status, body = await everything.slack.post(urlencode({"command": "/okr", "text": "mine", "team_id": TEAM}), FORM)
    assert status == 200
    assert "went wrong" in json.dumps(body).lower() or "sorry" in json.dumps(body).lower()


async def test_slacks_unsigned_ssl_check_is_still_answered(everything):
    """Slack probes a slash command's certificate with an unsigned ssl_check=1 POST (bolt-js #1397)."""
    response = await everything.client.post("/slack/events", data=b"ssl_check=1&token=legacy",
                                            headers={"Content-Type": FORM})
    assert response.status == 200
