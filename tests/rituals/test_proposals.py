"""Proposals and votes (bot.services.proposals), on SQLite and PostgreSQL: anyone proposes while a cycle is
planning; the company's leads shortlist and merge duplicates; everyone has the same few votes, one per
proposal; the ranked result is posted in the company channel by the clock, exactly once; bad input is
answered kindly and changes nothing."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from bot.cycles import new_cycle
from bot.rituals.sweep import sweep
from bot.services.proposals import VOTES
from storage.db import transaction
from storage.models import Organization, Proposal, Vote
from tests.conftest import card_text
from tests.rituals.conftest import runs_of, sandbox_messages

CEO, VP, LEAD, ENGINEER, HR = ("ceo@example.com", "vp.ecology@example.com", "director.rd@example.com",
                               "engineer@example.com", "hr.lead@example.com")


def plan_q1(sessions, org_id: int) -> int:
    """2027-Q1, planning from Mon 16 Nov 2026: the test's clock (18 Nov) is in its planning phase."""
    with transaction(sessions) as s:
        return new_cycle(s, s.get(Organization, org_id), "2027-Q1", date(2027, 1, 1), date(2027, 3, 31),
                         date(2026, 11, 16)).id


def counts(sessions) -> tuple[int, int]:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Proposal)), s.scalar(select(func.count()).select_from(Vote))


def votes_of(sessions) -> dict[str, int]:
    with sessions() as s:
        rows = s.execute(select(Proposal.text, func.count(Vote.id)).outerjoin(Vote, Vote.proposal_id == Proposal.id)
                         .group_by(Proposal.id, Proposal.text)).all()
        return dict(rows)


def buttons(reply) -> list[tuple[str, str, str]]:
    from bot.model import Actions

    return [(b.label, b.action_id, b.value) for e in reply.card.elements if isinstance(e, Actions) for b in e.buttons]


async def test_propose_shortlist_merge_vote_and_one_result_post(chat, sessions, app_ctx, clock, deliverer, org_id):
    refused = card_text(chat.say("propose Double the merchants", actor=ENGINEER))
    assert "No cycle is being planned right now" in refused and "okrbot cycle new" in refused, refused
    assert counts(sessions) == (0, 0)

    cycle_id = plan_q1(sessions, org_id)
    assert "Nobody has proposed anything for 2027-Q1 yet" in card_text(chat.say("vote", actor=ENGINEER))
    ideas = [(ENGINEER, "Double the merchants"), (HR, "Hire senior engineers"), (VP, "Twice the merchants"),
             (LEAD, "Ship the self-service tools"), (ENGINEER, "Cut delivery time in half")]
    for n, (who, text) in enumerate(ideas, start=1):
        saved = card_text(chat.say(f"propose {text}", actor=who))
        assert f"Proposal #{n} for 2027-Q1 is in: _{text}_" in saved, saved
    assert counts(sessions) == (5, 0)

    # Anyone reads the list; only the company's leads organize.
    listing = chat.say("proposals", actor=ENGINEER)
    assert "5 proposals" in card_text(listing) and not buttons(listing)
    refused = card_text(chat.say("proposals merge 3 into 1", actor=VP))
    assert "Only the leads of" in refused and "Chen Hao" in refused, refused
    organizer = chat.say("proposals", actor=CEO)
    assert "proposals merge N into M" in card_text(organizer)
    assert [label for label, _a, _v in buttons(organizer)] == [f"Shortlist #{n}" for n in range(1, 6)]

    # Votes before any shortlist: on every proposal. One vote per proposal, VOTES each.
    ballot = chat.say("vote", actor=HR)
    assert f"You have {VOTES} votes left" in card_text(ballot) and len(buttons(ballot)) == 5
    voted = chat.click("proposal_vote", buttons(ballot)[2][2], actor=HR)
    assert "Your vote for #3 is counted. 2 votes left." in card_text(voted)
    assert [label for label, _a, _v in buttons(voted)] == ["Vote for #1", "Vote for #2", "Vote for #4",
                                                            "Vote for #5"]
    assert "already voted for #3" in card_text(chat.click("proposal_vote", buttons(ballot)[2][2], actor=HR))
    assert "already voted for #3" in card_text(chat.say("vote 3", actor=HR))
    chat.say("vote 1", actor=HR)
    used = chat.say("vote 2", actor=HR)
    assert "You have used all your votes" in card_text(used) and not buttons(used)
    over = card_text(chat.say("vote 4", actor=HR))
    assert f"You have used all your {VOTES} votes (on #3, #1, #2)" in over, over
    assert "There is no proposal #9: there are 5 so far" in card_text(chat.say("vote 9", actor=HR))
    assert counts(sessions) == (5, 3)

    # #3 duplicates #1: merged, its vote goes to #1 unless the voter had voted for #1 too (then it comes back).
    chat.say("vote 3", actor=ENGINEER)
    merged = card_text(chat.say("proposals merge 3 into 1", actor=CEO))
    assert "#3 is merged into #1" in merged, merged
    assert votes_of(sessions) == {"Double the merchants": 2, "Hire senior engineers": 1, "Twice the merchants": 0,
                                  "Ship the self-service tools": 0, "Cut delivery time in half": 0}
    assert "You have 1 vote left" in card_text(chat.say("vote", actor=HR))
    assert "#3 was merged into #1; use #1 instead" in card_text(chat.say("vote 3", actor=LEAD))

    # A shortlist narrows the ballot.
    shortlisted = chat.say("proposals shortlist 1 4", actor=CEO)
    assert "On the shortlist now: #1, #4." in card_text(shortlisted)
    assert "Already on the shortlist: #4" in card_text(chat.say("proposals shortlist 4", actor=CEO))
    assert "#5 is not on the shortlist; the vote is on #1, #4" in card_text(chat.say("vote 5", actor=LEAD))
    chat.say("vote 4", actor=LEAD)
    chat.say("vote 4", actor=VP)

    # The end of the vote: organizers only; the ranked result once in the company's channel.
    assert "Only the leads of" in card_text(chat.say("vote close", actor=LEAD))
    closed = card_text(chat.say("vote close", actor=CEO))
    assert "The vote on the proposals for 2027-Q1 is over" in closed and "🏆 *1.* Double the merchants" in closed
    assert "is over, so proposals and votes are closed" in card_text(chat.say("vote close", actor=CEO))
    assert "is over, so proposals and votes are closed" in card_text(chat.say("propose Late idea", actor=VP))
    assert "is over, so proposals and votes are closed" in card_text(chat.say("vote 1", actor=VP))
    assert counts(sessions) == (5, 5)
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    run = runs_of(sessions, "votes")
    assert [(r.period, r.state, r.channel_id) for r in run] == [(f"cycle-{cycle_id}", "posted", "retail")]
    posted = [m for m in sandbox_messages(sessions, "retail") if "the vote" in json.dumps(m.card)]
    assert len(posted) == 1
    card = json.dumps(posted[0].card, ensure_ascii=False)
    assert card.index("Double the merchants") < card.index("Ship the self-service tools"), card
    assert "Cut delivery time" not in card  # not on the shortlist


def test_bad_input_and_stale_buttons_change_nothing(chat, sessions, org_id):
    plan_q1(sessions, org_id)
    assert "Something is missing: the objective you propose" in card_text(chat.say("propose", actor=VP))
    assert "The proposal is too long" in card_text(chat.say("propose " + "x" * 600, actor=VP))
    chat.say("propose One idea", actor=VP)
    assert "`x` is not a proposal number" in card_text(chat.say("vote x", actor=VP))
    assert "cannot be merged into itself" in card_text(chat.say("proposals merge 1 into 1", actor=CEO))
    assert "like `proposals merge 4 into 2`" in card_text(chat.say("proposals merge 1", actor=CEO))
    assert "not something I can do with proposals" in card_text(chat.say("proposals drop 1", actor=CEO))
    for value in ("999999", "abc", "", "99999999999999"):
        assert "out of date" in card_text(chat.click("proposal_vote", value, actor=VP))
        assert "out of date" in card_text(chat.click("proposal_shortlist", value, actor=CEO))
    assert "Only the leads of" in card_text(chat.click("proposal_shortlist", "1", actor=VP))
    assert counts(sessions) == (1, 0)
