"""Priorities and plans name the key result they serve: typed, in the form, on the four-square, in the report."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import KeyResult, Plan, Priority
from tests.conftest import card_text


def _served(sessions) -> dict[str, str | None]:
    with sessions() as s:
        rows = s.execute(select(Priority.text, KeyResult.key)
                         .outerjoin(KeyResult, KeyResult.id == Priority.key_result_id).order_by(Priority.id)).all()
    return dict(rows)


def test_a_priority_names_its_key_result_or_none_and_the_four_square_groups_by_it(chat, sessions):
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API")
    chat.say("priority add P2 none Tidy the wiki")
    chat.say("priority add P1 Fix the flaky tests")  # the first word is no code: serves none, text kept whole
    chat.say("priority add P2 RD-O1-KR3 Review the vendor contract")  # a code in any case
    assert _served(sessions) == {"Ship the vendor API": "rd-o1-kr3", "Tidy the wiki": None,
                                 "Fix the flaky tests": None, "Review the vendor contract": "rd-o1-kr3"}
    text = card_text(chat.say("okrs"))
    grouped = text[text.index("_For rd-o1-kr3 · Average delivery time for requests:_"):]
    assert grouped.index("1. *P1* Ship the vendor API") < grouped.index("4. *P2* Review the vendor contract") \
        < grouped.index("_Serving no key result:_") < grouped.index("2. *P2* Tidy the wiki") \
        < grouped.index("3. *P1* Fix the flaky tests")


def test_the_form_offers_my_key_results_first_and_none(chat, sessions):
    form = chat.say("priorities").form
    select_ = next(f for f in form.fields if f.name == "kr:1")
    values = [o.value for o in select_.options]
    assert values[:2] == ["rd-o1-kr3", "rd-o1-kr4"]  # the engineer's own, first
    assert set(values) >= {"rd-o1-kr1", "rd-o1-kr2"} and values[-1] == "none"
    assert select_.initial == "rd-o1-kr3"

    refused = chat.submit("priorities", {"level:1": "P1", "text:1": "Ship it", "kr:1": "no-such-kr"}, form.metadata)
    assert refused.errors == {"kr:1": "That is not a key result of this organization; pick one from the list, or none."}
    assert _served(sessions) == {}
    chat.submit("priorities", {"level:1": "P1", "text:1": "Ship it", "kr:1": "rd-o1-kr4",
                               "level:2": "P2", "text:2": "Wiki", "kr:2": "none"}, form.metadata)
    assert _served(sessions) == {"Ship it": "rd-o1-kr4", "Wiki": None}


def test_carried_over_priorities_keep_their_key_result(chat, sessions, clock):
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API")
    clock.advance(days=7)
    chat.say("okrs")  # the first look at the new week carries it over
    with sessions() as s:
        rows = s.execute(select(Priority.week, Priority.key_result_id).order_by(Priority.id)).all()
    assert len(rows) == 2 and rows[0].key_result_id == rows[1].key_result_id is not None


def test_monday_flags_the_teams_key_results_no_priority_served_for_two_weeks(chat, sessions):
    text = card_text(chat.say("okrs"))
    assert "⚑ No priority moved *rd-o1-kr1*, *rd-o1-kr2*, *rd-o1-kr3*, *rd-o1-kr4* in 2 weeks." in text
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API")
    text = card_text(chat.say("okrs"))
    assert "⚑ No priority moved *rd-o1-kr1*, *rd-o1-kr2*, *rd-o1-kr4* in 2 weeks." in text
    assert "ecology-o7-kr1" not in text[text.index("⚑"):]  # only the team's own key results, not its parents'


def test_the_report_counts_the_work_that_served_no_key_result(chat):
    chat.say("priority add P1 rd-o1-kr3 Ship the vendor API")
    chat.say("priority add P2 none Tidy the wiki")
    text = card_text(chat.say("report rd-efficiency"))
    assert "_1 of 2 priorities served no key result._" in text
    chat.say("priority add P2 Plan the offsite")
    text = card_text(chat.say("report rd-efficiency"))
    assert "_2 of 3 priorities served no key result._ The method warns:" in text


def test_a_plan_names_its_key_result(chat, sessions):
    chat.say("plan rd-o1-kr1 Agile coaching for the two new squads")
    with sessions() as s:
        plan = s.scalar(select(Plan))
    assert plan.text == "Agile coaching for the two new squads" and plan.key_result_id is not None
    assert "• Agile coaching for the two new squads · for rd-o1-kr1" in card_text(chat.say("okrs"))
