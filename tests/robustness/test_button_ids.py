"""A button value that is no row id of ours (too big for the column, a non-ASCII digit) is a stale button,
told as such: not "something went wrong on our side" with a stack trace in the log."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("value", ["99999999999", "2147483648", "²"])
@pytest.mark.parametrize("action", ["priority_done", "priorities_open", "win_open"])
async def test_an_impossible_id_in_a_button_is_not_an_internal_error(everything, action, value, caplog):
    status, _ = await everything.slack.click(action, value)
    assert status == 200
    told = json.dumps(everything.slack.fake.bodies("response_url") + everything.slack.fake.bodies("views.open"))
    assert "on our side" not in told
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
