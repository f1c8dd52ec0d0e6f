"""Priorities people can refer to safely (issue 9, item 5): numbers that never shift, one cap counted one
way, explicit changes with a reopen, and no reason overwritten silently."""

from __future__ import annotations

from sqlalchemy import select

from bot.model import Actions
from storage.models import Priority
from tests.core.test_commands import fingerprint, text_of


def statuses(sessions) -> dict[str, tuple[str, str | None]]:
    with sessions() as s:
        return {p.text: (p.status, p.reason) for p in s.scalars(select(Priority).order_by(Priority.id))}


def test_adding_a_p1_does_not_renumber_so_drop_4_hits_what_it_meant(chat, sessions):
    """The report: adding a P1 renumbered the list, so `priority drop 4` hit an already dropped item
    and silently replaced its reason."""
    for text in ("P2 write the runbook", "P2 tidy the backlog", "P1 ship the API", "P2 demo prep"):
        chat.say(f"priority add {text}")
    chat.say("priority drop 4 the demo moved")
    shown = text_of(chat.say("priority add P1 fix the flaky tests"))
    assert "5. P1 fix the flaky tests" in shown and "4. ✖ P2 demo prep: _the demo moved_" in shown
    assert "1. P2 write the runbook" in shown  # P2s added first keep their numbers although P1s came later
    before = fingerprint(sessions)
    again = text_of(chat.say("priority drop 4 no longer needed"))
    assert "Priority 4 (_demo prep_) is already dropped, because _the demo moved_; nothing changed." in again
    assert "`/okr priority reopen 4`" in again
    assert fingerprint(sessions) == before
    assert statuses(sessions)["demo prep"] == ("dropped", "the demo moved")


def test_the_cap_counts_done_and_carried_ones_and_every_list_says_so(chat, sessions):
    for n in range(4):
        chat.say(f"priority add P1 thing {n + 1}")
    chat.say("priority done 1")
    refused = text_of(chat.say("priority add P2 a fifth"))
    assert "already has 4 priorities this week" in refused and "open, done and carried-over ones count" in refused
    chat.say("priority drop 2 not needed")
    listed = text_of(chat.say("priority add P2 a fifth"))
    assert "4 of at most 4 (carried-over ones count, dropped ones do not)" in listed
    counted = listed.split("_Dropped, not counted:_")[0]
    assert counted.count("\n1.") + counted.count("\n3.") + counted.count("\n4.") + counted.count("\n5.") == 4
    board = "\n".join(e.markdown for e in chat.say("okrs").card.elements if hasattr(e, "markdown"))
    assert "*This week's priorities*: 4 of at most 4" in board
    assert "2. ✖ *P1* thing 2: _not needed_" in board.split("_Dropped, not counted:_")[1]


def test_done_and_dropped_do_not_flip_silently_and_reopen_undoes_either(chat, sessions):
    chat.say("priority add P1 ship the API")
    chat.say("priority add P2 write the runbook")
    chat.say("priority done 1")
    chat.say("priority drop 2 vendor postponed")
    before = fingerprint(sessions)
    assert "is done, so I did not mark it dropped" in text_of(chat.say("priority drop 1 changed my mind"))
    assert "is dropped because _vendor postponed_, so I did not mark it done" in text_of(chat.say("priority done 2"))
    assert "is already done; nothing changed" in text_of(chat.say("priority done 1"))
    assert fingerprint(sessions) == before

    reopened = chat.say("priority reopen 2")
    assert "Reopened: 2. P2 write the runbook (open again)" in text_of(reopened)
    assert statuses(sessions)["write the runbook"] == ("open", None)
    assert "is open already; there is nothing to reopen" in text_of(chat.say("priority reopen 2"))

    # The button: the listing after a change offers Reopen for each closed item, and it works.
    [actions] = [e for e in chat.say("priority drop 2 for real this time").card.elements if isinstance(e, Actions)]
    reopen = {b.label: b for b in actions.buttons}
    assert set(reopen) == {"Reopen 1", "Reopen 2"}
    assert "Reopened: 1. P1 ship the API" in text_of(chat.click("priority_reopen", reopen["Reopen 1"].value))
    assert statuses(sessions) == {"ship the API": ("open", None),
                                  "write the runbook": ("dropped", "for real this time")}


def test_reopening_a_dropped_one_respects_the_cap(chat, sessions):
    for n in range(4):
        chat.say(f"priority add P1 thing {n + 1}")
    chat.say("priority drop 4 not needed")
    chat.say("priority add P1 thing 5")
    before = fingerprint(sessions)
    assert "already has 4 priorities this week" in text_of(chat.say("priority reopen 4"))
    assert fingerprint(sessions) == before


def test_a_second_click_on_done_says_so_and_a_done_button_cannot_undrop(chat, sessions):
    chat.say("priority add P1 ship the API")
    with sessions() as s:
        priority_id = str(s.scalar(select(Priority.id)))
    assert "Done: 1. P1 ship the API" in text_of(chat.click("priority_done", priority_id))
    assert "is already done; nothing changed" in text_of(chat.click("priority_done", priority_id))
    chat.say("priority reopen 1")
    chat.say("priority drop 1 vendor gone")
    assert "so I did not mark it done" in text_of(chat.click("priority_done", priority_id))
    assert statuses(sessions)["ship the API"] == ("dropped", "vendor gone")


def test_carried_over_ones_keep_their_order_and_count(chat, sessions, clock):
    for text in ("P2 tidy the backlog", "P1 ship the API", "P1 hire testers"):
        chat.say(f"priority add {text}")
    chat.say("priority done 3")
    clock.advance(days=7)
    listed = text_of(chat.say("priority add P1 new week thing"))
    assert "3 of at most 4" in listed
    assert ("1. P2 tidy the backlog · _carried over_\n2. P1 ship the API · _carried over_\n"
            "3. P1 new week thing") in listed
    assert "already has 4 priorities" not in listed
    assert "4 of at most 4" in text_of(chat.say("priority add P2 the fourth"))
    assert "already has 4 priorities this week" in text_of(chat.say("priority add P2 one too many"))
