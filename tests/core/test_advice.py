from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from bot.services.advice import alignment_report, lint
from storage.db import transaction
from storage.models import Cycle, Organization, Team
from tests.conftest import card_text
from tests.core import builders as b

NOW = datetime(2026, 11, 18, 4, tzinfo=UTC)


def _codes(advice) -> set[tuple[str, str]]:
    return {(a.code, a.subject) for a in advice}


def test_the_example_aligns_and_gets_only_the_key_result_count_and_mission_advice(sessions, org_id):
    with sessions() as s:
        org = s.get(Organization, org_id)
        cycle = s.scalar(select(Cycle).where(Cycle.org_id == org_id))
        assert alignment_report(s, org, cycle) == []
        advice = lint(s, org, cycle, NOW)
    assert _codes(advice) == {("kr_count", key) for key in (
        "retail-o1", "retail-o2", "retail-o3", "retail-o4", "ecology-o6", "ecology-o7", "hr-o1")} | {
        ("kr_count_advised", key) for key in ("liu-o1", "liu-o2", "liu-o3")} | {("no_mission", "JD Retail")}
    assert {a.severity for a in advice if a.code == "kr_count_advised"} == {"info"}
    retail_o1 = next(a for a in advice if a.subject == "retail-o1")
    assert retail_o1.severity == "warning"
    assert retail_o1.message == (
        '*retail-o1* has 0 key results. The method sets "3 to 4 key results for the goal that can measure '
        'whether the goal is achieved": keep between 2 and 5.')


def test_one_company_objective_unless_multiple_business_lines(sessions, org_id):
    with transaction(sessions) as s:
        s.execute(update(Organization).where(Organization.id == org_id).values(multiple_business_lines=False))
    with sessions() as s:
        advice = lint(s, s.get(Organization, org_id), s.scalar(select(Cycle).where(Cycle.org_id == org_id)), NOW)
    company = [a for a in advice if a.code == "company_objectives"]
    assert [(a.subject, a.severity) for a in company] == [("2026-Q4", "warning")]
    assert "4 company objectives (retail-o1, retail-o2, retail-o3, retail-o4)" in company[0].message
    assert '"Set only one company-level OKR, unless the company has multiple business lines.' in company[0].message


def _alignment_org(s):
    o = b.org(s)
    c = b.cycle(s, o)
    company = b.team(s, o, "co", "company")
    dept = b.team(s, o, "dept", "department", company)
    team = b.team(s, o, "team", "team", dept)
    hr = b.team(s, o, "hr", "team", dept)
    someone = b.person(s, o, "someone@acme.example")
    co_o = b.objective(s, o, c, "co-o1", "company", owner=company)
    co_kr = b.key_result(s, o, co_o, "co-o1-kr1")
    dept_ok = b.objective(s, o, c, "dept-ok", "department", owner=dept, aligns_to_kr=co_kr)
    b.objective(s, o, c, "dept-alone", "department", owner=dept)
    b.objective(s, o, c, "team-ok", owner=team, aligns_to=dept_ok)
    b.objective(s, o, c, "team-to-company", owner=team, aligns_to=co_o)  # skipping a level is still above
    b.objective(s, o, c, "team-alone", owner=team)
    sibling = b.objective(s, o, c, "team-sibling", owner=hr, aligns_to=dept_ok)
    b.objective(s, o, c, "team-sideways", owner=team, aligns_to=sibling)
    b.objective(s, o, c, "hr-capability", owner=hr, type="capability")
    b.objective(s, o, c, "team-closed", owner=team, status="closed")
    b.objective(s, o, c, "me-aligned-nothing", "individual", person_owner=someone, source="aligned")
    b.objective(s, o, c, "me-aligned-ok", "individual", person_owner=someone, source="aligned", aligns_to_kr=co_kr)
    b.objective(s, o, c, "me-self-driven", "individual", person_owner=someone, source="self-driven")
    b.objective(s, o, c, "me-external", "individual", person_owner=someone, source="external-support")
    return o.id, c.id


def test_alignment_report_names_what_aligns_to_nothing_above_it(sessions, statements):
    with transaction(sessions) as s:
        org_id, cycle_id = _alignment_org(s)
    with sessions() as s:
        found = alignment_report(s, s.get(Organization, org_id), s.get(Cycle, cycle_id))
    assert [(m.code, m.subject) for m in found] == [
        ("unaligned", "dept-alone"),
        ("unaligned", "team-alone"),
        ("aligned_below", "team-sideways"),
        ("individual_unaligned", "me-aligned-nothing"),
    ]
    sideways = found[2]
    assert sideways.level == "team" and "aligns to *team-sibling*, which is not above it" in sideways.message
    assert '"If each level operates independently' in found[0].message


def test_lint_finds_each_piece_of_the_methods_advice(sessions):
    with transaction(sessions) as s:
        o = b.org(s)
        short = b.cycle(s, o, date(2026, 11, 1), date(2026, 11, 30), "November")
        t = b.team(s, o, "squad")
        owner = b.person(s, o, "owner@acme.example")
        good = b.objective(s, o, short, "good", owner=t)
        for n in range(3):
            b.key_result(s, o, good, f"good-kr{n}", owner=owner, position=n)
        b.key_result(s, o, good, "vague", owner=owner, target=None)  # no number, no milestone
        b.key_result(s, o, good, "launch", owner=owner, target=None, milestone="Launched in Berlin")
        b.key_result(s, o, good, "orphan", owner=None)
        lonely = b.objective(s, o, short, "lonely")  # no owner, one key result
        b.key_result(s, o, lonely, "lonely-kr", owner=owner)
        for n in range(5):
            b.priority(s, t, "2026-W46", "P1", f"thing {n}")
        for n in range(5):  # 4 live and 1 dropped is within the limit
            b.priority(s, t, "2026-W47", "P1", f"thing {n}", status="dropped" if n == 0 else "open")
        org_id, cycle_id = o.id, short.id
    with sessions() as s:
        advice = lint(s, s.get(Organization, org_id), s.get(Cycle, cycle_id), datetime(2026, 11, 10, tzinfo=UTC))
    assert _codes(advice) == {
        ("cycle_short", "November"),
        ("kr_count", "good"),  # six
        ("kr_count", "lonely"),
        ("objective_no_owner", "lonely"),
        ("kr_unmeasured", "vague"),
        ("kr_no_owner", "orphan"),
        ("too_many_priorities", "squad 2026-W46"),
        ("no_mission", "Acme"),
        ("no_capability", "November"),
    }
    messages = {a.code: a.message for a in advice}
    assert "lasts 30 days, less than a quarter" in messages["cycle_short"]
    assert "Give yourself three months" in messages["cycle_short"]
    assert messages["too_many_priorities"].startswith("*squad 2026-W46* has 5 priorities.")


def _lint_of(sessions, org_id, cycle_id, now=NOW):
    with sessions() as s:
        return lint(s, s.get(Organization, org_id), s.get(Cycle, cycle_id), now)


def test_the_lint_reads_the_method_text_strictly(sessions):
    """3-4 key results (2 and 5 are advice, not warnings), a quarter, a first confidence near 5, an objective
    in words, a capability objective somewhere, a mission statement: each piece quotes the method's reason."""
    with transaction(sessions) as s:
        o = b.org(s)
        c = b.cycle(s, o, date(2026, 10, 1), date(2026, 12, 15), "Short-Q4")
        t = b.team(s, o, "squad")
        owner = b.person(s, o, "owner@acme.example")
        two = b.objective(s, o, c, "two", owner=t)
        strong = b.key_result(s, o, two, "strong", owner=owner, confidence=5)  # started at 9, now 5
        b.checkin(s, strong, NOW - timedelta(days=30), 9)
        b.checkin(s, strong, NOW - timedelta(days=3), 5)
        b.key_result(s, o, two, "gloomy", owner=owner, confidence=2, position=1)  # no check-in: its own is the first
        five = b.objective(s, o, c, "five", owner=t)
        for n in range(5):
            b.key_result(s, o, five, f"five-kr{n}", owner=owner, position=n)
        three = b.objective(s, o, c, "three", owner=t)
        for n in range(3):
            b.key_result(s, o, three, f"three-kr{n}", owner=owner, position=n)
        three.title = "Reach 25,000 downloads a day"
        s.flush()
        org_id, cycle_id = o.id, c.id
    advice = [a for a in _lint_of(sessions, org_id, cycle_id) if a.code != "stale_confidence"]
    assert _codes(advice) == {
        ("no_mission", "Acme"), ("cycle_short", "Short-Q4"), ("no_capability", "Short-Q4"),
        ("kr_count_advised", "two"), ("kr_count_advised", "five"), ("objective_metric", "three"),
        ("confidence_hiding_strength", "strong"), ("confidence_despair", "gloomy"),
    }
    by_code = {a.code: a for a in advice}
    assert {code: a.severity for code, a in by_code.items()} == {
        "no_mission": "warning", "cycle_short": "warning", "no_capability": "info", "kr_count_advised": "info",
        "objective_metric": "warning", "confidence_hiding_strength": "info", "confidence_despair": "info"}
    assert '"Hiding strength is not the purpose of implementing OKR."' in by_code["confidence_hiding_strength"].message
    assert "started at confidence 9/10" in by_code["confidence_hiding_strength"].message
    assert '"challenging but not despairing' in by_code["confidence_despair"].message
    assert '"There should be no traditional performance appraisal indicators' in by_code["objective_metric"].message
    assert "both aspects are indispensable" in by_code["no_capability"].message
    assert '"Before setting OKR, first clarify' in by_code["no_mission"].message
    assert "`mission We (value) in (field) (improving lives)`" in by_code["no_mission"].message
    assert "lasts 76 days, less than a quarter" in by_code["cycle_short"].message
    assert '"After setting the goal, set 3 to 4 key results' in by_code["kr_count_advised"].message

    # A mission, a capability objective, a whole quarter: those pieces of advice go.
    with transaction(sessions) as s:
        s.get(Organization, org_id).mission = "We make tools in software, so teams ship calmly"
        s.get(Cycle, cycle_id).end = date(2026, 12, 31)
        o, c = s.get(Organization, org_id), s.get(Cycle, cycle_id)
        b.objective(s, o, c, "people", owner=s.scalar(select(Team).where(Team.org_id == org_id)), type="capability")
    codes = {a.code for a in _lint_of(sessions, org_id, cycle_id)}
    assert not codes & {"no_mission", "cycle_short", "no_capability"}


def test_a_quarter_is_three_calendar_months_whatever_the_days():
    from bot.services.advice import months_after, reads_as_metric

    assert months_after(date(2026, 1, 1), 3) == date(2026, 4, 1)  # Jan-Mar: 90 days is a whole quarter
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)
    for title in ("Grow revenue 20%", "Earn $50k a month", "Hit 100k users", "Hit our KPIs", "Win 12 cities"):
        assert reads_as_metric(title), title
    for title in ("Launch v2 in Q4", "Be the top 3 brand in 2026", "Attract high-level talent", "Delight merchants"):
        assert not reads_as_metric(title), title


def test_confidence_not_updated_for_two_weeks(sessions):
    with transaction(sessions) as s:
        o = b.org(s)
        c = b.cycle(s, o)
        owner = b.person(s, o, "owner@acme.example")
        ob = b.objective(s, o, c, "o", owner=b.team(s, o, "t"))
        fresh, stale, never = (b.key_result(s, o, ob, k, owner=owner, position=n)
                               for n, k in enumerate(("fresh", "stale", "never")))
        b.checkin(s, fresh, NOW - timedelta(days=13), 6)
        b.checkin(s, stale, NOW - timedelta(days=15), 6)
        org_id, cycle_id = o.id, c.id
    with sessions() as s:
        org, cycle = s.get(Organization, org_id), s.get(Cycle, cycle_id)
        stale_ones = [a for a in lint(s, org, cycle, NOW) if a.code == "stale_confidence"]
        assert [(a.subject, a.severity) for a in stale_ones] == [("stale", "info"), ("never", "info")]
        assert "in 2 weeks" in stale_ones[0].message and "`confidence stale 1-10`" in stale_ones[0].message
        # In the cycle's first two weeks, and after it ended, there is nothing to nag about.
        assert not [a for a in lint(s, org, cycle, datetime(2026, 10, 10, tzinfo=UTC)) if a.code == "stale_confidence"]
        assert not [a for a in lint(s, org, cycle, datetime(2027, 1, 10, tzinfo=UTC)) if a.code == "stale_confidence"]


def test_align_and_lint_commands_answer_with_cards(chat, clock):
    align = chat.say("align")
    assert align.card.title == "Alignment · 2026-Q4"
    assert "Every business objective of 2026-Q4 aligns to something above it." in card_text(align)
    clock.advance(days=15)
    text = card_text(chat.say("lint"))
    assert "OKR advice · 2026-Q4" in text
    assert "*25* pieces of advice for 2026-Q4 (8 warnings)." in text
    assert text.index("⚠ *retail-o1* has 0 key results") < text.index("ℹ Nobody updated the confidence")


def test_lint_card_lists_at_most_25_and_counts_the_rest(chat, sessions, org_id, clock):
    with transaction(sessions) as s:
        o = s.get(Organization, org_id)
        c = s.scalar(select(Cycle).where(Cycle.org_id == org_id))
        for n in range(30):
            b.objective(s, o, c, f"extra-{n}", "company")
    reply = chat.say("lint")
    assert "…and 46 more. `okrbot lint` and `okrbot align` list them all." in card_text(reply)
    assert len(reply.card.elements) <= 50
    assert all(len(getattr(e, "markdown", "")) <= 3000 for e in reply.card.elements)


def test_align_without_a_cycle_is_refused_kindly(sessions, core):
    from bot.model import Interaction

    with transaction(sessions) as s:
        o = b.org(s)
        b.person(s, o, "solo@acme.example")
        org_id = o.id
    reply = core.handle(Interaction("sandbox", str(org_id), "solo@acme.example", "command", text="align",
                                    actor_email="solo@acme.example"))
    assert card_text(reply).strip() == (
        "There is no OKR cycle yet. Import an OKR file with a cycle (`okrbot import FILE`) and try again.")
