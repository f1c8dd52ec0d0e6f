"""The whole command language end to end, through `Core.handle` on real databases.

Every bad input named in the issue gets a friendly message saying what was wrong and the right usage,
and writes nothing: the database fingerprint (every table's row count and every key result's state)
is the same before and after.
"""

import pytest
from sqlalchemy import func, select

from storage.models import Base, CheckIn, HealthMetric, KeyResult, Plan, Priority, Win
from tests.conftest import card_text

ENGINEER, LEAD = "engineer@example.com", "director.rd@example.com"


def fingerprint(sessions) -> tuple:
    with sessions() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables)
        krs = tuple(s.execute(select(KeyResult.key, KeyResult.confidence, KeyResult.current_value)
                              .order_by(KeyResult.key)).all())
        priorities = tuple(s.execute(select(Priority.id, Priority.status, Priority.reason).order_by(Priority.id)).all())
        return counts, krs, priorities


def text_of(reply) -> str:
    return card_text(reply)


# ------------------------------------------------------------------ the happy paths


def test_help_lists_every_command_and_help_topic_shows_one(chat):
    text = text_of(chat.say("help"))
    for command in ("mine", "confidence KR 1-10", "progress KR VALUE", "checkin", "priority add P1|P2 [KR|none] TEXT",
                    "priorities", "plan [KR|none] TEXT", "health NAME green|yellow|red", "win TEXT", "wins",
                    "okrs [TEAM]", "report [TEAM]", "align", "lint"):
        assert command in text, command
    assert text_of(chat.say("")) == text_of(chat.say("help"))  # nothing typed: help
    assert text_of(chat.say("help conf")).startswith("okrbot\n*/okr confidence KR 1-10 [note]*")


def test_mine_then_confidence_by_position_code_and_title_fragment(chat, sessions):
    mine = text_of(chat.say("mine"))
    assert "Zhou Qiang, your 2 key results." in mine
    assert mine.index("rd-o1-kr3") < mine.index("rd-o1-kr4")
    assert "Confidence 5 → *7*/10 since the previous check-in." in text_of(chat.say("confidence 1 7 vendor signed"))
    assert "Confidence 5 → *6*/10 since the previous check-in." in text_of(chat.say("conf rd-o1-kr4 6"))
    assert "Confidence 7 → *8*/10 since the previous check-in." in text_of(chat.say("c delivery 8/10"))
    assert "Confidence stays *8*/10." in text_of(chat.say("c 1 8 still on track"))
    with sessions() as s:
        notes = s.scalars(select(CheckIn.note).where(CheckIn.source == "sandbox").order_by(CheckIn.id)).all()
    assert notes == ["vendor signed", None, None, "still on track"]


def test_progress_moves_the_value_and_keeps_confidence(chat, sessions):
    text = text_of(chat.say("progress 1 40 two vendors onboarded"))
    assert "Confidence stays *5*/10, value now *40 days*." in text
    text = text_of(chat.say("p rd-o1-kr4 1,200.5%"))
    assert "value now *1,200.5 %*" in text
    with sessions() as s:
        assert s.scalar(select(KeyResult.current_value).where(KeyResult.key == "rd-o1-kr3")) == 40


def test_checkin_form_round_trip(chat, sessions):
    form = chat.say("checkin").form
    assert form.form_id == "checkin" and len(form.fields) == 6
    with sessions() as s:
        kr3, kr4 = s.scalars(select(KeyResult.id).where(KeyResult.key.in_(["rd-o1-kr3", "rd-o1-kr4"]))
                             .order_by(KeyResult.key)).all()
    reply = chat.submit("checkin", {f"confidence:{kr3}": "4", f"value:{kr3}": "41", f"note:{kr3}": "slower",
                                    f"confidence:{kr4}": "5"})
    assert "Saved 1 check-in. Thanks!" in text_of(reply)


def test_priorities_plan_health_win_and_the_views(chat, sessions):
    assert "Added P1: ship the vendor API" in text_of(chat.say("priority add P1 ship the vendor API"))
    assert "Added P2: write the runbook" in text_of(chat.say("prio P2 write the runbook"))
    assert "Done: 1. P1 ship the vendor API" in text_of(chat.say("priority done 1"))
    dropped = text_of(chat.say("priority drop #2 the vendor postponed"))
    assert "_Dropped, not counted:_\n2. ✖ P2 write the runbook: _the vendor postponed_" in dropped
    form = chat.say("priorities").form
    assert form.form_id == "priorities"
    saved = chat.submit("priorities", {"level:1": "P2", "text:1": "pair on onboarding"}, metadata=form.metadata)
    assert "Saved 1 priority." in text_of(saved)
    assert "Added to the next four weeks of R&D Efficiency: hire testers" in text_of(chat.say("plan hire testers"))
    assert "On-call load is now *red*: _paged twice_" in text_of(chat.say("health on-call red paged twice"))
    win = chat.say("win the vendor signed")
    assert win.visibility == "channel"
    assert "🎉 *Win* from Zhou Qiang (R&D Efficiency): the vendor signed" in text_of(win)
    assert "*1* win this week, from Zhou Qiang." in text_of(chat.say("wins"))
    assert chat.say("okr").card.title == "R&D Efficiency · four-square of 2026-W47"
    assert "*1. OKRs*" in text_of(chat.say("report"))
    assert chat.say("align").card.title == "Alignment · 2026-Q4"
    assert chat.say("lint").card.title == "OKR advice · 2026-Q4"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == 1
        assert s.scalar(select(func.count()).select_from(Win)) == 1
        assert s.scalars(select(Priority.status).order_by(Priority.id)).all() == ["done", "dropped", "open"]


def test_lead_commands_bind_schedule_skip_and_dashboard_answer(chat, sessions):
    said = {text: text_of(chat.say(text, actor=LEAD, conversation="C-rd")) for text in (
        "bind rd-efficiency", "schedule monday 09:30", "schedule friday off", "skip 2026-W52", "dashboard")}
    assert "This channel is now where *R&D Efficiency* gets its Monday four-square" in said["bind rd-efficiency"]
    assert "is now on Mondays at 09:30 (Asia/Shanghai time)" in said["schedule monday 09:30"]
    assert "of *R&D Efficiency* is off." in said["schedule friday off"]
    assert "*R&D Efficiency* skips its rituals in 2026-W52" in said["skip 2026-W52"]
    assert "OKR dashboard" in said["dashboard"]
    # The channel is bound now: team commands there are about its team, whoever runs them.
    assert chat.say("okrs", actor="liu.liu@example.com", conversation="C-rd").card.title.startswith("R&D Efficiency")


# ------------------------------------------------------------------ bad input writes nothing

BAD = [
    ("confidence 1 0", "`0` is not a confidence. Confidence is a whole number from 1 (no chance) to 10 (certain)",
     "confidence KR 1-10 [note]"),
    ("confidence 1 11", "`11` is not a confidence.", "confidence KR 1-10 [note]"),
    ("c 1 seven", "`seven` is not a confidence.", "confidence KR 1-10 [note]"),
    ("confidence 1 7.5", "`7.5` is not a confidence.", "confidence KR 1-10 [note]"),
    ("confidence 1", "Something is missing: a key result and a confidence from 1 to 10.", "confidence KR 1-10"),
    ("confidence nosuchthing 5", "No key result matches `nosuchthing`.", "confidence KR 1-10 [note]"),
    ("confidence teams 5", "`teams` matches more than one key result:", "confidence KR 1-10 [note]"),
    ("confidence 9 5", "You have 2 key results, so there is no number 9.", "confidence KR 1-10 [note]"),
    ("confidence retail-o3-kr1 5", "*retail-o3-kr1* belongs to Chen Hao", "confidence KR 1-10 [note]"),
    ("confidence 1 5 " + "n" * 501, "The note is too long (501 characters); keep it under 500.", "confidence KR"),
    ("progress 1 lots", "`lots` is not a number.", "progress KR VALUE [note]"),
    ("progress 1 NaN", "`NaN` is not a number.", "progress KR VALUE [note]"),
    ("frobnicate 1 2", "I don't know the command `frobnicate`. Try `/okr help` for the list.", "help"),
    ("priority explode 1", "`explode` is not something I can do with a priority.", "priority add P1|P2 [KR|none] TEXT"),
    ("priority add P3 polish", "`P3` is not a priority level.", "priority add P1|P2 [KR|none] TEXT"),
    ("priority add P1", "Something is missing: the priority's text.", "priority add P1|P2 [KR|none] TEXT"),
    ("priority add P1 " + "x" * 501, "The priority's text is too long (501 characters)", "priority add"),
    ("priority done 7", "R&D Efficiency has 0 priorities this week, so there is no number 7.", "priority add"),
    ("priority done x", "`x` is not a priority number.", "priority add P1|P2 [KR|none] TEXT"),
    ("priority drop 1", "Something is missing: a reason for dropping it.", "priority add P1|P2 [KR|none] TEXT"),
    ("priority drop 1 " + "r" * 501, "The reason is too long (501 characters)", "priority add P1|P2 [KR|none] TEXT"),
    ("plan", "Something is missing: what the plan is.", "plan [KR|none] TEXT"),
    ("plan    ", "Something is missing: what the plan is.", "plan [KR|none] TEXT"),
    ("plan " + "p" * 501, "The plan is too long (501 characters); keep it under 500.", "plan [KR|none] TEXT"),
    ("win", "Something is missing: what you won.", "win TEXT"),
    ("win " + "w" * 2001, "The win is too long (2001 characters); keep it under 2000.", "win TEXT"),
    ("health morale purple", "A health metric is green (good), yellow (watch it) or red (act now)", "health NAME"),
    ("health unknown-metric red", "R&D Efficiency has no health metric `unknown-metric`.", "health NAME"),
    ("health new Deploys green", "Only the leads of R&D Efficiency can do that", "health NAME"),
    ("schedule monday 25:00", "`25:00` is not a time.", "schedule monday|friday"),
    ("schedule sunday 10:00", "`sunday` is not a ritual.", "schedule monday|friday"),
    ("schedule monday someday 10:00", "`someday` is not a day of the week.", "schedule monday|friday"),
    ("skip W52", "`W52` is not a week. Name the week as an ISO week, like `2026-W52`.", "skip YYYY-Www"),
    ("bind", "Something is missing: the key of the team to bind this channel to.", "bind TEAM"),
    ("bind rd-efficiency", "Run this in the channel you want to bind.", "bind TEAM"),
    ("okrs nosuchteam", "There is no team `nosuchteam`.", None),
    ("report nosuchteam", "There is no team `nosuchteam`.", None),
]


@pytest.mark.parametrize(("text", "message", "usage"), BAD, ids=[t[:24] for t, _, _ in BAD])
def test_bad_input_gets_a_friendly_message_and_writes_nothing(chat, sessions, text, message, usage):
    chat.say("help")  # the first contact links the sandbox account: a write, but not this test's
    before = fingerprint(sessions)
    reply = chat.say(text)
    shown = text_of(reply)
    assert message in shown, shown
    if usage:
        assert f"Usage: `/okr {usage}" in shown, shown
    assert "Traceback" not in shown and "Something went wrong" not in shown
    assert fingerprint(sessions) == before


def test_a_typo_in_a_health_metric_is_caught_not_added(chat, sessions):
    """Even a lead's typo names the known metrics; only `health new` adds one."""
    before = fingerprint(sessions)
    text = text_of(chat.say("health on-cal lod red", actor=LEAD))
    assert "R&D Efficiency has no health metric `on-cal lod`. Did you mean `On-call load`?" in text, text
    assert "Its metrics: On-call load, Release stability." in text
    assert "`/okr health new on-cal lod COLOUR`" in text
    assert fingerprint(sessions) == before
    assert "Deploy frequency is now *green*" in text_of(chat.say("health new Deploy frequency green", actor=LEAD))
    assert "Deploy frequency is now *yellow*" in text_of(chat.say("health deploy frequency yellow"))
    assert "On-call load is now *red*" in text_of(chat.say("health new on-call load red", actor=LEAD))  # no twin
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(HealthMetric).where(HealthMetric.name.ilike("on-call%"))) == 1


def test_fifth_priority_is_refused_and_writes_nothing(chat, sessions):
    for n in range(4):
        chat.say(f"priority add P{1 + n % 2} thing {n}")
    chat.say("priority drop 4 not needed")  # a dropped one frees its place...
    chat.say("priority add P2 thing 4")
    before = fingerprint(sessions)
    shown = text_of(chat.say("priority add P1 a fifth thing"))  # ...but a fifth live one is refused
    assert "R&D Efficiency already has 4 priorities this week, the most the method allows" in shown
    assert "Usage: `/okr priority add P1|P2 [KR|none] TEXT" in shown
    assert fingerprint(sessions) == before
    form_refused = text_of(chat.say("priorities"))
    assert "already has 4 priorities" in form_refused
    assert fingerprint(sessions) == before


def test_a_form_with_one_bad_field_writes_nothing(chat, sessions):
    chat.say("help")
    with sessions() as s:
        kr3, kr4 = s.scalars(select(KeyResult.id).where(KeyResult.key.in_(["rd-o1-kr3", "rd-o1-kr4"]))
                             .order_by(KeyResult.key)).all()
    before = fingerprint(sessions)
    reply = chat.submit("checkin", {f"confidence:{kr3}": "7", f"confidence:{kr4}": "11", f"value:{kr4}": "many"})
    assert reply.errors == {
        f"confidence:{kr4}": "`11` is not a confidence: pick a whole number from 1 to 10.",
        f"value:{kr4}": "`many` is not a number: type a plain number like 62 or 62.5.",
    }
    assert fingerprint(sessions) == before
    empty = chat.submit("priorities", {"text:1": "  "})
    assert empty.errors == {"text:1": "Write at least one priority."}
    assert fingerprint(sessions) == before


def test_strangers_and_stale_buttons_get_words_not_traces(chat, sessions):
    chat.say("help")
    before = fingerprint(sessions)
    assert "I don't know you yet in *JD Retail*" in text_of(chat.say("mine", actor="stranger@example.com"))
    assert "That button or form is out of date" in text_of(chat.click("no_such_button"))
    assert "That button or form is out of date" in text_of(chat.click("priority_done", "999999"))
    assert fingerprint(sessions) == before
