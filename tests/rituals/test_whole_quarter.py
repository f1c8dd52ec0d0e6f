"""One whole quarter (2027-Q1 of the example organization) through the clock with an injected time, over Slack,
Teams and the sandbox (tests/rituals/legs.py: the real HTTP routes, the platforms' fakes), on SQLite and
PostgreSQL: the planning call, proposals and votes on a card with the ranked result, drafts at every level
through the drafting form (company, department, team), a return with a note and a re-submit, approvals from the
direct messages' buttons, the kickoff with the last quarter's results, two honest changes announced, the
mid-quarter review, the closing scores (typed, and from the direct message's form; the score's carry button), the
retrospective with its lessons, and
the summary: each ritual posted exactly once however often the clock sweeps, as the platform's fake recorded it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from bot.closing import close
from bot.cycles import new_cycle
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Lesson, Objective, OkrChange, Organization, Person, Proposal
from tests.personas.drivers import Shown
from tests.rituals.conftest import runs_of
from tests.rituals.legs import PLATFORMS, leg
from tests.rituals.test_cycle_rituals import add_q1, shanghai

CEO, VP, LEAD, ENGINEER = "ceo@example.com", "vp.ecology@example.com", "director.rd@example.com", "engineer@example.com"


CO, DEPT, RD = "retail-2027-q1-o1", "ecology-2027-q1-o1", "rd-efficiency-2027-q1-o1"  # as drafting keys them


def drafts(people: dict[str, int]) -> dict[str, dict[str, str]]:
    """What each lead types into the drafting form: the company's set, the department's, R&D's."""

    def kr(n: int, title: str, start: str, target: str, unit: str, owner: str) -> dict[str, str]:
        return {f"kr{n}": title, f"kr{n}_measure": "number", f"kr{n}_start": start, f"kr{n}_target": target,
                f"kr{n}_unit": unit, f"kr{n}_owner": str(people[owner])}

    return {
        "retail": {"title": "Fresh food for every family", "type": "business",
                   **kr(1, "Stores selling fresh food", "10", "40", "stores", CEO),
                   **kr(2, "Waste per store", "12", "6", "%", CEO),
                   **kr(3, "Families buying fresh each week", "0", "50000", "families", CEO)},
        "ecology": {"title": "Open the platform to fresh-food merchants", "type": "business", "aligns": f"{CO}-kr1",
                    **kr(1, "Fresh-food merchants on the platform", "20", "80", "merchants", VP),
                    **kr(2, "Days to onboard a merchant", "30", "7", "days", VP),
                    **kr(3, "Merchant satisfaction", "60", "80", "points", VP)},
        "rd-efficiency": {"title": "Builds nobody waits for", "type": "capability", "aligns": f"{DEPT}-kr2",
                          **kr(1, "Build time", "30", "10", "min", ENGINEER),
                          **kr(2, "Flaky tests", "40", "5", "tests", LEAD),
                          **kr(3, "Releases a week", "1", "3", "releases", LEAD)},
    }


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_a_whole_quarter_posts_each_ritual_once(platform, database_url, clock, deliverer, sessions, org_id,
                                                      monkeypatch):
    q1 = add_q1(sessions, org_id)
    async with leg(platform, database_url, clock, org_id, monkeypatch) as chat:
        await _quarter(chat, clock, deliverer, sessions, org_id, q1)


async def _quarter(chat, clock, deliverer, sessions, org_id: int, q1: int) -> None:
    async def sweeps(*moment) -> None:
        clock.set(shanghai(*moment))
        for _ in range(3):  # the clock sweeps again and again: nothing is posted twice
            await sweep(chat.ctx, clock.now(), deliverer=deliverer)
            clock.advance(minutes=7)

    def posted(title: str) -> list:
        return [post for post in chat.posts() if title in post.title]

    async def asked(who: str, action_id: str, *moment) -> Shown:
        """The clock sends `who` a direct message with a button: that button."""
        mark = chat.mark()
        await sweeps(*moment)
        return chat.button(action_id, shown=await chat.direct(who, mark))

    async def draft(who: str, team: str) -> str:
        said = await chat.say(who, f"draft {team}")
        assert chat.shown, said
        return await chat.fill(who, chat.form(), forms[team])

    company = chat.channels["retail"]
    with sessions() as s:
        forms = drafts({p.email: p.id for p in s.scalars(select(Person))})
    await sweeps(2026, 12, 7, 10, 0)  # planning opens

    # Step 1: everyone proposes, everyone votes on a card, the ranked result is posted once.
    clock.set(shanghai(2026, 12, 8, 10, 0))
    for who, idea in (("engineer", "Fresh food for every family"), ("hrlead", "Hire senior engineers"),
                      ("director", "Builds nobody waits for")):
        assert "for 2027-Q1 is in" in await chat.say(who, f"propose {idea}")
    with sessions() as s:
        first, *_ = s.scalars(select(Proposal.id).order_by(Proposal.id))
    for who in ("vp", "engineer"):
        assert "You have 3 votes left" in await chat.say(who, "vote")
        assert "Your vote for #1 is counted" in await chat.press(who, chat.button("proposal_vote", str(first)))
    assert "Your vote for #3 is counted" in await chat.say("director", "vote 3")
    assert "The vote on the proposals for 2027-Q1 is over" in await chat.say("ceo", "vote close")
    await sweeps(2026, 12, 8, 10, 1)
    [votes] = posted("should be about: the vote")
    assert votes.where == company and votes.body.index("Fresh food") < votes.body.index("Builds nobody")

    # Steps 2-5: drafts at every level, top down; a return with a note and a re-submit; approvals.
    clock.set(shanghai(2026, 12, 9, 10, 0))
    assert f"Drafted *{CO}*" in await draft("ceo", "retail")
    assert "set is approved" in await chat.press("ceo", chat.button("draft_submit"))  # the company decides its own
    assert f"Drafted *{DEPT}*" in await draft("vp", "ecology")
    assert "Chen Hao will approve it" in await chat.press("vp", chat.button("draft_submit"))
    give_back = await asked("ceo", "set_return", 2026, 12, 9, 10, 1)
    await chat.press("ceo", give_back)
    await chat.fill("ceo", chat.form(), {"note": "Say which merchants: fresh food"})
    clock.set(shanghai(2026, 12, 10, 10, 0))
    verdict = await asked("vp", "draft_open", 2026, 12, 10, 10, 0)  # the return, with its note, and a way back in
    assert "submitted; Chen Hao will approve it" in await chat.say("vp", "submit ecology")  # re-submitted as it is
    approve = await asked("ceo", "set_approve", 2026, 12, 10, 11, 0)
    assert "OKRs are approved" in await chat.press("ceo", approve)
    assert "approved already" in await chat.press("ceo", approve)  # a double click approves once
    assert f"Drafted *{RD}*" in await draft("director", "rd-efficiency")
    assert "Wang Fang will approve it" in await chat.press("director", chat.button("draft_submit"))
    assert "OKRs are approved" in await chat.press("vp", await asked("vp", "set_approve", 2026, 12, 10, 12, 0))
    assert verdict.key[1] == "draft_open"

    await sweeps(2027, 1, 1, 10, 0)  # Q1 starts (and Q4, just ended, asks for its scores)
    [kickoff] = posted("2027-Q1 starts today")
    assert kickoff.where == company and "How 2026-Q4 ended" in kickoff.body
    assert "Fresh food for every family" in kickoff.body and f"{CO}-kr3" in kickoff.body
    with sessions() as s:  # approved in December, active from the cycle's first day
        assert set(s.scalars(select(Objective.status).where(Objective.cycle_id == q1))) == {"active"}

    clock.set(shanghai(2027, 1, 20, 15, 0))  # two honest changes
    assert "needs a reason" in await chat.say("director", f"change {RD}-kr1 target 15")
    assert f"{RD}-kr1: target 10 → 15" in await chat.say(
        "director", f"change {RD}-kr1 target 15 because the new runners slipped to March")
    assert f"{CO}-kr2: removed" in await chat.say("ceo", f"change {CO}-kr2 remove because waste moved to the ops team")
    await sweeps(2027, 1, 20, 15, 1)
    await sweeps(2027, 2, 14, 10, 0)  # the mid-quarter review
    score_them = await asked("director", "score_open", 2027, 4, 1, 10, 0)  # Q1 ended: each owner asked directly
    await sweeps(2027, 4, 1, 11, 0)  # and the retrospective threads

    assert "scored" in await chat.say("engineer", f"score {RD}-kr1 0.6 yes")
    await chat.press("director", score_them)  # the direct message's button: a form of their key results
    with sessions() as s:
        kr2 = s.scalar(select(KeyResult.id).where(KeyResult.key == f"{RD}-kr2"))
    assert "scored" in await chat.fill("director", chat.form(), {f"score:{kr2}": "0.3", f"moved:{kr2}": "no"})
    carry = chat.button("carry", f"{RD}-kr2")  # unfinished: it may go on in the next cycle, as a draft
    assert "scored" in await chat.say("ceo", f"score {CO}-kr1 0.8 yes")
    assert "no cycle after 2027-Q1 yet" in await chat.press("director", carry)
    with transaction(sessions) as s:  # the administrator adds the next cycle
        new_cycle(s, s.get(Organization, org_id), "2027-Q2", date(2027, 4, 12), date(2027, 6, 30), date(2027, 4, 6))
    assert f"{RD}-kr2-2027q2" in await chat.press("director", carry)
    assert "already carried over" in await chat.press("director", carry)  # a second click carries nothing more
    retro = next(r for r in runs_of(sessions, "retro")
                 if r.channel_id == chat.channels["rd-efficiency"] and r.period == f"cycle-{q1}")
    await chat.reply("engineer", retro, "keep: the Friday wins")
    await chat.reply("director", retro, "we set the build target before measuring it")

    clock.set(shanghai(2027, 4, 6, 9, 0))
    with transaction(sessions) as s:
        close(s, s.get(Organization, org_id), "2027-Q1", clock.now())
    await sweeps(2027, 4, 6, 9, 1)

    counts = Counter((r.ritual, r.period) for r in runs_of(sessions))
    assert all(n == 1 for (ritual, _), n in counts.items() if ritual in ("planning", "kickoff", "summary")), counts
    q1_runs = {ritual: n for (ritual, period), n in counts.items() if period == f"cycle-{q1}"}
    assert q1_runs == {"planning": 1, "votes": 1, "kickoff": 1, "midreview": 4, "closing": 4, "retro": 4,
                       "summary": 1}, q1_runs
    # Asked to approve: the department twice (returned, then re-submitted), R&D once; each answer told once.
    assert sorted(n for (ritual, _), n in counts.items() if ritual == "approval") == [1, 1, 1], counts
    assert sorted(n for (ritual, _), n in counts.items() if ritual == "verdict") == [1, 1, 1], counts
    closing = {r.channel_id or r.team_id: r.state for r in runs_of(sessions, "closing") if r.period == f"cycle-{q1}"}
    assert sorted(closing.values()) == ["posted", "posted", "posted", "skipped"], closing  # HR owns no KR
    assert {r.state for r in runs_of(sessions)} <= {"posted", "skipped"}
    assert sum(1 for r in runs_of(sessions, "change")) == 2  # one announcement per change, in its team's channel
    with sessions() as s:
        assert s.scalar(select(Objective.score).where(Objective.key == RD)) == 0.45
        assert s.scalar(select(Objective.score).where(Objective.key == CO)) == 0.8  # the removed one not counted
        assert len(s.scalars(select(OkrChange)).all()) == 2 and len(s.scalars(select(Lesson)).all()) == 2
        carried = s.scalar(select(KeyResult).where(KeyResult.key == f"{RD}-kr2-2027q2"))
        assert (carried.start_value, carried.target_value) == (40, 5)  # it starts where it ended
        assert s.get(Objective, carried.objective_id).status == "draft"

    # What the platform's fake recorded: nothing twice, and each of the quarter's posts once where it belongs.
    posts = chat.posts()
    twice = [key for key, n in Counter((p.where, p.body) for p in posts).items() if n > 1]
    assert not twice, twice
    channels = set(chat.channels.values())
    expected = {"Planning 2027-Q1": [company], "2027-Q1 starts today": [company],
                "OKRs changed": sorted([company, chat.channels["rd-efficiency"]]),
                "Mid-quarter review of": sorted(channels), "the retrospective of 2027-Q1": sorted(channels)}
    for title, where in expected.items():
        assert sorted(p.where for p in posted(title)) == where, (title, [(p.where, p.title) for p in posts])
    direct = [p for p in posts if p.where not in channels]
    assert len([p for p in direct if "submitted the OKRs" in p.body]) == 3
    assert len([p for p in direct if "Say which merchants: fresh food" in p.body]) == 1  # the return's note
    assert len([p for p in direct if "2027-Q1 has ended: your scores" in p.title]) == 4  # each owner, each team
    summaries = posted("2027-Q1: the quarter in review")
    assert len(summaries) == 5 and sum(p.where == company for p in summaries) == 1  # the channel, and four leads
    assert all("keep: the Friday wins" in p.body for p in summaries)
