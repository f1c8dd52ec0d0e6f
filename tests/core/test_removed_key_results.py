"""A key result removed by an honest change stays removed everywhere (sandbox; SQLite and PostgreSQL): check-ins,
sources and scores are refused kindly, saying when and why; the four-square, the weekly report, `mine`, the
check-in and priority forms and the lint no longer list it. Slack, Teams, the REST API and the key result's page
have their own tests (tests/slack, tests/teams, tests/api, tests/sandbox)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.importer import ImportFailed, import_text
from storage.db import transaction
from storage.models import CheckIn, KeyResult, OkrChange
from tests.conftest import EXAMPLE, card_text

LEAD, ENGINEER = "director.rd@example.com", "engineer@example.com"
REASON = "the vendor dropped the product"


def _remove(chat) -> None:
    assert "rd-o1-kr4: removed" in card_text(chat.say(f"change rd-o1-kr4 remove because {REASON}", actor=LEAD))


def _checkins(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(CheckIn).join(KeyResult).where(
            KeyResult.key == "rd-o1-kr4", CheckIn.source != "import"))


def test_a_removed_key_result_takes_no_checkin_and_says_when_and_why(chat, sessions):
    _remove(chat)
    for text in ("confidence rd-o1-kr4 7 still going", "progress rd-o1-kr4 55", "p RD-O1-KR4 60",
                 "source rd-o1-kr4 {kind: http, url: 'https://ci.example.com/coverage', pointer: /total}"):
        answer = card_text(chat.say(text, actor=ENGINEER))
        assert "*rd-o1-kr4* was removed from its objective on" in answer, (text, answer)
        assert f"({REASON}), so it takes no more check-ins" in answer and "mine" in answer, answer
    assert _checkins(sessions) == 0
    assert "rd-o1-kr4" not in card_text(chat.say("mine", actor=ENGINEER))
    form = chat.say("checkin", actor=ENGINEER).form
    assert form is not None and not any(f.name.endswith(":" + str(_kr_id(sessions))) for f in form.fields)


def test_the_refusal_speaks_the_persons_language(chat):
    _remove(chat)
    chat.say("language zh-CN", actor=ENGINEER)
    answer = card_text(chat.say("confidence rd-o1-kr4 7", actor=ENGINEER))
    assert "已于" in answer and "移除" in answer and REASON in answer, answer
    chat.say("language es", actor=ENGINEER)
    answer = card_text(chat.say("confidence rd-o1-kr4 7", actor=ENGINEER))
    assert "se quitó de su objetivo el" in answer and REASON in answer, answer


def test_the_foursquare_the_report_and_the_priority_form_leave_it_out(chat, sessions):
    before = card_text(chat.say("okrs rd-efficiency", actor=LEAD))
    assert "rd-o1-kr4" in before or "Automated test coverage" in before, before
    report_before = card_text(chat.say("report rd-efficiency", actor=LEAD))
    assert "Automated test coverage" in report_before, report_before
    _remove(chat)
    after = card_text(chat.say("okrs rd-efficiency", actor=LEAD))
    assert "rd-o1-kr4" not in after and "Automated test coverage" not in after, after
    assert "Average delivery time" in after  # the live ones stay
    report = card_text(chat.say("report rd-efficiency", actor=LEAD))
    assert "Automated test coverage" not in report and "Average delivery time" in report, report
    form = chat.say("priorities", actor=ENGINEER, conversation="rd-efficiency").form
    choices = [o.value for f in (form.fields if form else ()) for o in (f.options or ())]
    assert "rd-o1-kr3" in choices and "rd-o1-kr4" not in choices, choices


def test_an_import_with_a_reason_removes_it_just_the_same(chat, sessions, clock):
    """A file marking a running cycle's key result `removed: WHY` is a change: refused without --reason, kept
    with its history with one; then check-ins are refused exactly as after `/okr change ... remove`."""
    line = ('      - {key: rd-o1-kr4, title: Automated test coverage of key interfaces, start: 40, target: 70, '
            'unit: "%", owner: engineer@example.com')
    text = EXAMPLE.read_text()
    assert line in text
    text = text.replace(line, line + ", removed: the interfaces moved to the platform team")
    try:
        with transaction(sessions) as s:
            import_text(s, text, clock.now())
        raise AssertionError("a removal without a reason was imported")
    except ImportFailed as failed:
        assert "rd-o1-kr4: removed (Automated test coverage of key interfaces)" in str(failed), str(failed)
    with transaction(sessions) as s:
        import_text(s, text, clock.now(), reason="platform reorganization")
    with sessions() as s:
        change = s.scalar(select(OkrChange).where(OkrChange.key_result_id == _kr_id(sessions)))
        assert (change.field, change.reason, change.source) == ("removed", "platform reorganization", "import")
    answer = card_text(chat.say("confidence rd-o1-kr4 7", actor=ENGINEER))
    assert "was removed from its objective on" in answer and "the interfaces moved to the platform team" in answer
    assert _checkins(sessions) == 0


def _kr_id(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(KeyResult.id).where(KeyResult.key == "rd-o1-kr4"))
