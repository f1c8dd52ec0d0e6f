from sqlalchemy import func, select

from storage.models import CheckIn, KeyResult
from tests.conftest import card_text


def test_confidence_by_position_is_recorded_and_shown(chat, sessions):
    reply = chat.say("mine")
    assert "Average delivery time" in card_text(reply)
    reply = chat.say("confidence 1 7 vendor signed")
    assert "5 → *7*/10" in card_text(reply), card_text(reply)
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        assert kr.confidence == 7
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.key_result_id == kr.id)) == 2


def test_bad_confidence_writes_nothing(chat, sessions):
    for text in ("confidence 1 11", "confidence 1 0", "c 1 seven", "conf nope 5", "confidence"):
        reply = chat.say(text)
        assert "Usage" in card_text(reply), (text, card_text(reply))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source != "import")) == 0
