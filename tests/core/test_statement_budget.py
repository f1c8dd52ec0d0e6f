"""The statements a check-in costs: every `/okr confidence` pays them inside Slack's 3-second ack."""

from __future__ import annotations

import pytest

from tests.conftest import card_text


def _queries(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.startswith(("BEGIN", "PRAGMA"))]


@pytest.mark.parametrize("ref", ["1", "rd-o1-kr3", "RD-O1-KR3"])
def test_a_confidence_check_in_is_one_read_for_who_one_for_what_and_two_writes(chat, statements, ref):
    """Plus, for the reply's "since last week", one read for the owning team's zone and one for the value at the
    end of last week in it (the same number the team's Monday post shows). The writes come last: the UPDATE
    locks the key result's row until the commit, and every other check-in of it waits that long."""
    chat.say("confidence 1 6")  # the first request links the sandbox account by email
    with statements.counting() as seen:
        reply = chat.say(f"confidence {ref} 7 steady")
    assert "7" in card_text(reply) and "rd-o1-kr" in card_text(reply)
    queries = _queries(seen)
    assert [q.split()[0] for q in queries] == ["SELECT", "SELECT", "WITH", "SELECT", "INSERT", "UPDATE"], queries
