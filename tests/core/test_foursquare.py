from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.model import Actions, Context, Fields, KeyResultLine
from bot.services.foursquare import four_square, four_square_card
from storage.db import transaction
from storage.models import Organization, Team
from tests.conftest import card_text
from tests.core import builders as b

W47, W48 = "2026-W47", "2026-W48"


def _load(sessions, org_id, key, week, now):
    with transaction(sessions) as s:
        org = s.get(Organization, org_id)
        team = s.scalar(select(Team).where(Team.org_id == org_id, Team.key == key))
        return four_square(s, org, team, week, now), org


def test_okrs_company_first_then_department_then_team_never_individual(sessions, org_id, clock):
    fs, _ = _load(sessions, org_id, "rd-efficiency", W47, clock.now())
    assert [o.level for o in fs.okrs] == ["company", "department", "department"] + ["team"] * 4
    assert [o.code for o in fs.okrs][:3] == ["retail-o3-kr1", "ecology-o6-kr1", "ecology-o7-kr1"]
    assert not any(o.code.startswith("liu-") for o in fs.okrs)  # personal OKRs stay one-on-one
    assert not any(o.code.startswith("hr-") for o in fs.okrs)  # a sibling team's are not ours
    assert fs.team_key == "rd-efficiency" and fs.week == W47 and fs.timezone == "Asia/Shanghai"
    # The department sees company and department key results, not its teams'.
    fs, _ = _load(sessions, org_id, "ecology", W47, clock.now())
    assert [o.code for o in fs.okrs] == ["retail-o3-kr1", "ecology-o6-kr1", "ecology-o7-kr1"]


def test_change_since_last_week_and_drops_of_two_are_flagged(chat, sessions, org_id, clock):
    clock.advance(days=7)  # Wednesday of W48
    chat.say("confidence rd-o1-kr3 3 vendor slipped")
    chat.say("confidence rd-o1-kr4 6")
    chat.say("confidence rd-o1-kr4 7 tests green")  # the latest of the week counts
    fs, org = _load(sessions, org_id, "rd-efficiency", W48, clock.now())
    by_code = {o.code: o for o in fs.okrs}
    kr3, kr4, kr1 = by_code["rd-o1-kr3"], by_code["rd-o1-kr4"], by_code["rd-o1-kr1"]
    assert (kr3.previous, kr3.confidence, kr3.delta, kr3.flagged, kr3.colour) == (5, 3, -2, True, "red")
    assert (kr4.previous, kr4.confidence, kr4.delta, kr4.flagged, kr4.colour) == (5, 7, 2, False, "yellow")
    assert (kr1.delta, kr1.flagged, kr1.trend) == (0, False, (5, 5))
    assert fs.flagged == (kr3,)
    card = four_square_card(fs, org)
    lines = [e for e in card.elements if isinstance(e, KeyResultLine)]
    assert len(lines) == 7 and all(isinstance(line.confidence, int) for line in lines)
    flagged_line = next(line for line in lines if line.code == "rd-o1-kr3")
    assert flagged_line.flagged and flagged_line.delta == -2 and flagged_line.colour == "red"
    talk = [e.markdown for e in card.elements if isinstance(e, Context) and "Talk about this" in e.markdown]
    # The owner already wrote why: the post quotes it instead of asking (issue 9, finding 3).
    assert talk == ["⚠ Talk about this: *rd-o1-kr3* fell 5 → 3 (Zhou Qiang wrote: “vendor slipped”)"]


def test_a_drop_without_a_note_this_week_asks_what_happened(chat, sessions, org_id, clock):
    chat.say("confidence rd-o1-kr3 6 last week's note")  # W47: not this week's story
    clock.advance(days=7)
    chat.say("confidence rd-o1-kr3 3")
    fs, org = _load(sessions, org_id, "rd-efficiency", W48, clock.now())
    talk = [e.markdown for e in four_square_card(fs, org).elements
            if isinstance(e, Context) and "Talk about this" in e.markdown]
    assert talk == ["⚠ Talk about this: *rd-o1-kr3* fell 6 → 3, what happened?"]


def test_last_week_ends_at_midnight_in_the_teams_zone(chat, sessions, org_id, clock):
    # Sunday 23:30 in Shanghai, still W47 there though the server's UTC says Sunday afternoon.
    clock.set(datetime(2026, 11, 22, 15, 30, tzinfo=UTC))
    chat.say("confidence rd-o1-kr3 8")
    clock.set(datetime(2026, 11, 22, 16, 30, tzinfo=UTC))  # Monday 00:30 in Shanghai: W48
    chat.say("confidence rd-o1-kr3 4")
    fs, _ = _load(sessions, org_id, "rd-efficiency", W48, clock.now())
    kr3 = next(o for o in fs.okrs if o.code == "rd-o1-kr3")
    assert (kr3.previous, kr3.confidence, kr3.delta, kr3.flagged) == (8, 4, -4, True)


def test_past_week_shows_confidence_as_it_was_then(chat, sessions, org_id, clock):
    clock.advance(days=7)
    chat.say("confidence rd-o1-kr3 9")
    fs, _ = _load(sessions, org_id, "rd-efficiency", W47, clock.now())
    assert next(o for o in fs.okrs if o.code == "rd-o1-kr3").confidence == 5


def test_health_shows_this_weeks_latest_and_last_weeks_status(chat, sessions, org_id, clock):
    lead = "director.rd@example.com"
    chat.say("health on-call red paged every night", actor=lead)
    clock.advance(days=7)
    chat.say("health on-call green", actor=lead)
    chat.say("health on-call yellow better, not good", actor="engineer@example.com")
    fs, org = _load(sessions, org_id, "rd-efficiency", W48, clock.now())
    on_call, stability = fs.health
    assert (on_call.name, on_call.status, on_call.note, on_call.previous) == (
        "On-call load", "yellow", "better, not good", "red")
    assert (stability.name, stability.status, stability.previous) == ("Release stability", None, None)
    fields = next(e for e in four_square_card(fs, org).elements if isinstance(e, Fields))
    assert fields.items == (
        ("On-call load", "🟡 yellow (last week red): _better, not good_"),
        ("Release stability", "not set this week"),
    )


def test_plans_stay_four_weeks_and_priorities_carry_over(chat, sessions, org_id, clock):
    with transaction(sessions) as s:
        team = s.scalar(select(Team).where(Team.org_id == org_id, Team.key == "rd-efficiency"))
        b.plan(s, team, "2026-W44", "too old to show")
        b.plan(s, team, "2026-W45", "migrate the build farm")
    chat.say("plan hire two testers")  # W47
    chat.say("priority add P2 write the runbook")
    chat.say("priority add P1 ship the vendor API")
    chat.say("priority done 2")  # numbers are the order they were added in: the P1 is 2
    clock.advance(days=7)
    fs, _ = _load(sessions, org_id, "rd-efficiency", W48, clock.now())
    assert [p.text for p in fs.plans] == ["migrate the build farm", "hire two testers"]
    assert [(p.level, p.text, p.status, p.carried, p.owner) for p in fs.priorities] == [
        ("P2", "write the runbook", "open", True, "Zhou Qiang")]
    text = card_text(chat.say("okrs"))
    assert "write the runbook · Zhou Qiang · _carried over from last week_" in text
    assert "migrate the build farm" in text and "too old to show" not in text


def test_card_has_four_quadrants_and_the_two_buttons(chat, sessions, org_id):
    reply = chat.say("okrs")
    card = reply.card
    assert card.title == "R&D Efficiency · four-square of 2026-W47"
    text = card_text(reply)
    for quadrant in ("*This week's priorities*", "*Next four weeks*", "*OKR status* · 2026-Q4", "*Health*"):
        assert quadrant in text
    actions = next(e for e in card.elements if isinstance(e, Actions))
    with sessions() as s:
        team_id = s.scalar(select(Team.id).where(Team.org_id == org_id, Team.key == "rd-efficiency"))
    assert [(x.label, x.action_id, x.value) for x in actions.buttons] == [
        ("Update my confidence", "checkin_open", ""), ("Set priorities", "priorities_open", str(team_id))]
    assert card.fallback == "R&D Efficiency, 2026-W47: 0 priorities, 7 key results."
    # The buttons lead somewhere real.
    assert chat.click("checkin_open").form.form_id == "checkin"
    assert chat.click("priorities_open", str(team_id)).form.metadata == str(team_id)


def test_okrs_of_another_team_by_key_and_an_unknown_key(chat):
    assert chat.say("okrs ECOLOGY").card.title == "Platform Ecology Department · four-square of 2026-W47"
    refused = card_text(chat.say("okrs nosuch"))
    assert "There is no team `nosuch`" in refused and "rd-efficiency" in refused


def test_okrs_in_a_bound_channel_is_that_channels_team(chat):
    reply = chat.say("okrs", conversation="C0ECOLOGY")
    assert reply.card.title.startswith("R&D Efficiency")  # sandbox platform: the slack binding is not ours
    chat.say("bind ecology", actor="vp.ecology@example.com", conversation="sandbox-eco")
    assert chat.say("okrs", conversation="sandbox-eco").card.title.startswith("Platform Ecology Department")


def _tree_with_krs(session, count: int, prefix: str) -> tuple[int, int]:
    o = b.org(session, timezone="Europe/Berlin", name=prefix)
    c = b.cycle(session, o)
    company = b.team(session, o, f"{prefix}-co", "company")
    dept = b.team(session, o, f"{prefix}-dept", "department", company)
    team = b.team(session, o, f"{prefix}-team", "team", dept)
    for t in (company, dept):
        ob = b.objective(session, o, c, f"{t.key}-o", t.level, owner=t)
        b.checkin(session, b.key_result(session, o, ob, f"{t.key}-kr"), datetime(2026, 11, 10, tzinfo=UTC), 6)
    ob = b.objective(session, o, c, f"{prefix}-o", owner=team)
    m = b.metric(session, team, "Morale")
    b.health(session, m, W47, "green", datetime(2026, 11, 17, tzinfo=UTC))
    b.plan(session, team, W47, "a plan")
    for n in range(count):
        kr = b.key_result(session, o, ob, f"{prefix}-kr{n}", position=n)
        for week in range(4):
            b.checkin(session, kr, datetime(2026, 10, 27, tzinfo=UTC) + timedelta(weeks=week), 4 + week)
    return o.id, team.id


def test_statement_count_does_not_grow_with_key_results(sessions, statements):
    """No N+1: a team with 2 key results and one with 40 cost the same statements."""
    with transaction(sessions) as s:
        few = _tree_with_krs(s, 2, "few")
        many = _tree_with_krs(s, 40, "many")
    counts = []
    for org_id, team_id in (few, many):
        with sessions() as s, statements.counting() as seen:
            org, team = s.get(Organization, org_id), s.get(Team, team_id)
            fs = four_square(s, org, team, W47, datetime(2026, 11, 18, tzinfo=UTC))
            four_square_card(fs, org)
        counts.append(len([q for q in seen if not q.startswith(("BEGIN", "PRAGMA"))]))
        assert len(fs.okrs) in (4, 42) and fs.okrs[-1].trend == (4, 5, 6, 7)
    assert counts[0] == counts[1], counts
    # The organization and team (the test's own gets), then the team's ancestry, two weeks of priorities
    # with their owners, the cycle, plans, key results, their trends, health, and which key results priorities
    # served in the last weeks: 10, whatever the tree's depth.
    assert counts[0] == 10, seen
