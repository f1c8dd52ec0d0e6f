"""People who own no key result or are in no team get a specific answer, never the apology.

Their refusals carried the command prefix in their details while the core added it too, so the refusal
reply itself failed (issue 9 item 1) and every such person got "Sorry, something went wrong".
"""

import pytest

from bot.core import refusal_reply
from bot.errors import Refusal
from bot.importer import import_text
from storage.db import transaction
from tests.conftest import EXAMPLE, Chat, card_text

NO_KR = "hr.lead@example.com"  # Sun Mei leads Platform Ecology HR, whose key results others own
NO_TEAM = "loner@example.com"


@pytest.fixture
def chat(core, sessions, clock) -> Chat:
    text = EXAMPLE.read_text().replace("people:\n", "people:\n  - {email: loner@example.com, name: Lone Wolf}\n", 1)
    with transaction(sessions) as session:
        org_id = import_text(session, text, clock.now()).organization_id
    return Chat(core, org_id)


def assert_told(reply, *words: str) -> None:
    text = card_text(reply)
    assert "went wrong" not in text, text
    for word in words:
        assert word in text, text


def test_no_key_result_checkin_command_says_how(chat, caplog):
    assert_told(chat.say("checkin", actor=NO_KR), "You own no key results", "/okr confidence CODE N",
                "ask your lead")
    assert "ERROR" not in caplog.text


def test_no_key_result_update_my_confidence_button_says_how(chat, caplog):
    assert_told(chat.click("checkin_open", actor=NO_KR, conversation="ecology-hr"), "You own no key results")
    assert "ERROR" not in caplog.text


@pytest.mark.parametrize("command", ["win shipped it", "priority add P1 ship it", "priorities", "plan launch",
                                     "health Morale green", "okrs"])
def test_no_team_says_how(chat, command, caplog):
    assert_told(chat.say(command, actor=NO_TEAM), "You're not in a team yet", "/okr bind TEAM", "ask your lead")
    assert "ERROR" not in caplog.text


def test_a_refusal_naming_the_prefix_itself_still_renders_with_the_platforms():
    reply = refusal_reply(Refusal("no_team", prefix="/okr"), "@okrbot", in_form=False)
    assert "`@okrbot bind TEAM`" in card_text(reply)
