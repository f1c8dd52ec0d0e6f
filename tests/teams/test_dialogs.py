"""Forms as dialogs (task/fetch, task/submit: the answer is in the HTTP body) and as cards in the chat."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import CheckIn, KeyResult
from tests.teams.conftest import assert_valid


def _inputs(card: dict) -> dict[str, dict]:
    return {item["id"]: item for item in card["body"] if item["type"].startswith("Input.")}


def _submit_data(card: dict) -> dict:
    [action] = card["actions"]
    assert action["type"] == "Action.Submit"
    return action["data"]


async def _open_checkin(teams) -> dict:
    # The "Check in" button of `mine` is a task/fetch; its data is what the card carries.
    await teams.say("mine")
    card = teams.connector.of("reply")[-1].card
    [button] = [a for item in card["body"] if item["type"] == "ActionSet" for a in item["actions"]]
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    response = await teams.post(teams.invoke("task/fetch", button["data"]))
    assert response.status == 200
    body = await response.json()
    assert body["task"]["type"] == "continue"
    assert body["task"]["value"]["title"] == "Weekly check-in"
    assert_valid(body["task"]["value"]["card"]["content"])
    return body["task"]["value"]["card"]["content"]


async def test_button_opens_the_checkin_dialog_and_a_bad_value_comes_back_by_its_field(teams, sessions):
    card = await _open_checkin(teams)
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
    inputs = _inputs(card)
    assert inputs[f"confidence:{kr.id}"]["type"] == "Input.ChoiceSet"
    assert inputs[f"value:{kr.id}"]["type"] == "Input.Number"

    data = {**_submit_data(card), f"confidence:{kr.id}": "7", f"value:{kr.id}": "forty"}
    response = await teams.post(teams.invoke("task/submit", data))
    body = await response.json()
    assert body["task"]["type"] == "continue"
    again = body["task"]["value"]["card"]["content"]
    assert_valid(again)
    ids = [item.get("id") for item in again["body"]]
    position = ids.index(f"value:{kr.id}")
    error = again["body"][position + 1]
    assert error["type"] == "TextBlock" and error["color"] == "Attention" and "forty" in error["text"]
    assert _inputs(again)[f"confidence:{kr.id}"]["value"] == "7"  # what was typed is kept
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0

    data = {**_submit_data(again), f"confidence:{kr.id}": "8", f"value:{kr.id}": "40", f"note:{kr.id}": "faster CI"}
    response = await teams.post(teams.invoke("task/submit", data))
    body = await response.json()
    assert "8" in str(body["task"]["value"]["card"]["content"])
    with sessions() as s:
        kr = s.get(KeyResult, kr.id)
        assert (kr.confidence, kr.current_value) == (8, 40)


async def test_checkin_command_draws_the_form_in_the_chat_and_submits_in_place(teams, sessions):
    await teams.say("checkin")
    form_message = teams.connector.of("reply")[-1]
    card = form_message.card
    message_id = "1700000000001"  # the fake's first id: the form message
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr4"))
    data = {**_submit_data(card), f"confidence:{kr.id}": "12"}
    await teams.post(teams.activity("engineer", value=data, replyToId=message_id))
    [update] = teams.connector.of("update")
    assert update.activity_id == message_id
    assert any(i.get("color") == "Attention" for i in update.card["body"])
    data = {**_submit_data(card), f"confidence:{kr.id}": "3"}
    await teams.post(teams.activity("engineer", value=data, replyToId=message_id))
    last = teams.connector.of("update")[-1]
    assert last.activity_id == message_id and "Input.ChoiceSet" not in str(last.card)
    with sessions() as s:
        assert s.get(KeyResult, kr.id).confidence == 3


async def test_a_forged_or_stale_submit_changes_nothing(teams, sessions):
    response = await teams.post(teams.invoke("task/submit", {"okrbot": {"form": "nonsense"}, "confidence:1": "9"}))
    assert response.status == 200
    body = await response.json()
    assert "out of date" in str(body)
    response = await teams.post(teams.invoke("task/fetch", {"okrbot": {"action": "no_such_button"}}))
    assert "out of date" in str(await response.json())
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0
