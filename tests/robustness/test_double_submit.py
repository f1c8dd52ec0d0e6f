"""The same form sent twice (a double click, a retry), one after the other and at the same moment, stores
once: Slack modals (the same view id and hash) and Teams dialogs (two task/submit activities of one
dialog), for each form people can send: check-in, win and priorities. Opening the form again and sending
it is a new sending, and is stored again."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.models import CheckIn, KeyResult, Priority, Team, Win

KINDS = ("checkin", "win", "priorities")
STORED = {"checkin": CheckIn, "win": Win, "priorities": Priority}


def _ids(sessions) -> tuple[int, int]:
    with sessions() as s:
        kr = s.scalar(select(KeyResult.id).where(KeyResult.key == "rd-o1-kr3"))
        team = s.scalar(select(Team.id).where(Team.key == "rd-efficiency"))
    return kr, team


def _opening(kind: str, team: int) -> tuple[str, str]:
    """The button that opens the form: its action id and value."""
    return {"checkin": ("checkin_open", ""), "win": ("win_open", f"{team}:"),
            "priorities": ("priorities_open", str(team))}[kind]


def _values(kind: str, kr: int, n: int) -> dict[str, str]:
    return {"checkin": {f"confidence:{kr}": str(3 + n)}, "win": {"text": f"Shipped release {n}"},
            "priorities": {"level:1": "P1", "text:1": f"Ship the vendor API, take {n}"}}[kind]


def _count(sessions, kind: str) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(STORED[kind]))


@pytest.mark.parametrize("kind", KINDS)
async def test_a_slack_modal_sent_twice_stores_once(kind, slack, sessions, fake_slack):
    kr, team = _ids(sessions)
    before = _count(sessions, kind)

    async def opened(n: int) -> dict:
        action, value = _opening(kind, team)
        status, _ = await slack.click(action, value)
        assert status == 200
        view = fake_slack.bodies("views.open")[-1]["view"]
        return {**view, "id": f"V0{kind}{n}", "hash": f"{n}.h"}  # as Slack sends it back: its id and hash

    view = await opened(1)
    answers = await asyncio.gather(slack.submit(view, _values(kind, kr, 1)), slack.submit(view, _values(kind, kr, 1)))
    assert [status for status, _ in answers] == [200, 200]
    assert _count(sessions, kind) == before + 1
    status, body = await slack.submit(view, _values(kind, kr, 1))  # a retry, later
    assert status == 200 and not body  # the modal closes
    assert _count(sessions, kind) == before + 1

    view = await opened(2)  # opened again: a new sending, stored again
    await slack.submit(view, _values(kind, kr, 2))
    assert _count(sessions, kind) == before + 2


async def test_a_refused_slack_modal_can_be_corrected_and_sent_again(slack, sessions, fake_slack):
    kr, _team = _ids(sessions)
    before = _count(sessions, "checkin")
    await slack.click("checkin_open")
    view = {**fake_slack.bodies("views.open")[-1]["view"], "id": "V0FIX", "hash": "1.h"}
    status, body = await slack.submit(view, {f"confidence:{kr}": "8", f"value:{kr}": "forty"})
    assert body["response_action"] == "errors"
    status, body = await slack.submit(view, {f"confidence:{kr}": "8", f"value:{kr}": "40"})
    assert status == 200 and not body
    assert _count(sessions, "checkin") == before + 1


def _submit_data(card: dict) -> dict:
    [action] = card["actions"]
    return action["data"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_teams_dialog_sent_twice_stores_once(kind, teams, sessions):
    kr, team = _ids(sessions)
    before = _count(sessions, kind)

    async def opened() -> dict:
        action, value = _opening(kind, team)
        response = await teams.post(teams.invoke("task/fetch", {"msteams": {"type": "task/fetch"},
                                                                 "okrbot": {"action": action, "value": value}}))
        return (await response.json())["task"]["value"]["card"]["content"]

    data = {**_submit_data(await opened()), **_values(kind, kr, 1)}
    # A double click: two task/submit activities (two activity ids) carrying the same dialog.
    first, second = await asyncio.gather(teams.post(teams.invoke("task/submit", data)),
                                         teams.post(teams.invoke("task/submit", data)))
    assert (first.status, second.status) == (200, 200)
    assert _count(sessions, kind) == before + 1
    again = await teams.post(teams.invoke("task/submit", data))
    assert "already sent" in str(await again.json())
    assert _count(sessions, kind) == before + 1

    await teams.post(teams.invoke("task/submit", {**_submit_data(await opened()), **_values(kind, kr, 2)}))
    assert _count(sessions, kind) == before + 2


async def test_a_teams_card_form_sent_twice_in_the_chat_stores_once(teams, sessions):
    kr, _team = _ids(sessions)
    before = _count(sessions, "checkin")
    await teams.say("checkin")
    card = teams.connector.of("reply")[-1].card
    data = {**_submit_data(card), f"confidence:{kr}": "9"}
    await asyncio.gather(teams.post(teams.activity("engineer", value=data, replyToId="1700000000001")),
                         teams.post(teams.activity("engineer", value=data, replyToId="1700000000001")))
    assert _count(sessions, "checkin") == before + 1
    assert len(teams.connector.of("update")) == 1  # the card was replaced once, by the first sending
