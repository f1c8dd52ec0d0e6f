"""`okrbot demo-data` gives every view something real; `report`, `lint`, `align` print the core's cards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.context import current_cycle
from bot.demo.seed import seed_demo
from bot.model import Actions, Button, Card, Context, Divider, Fields, KeyResultLine, Text
from bot.services.foursquare import four_square
from bot.weeks import local_week, shift
from okrbot.textcard import render_card
from storage.db import transaction
from storage.models import CheckIn, KeyResult, Objective, Organization, Priority, Team, Win
from tests.cli.helpers import okrbot


def _seed(sessions, now):
    with transaction(sessions) as session:
        return seed_demo(session, now)


def _current(session, now):
    return current_cycle(session, session.scalar(select(Organization)), now)


def test_the_demo_gives_the_monday_board_every_quadrant(sessions, clock):
    summary = _seed(sessions, clock.now())
    assert summary.counts["check-ins"] >= 6 * 14
    with transaction(sessions) as session:
        org = session.get(Organization, summary.organization_id)
        team = session.scalar(select(Team).where(Team.key == "rd-efficiency"))
        week = local_week(clock.now(), "Asia/Shanghai")
        board = four_square(session, org, team, week, clock.now())
        statuses = {p.status for p in board.priorities}
        last_week_wins = session.scalar(select(func.count()).select_from(Win).where(
            Win.team_id == team.id, Win.week == shift(week, -1)))
        reasons = session.scalars(select(Priority.reason).where(Priority.status == "dropped")).all()
    assert statuses == {"open", "done", "dropped"} and any(p.carried for p in board.priorities)
    assert all(reasons)  # every dropped priority says why
    assert board.plans and last_week_wins >= 1
    assert {h.status for h in board.health} >= {"yellow"} and all(h.previous for h in board.health)
    drop = next(o for o in board.okrs if o.code == "rd-o1-kr3")
    assert (drop.previous, drop.confidence, drop.flagged) == (7, 4, True)
    assert len(drop.trend) == 6
    assert {o.level for o in board.okrs} == {"company", "department", "team"}


def test_the_demo_never_writes_the_future_and_follows_the_clock(sessions):
    now = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)  # after the example's 2026-Q4
    _seed(sessions, now)
    with transaction(sessions) as session:
        cycle = _current(session, now)
        latest = session.scalar(select(func.max(CheckIn.at)))
        earliest = session.scalar(select(func.min(CheckIn.at)).join(KeyResult).join(
            Objective, Objective.id == KeyResult.objective_id).where(
            CheckIn.source == "demo", Objective.cycle_id == cycle.id))  # the running quarter's weeks
    assert (cycle.name, str(cycle.start), str(cycle.end)) == ("2027-Q1", "2027-01-01", "2027-03-31")
    assert latest <= now and (now - earliest).days == 35  # six weekly check-ins: this week and five before


def test_report_lint_and_align_print_the_demo(monkeypatch, capsys, database_url):
    assert okrbot(monkeypatch, capsys, database_url, "demo-data", "--language", "en")[0] == 0
    code, out, err = okrbot(monkeypatch, capsys, database_url, "report")
    assert code == 0, err
    assert out.startswith("Weekly status report · ")
    for part in ("1. OKRs", "2. This week's priorities", "3. Next week's top three", "4. Risks and blockers",
                 "5. Notes"):
        assert part in out
    assert "R&D Efficiency" in out and "Platform Ecology Department" in out  # rolled up the tree
    assert "*" not in out  # emphasis markers are gone
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "report", "--team", "RD-EFFICIENCY")
    assert code == 0 and "Platform Ecology Department" not in out and "rd-o1-kr3" in out
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "lint")
    assert code == 0 and "hr-o1-kr1" in out  # the stale key result
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "align")
    assert code == 0 and "rd-o2" in out and "ecology-o6" not in out


def test_report_all_hides_nothing_the_bounded_report_shows(monkeypatch, capsys, database_url):
    """Issue 9, finding 8: "…and 2 more" cut key results and notes even in the terminal, with no way to see them."""
    assert okrbot(monkeypatch, capsys, database_url, "demo-data", "--language", "en")[0] == 0
    code, bounded, err = okrbot(monkeypatch, capsys, database_url, "report")
    assert code == 0, err
    assert "…and 2 more" in bounded
    code, full, err = okrbot(monkeypatch, capsys, database_url, "report", "--all")
    assert code == 0, err
    assert "…and" not in full
    kept = [line for line in bounded.splitlines() if "…and" not in line]
    assert all(line in full.splitlines() for line in kept)
    assert len(full.splitlines()) > len(kept)  # what was hidden is there
    hidden = [line for line in full.splitlines() if line not in bounded.splitlines()]
    assert sum(line.startswith("• ") for line in hidden) == 2, hidden


def test_views_explain_what_is_missing(monkeypatch, capsys, database_url):
    code, _, err = okrbot(monkeypatch, capsys, database_url, "lint")
    assert code == 1 and "no organization yet" in err
    okrbot(monkeypatch, capsys, database_url, "demo-data", "--language", "en")
    code, out, err = okrbot(monkeypatch, capsys, database_url, "report", "--team", "nope")
    assert code == 1 and out == ""
    assert "there is no team 'nope' in JD Retail; teams: ecology, ecology-hr, rd-efficiency, retail" in err


def test_views_speak_okrbot_language_else_the_organizations(monkeypatch, capsys, database_url):
    """The demo organization speaks zh-CN, so its report and advice print in Chinese; OKRBOT_LANGUAGE picks
    another language for the terminal, refusals included."""
    monkeypatch.delenv("OKRBOT_LANGUAGE", raising=False)
    assert okrbot(monkeypatch, capsys, database_url, "demo-data")[0] == 0
    code, out, err = okrbot(monkeypatch, capsys, database_url, "report")
    assert code == 0, err
    assert "Weekly status report" not in out and "周" in out
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "lint")
    assert code == 0 and "OKR 建议" in out
    monkeypatch.setenv("OKRBOT_LANGUAGE", "es-CL")
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "lint")
    assert code == 0 and "Consejos OKR" in out
    code, _, err = okrbot(monkeypatch, capsys, database_url, "report", "--team", "nope")
    assert code == 1 and "no hay ningún equipo 'nope' en JD Retail" in err


def test_a_card_as_text():
    card = Card("*Weekly* report", (
        Text("Hello _team_, *well done*\n• snake_case_name stays"),
        Fields((("Team", "R&D"), ("Week", "2026-W47"))),
        KeyResultLine("rd-1", "Lead time", 4, "yellow", delta=-3, trend=(7, 7, 4), flagged=True,
                      progress="38 / 32 days", owner="Zhou Qiang"),
        KeyResultLine("rd-2", "Coverage", 9, "green"),
        Actions((Button("Check in", "checkin_open"),)),
        Divider(),
        Context("small print\nsecond line"),
    ))
    assert render_card(card) == (
        "Weekly report\n"
        "=============\n"
        "Hello team, well done\n"
        "• snake_case_name stays\n"
        "Team  R&D\n"
        "Week  2026-W47\n"
        " 4/10 yellow (-3)  rd-1  Lead time\n"
        "      38 / 32 days · Zhou Qiang · trend 7 7 4  ! dropped by 2 or more: talk about this\n"
        " 9/10 green   rd-2  Coverage\n"
        + "-" * 72 + "\n"
        "  small print\n"
        "  second line\n"
    )


def test_refresh_brings_a_weeks_old_demo_to_this_week(sessions, clock):
    """Loaded on a Wednesday in November, refreshed on a Monday nine weeks later, across the year end:
    the board looks as it did the day it was loaded, and nothing lies in the future."""
    from bot.demo.refresh import refresh_demo

    summary = _seed(sessions, clock.now())
    later = datetime(2027, 1, 18, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai, 2027-W03; 2026 has 53 weeks
    with transaction(sessions) as session:
        org = session.get(Organization, summary.organization_id)
        assert refresh_demo(session, org, later) == 9
    with transaction(sessions) as session:
        org = session.get(Organization, summary.organization_id)
        assert refresh_demo(session, org, later) == 0  # already current: nothing moves
        team = session.scalar(select(Team).where(Team.key == "rd-efficiency"))
        week = local_week(later, "Asia/Shanghai")
        assert week == "2027-W03"
        board = four_square(session, org, team, week, later)
        last_week_wins = session.scalar(select(func.count()).select_from(Win).where(
            Win.team_id == team.id, Win.week == shift(week, -1)))
        newest = max(session.scalar(select(func.max(model.at))) for model in (CheckIn, Win))
        cycle = _current(session, later)
    assert newest <= later
    assert {p.status for p in board.priorities} == {"open", "done", "dropped"}
    assert any(p.carried for p in board.priorities) and board.plans and last_week_wins >= 1
    drop = next(o for o in board.okrs if o.code == "rd-o1-kr3")
    assert (drop.previous, drop.confidence, drop.flagged) == (7, 4, True) and len(drop.trend) == 6
    assert (cycle.name, str(cycle.start)) == ("2027-Q1", "2027-01-01")


def test_demo_data_refresh_on_the_cli(monkeypatch, capsys, database_url, sessions):
    """`make run` runs `demo-data --if-empty --refresh`: it loads an empty database, then keeps the demo current."""
    weeks_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=5)
    _seed(sessions, weeks_ago)
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "demo-data", "--if-empty", "--refresh")
    assert code == 0 and "5 weeks forward" in out, out
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "demo-data", "--if-empty", "--refresh")
    assert code == 0 and "is current; nothing changed" in out
    with transaction(sessions) as session:
        newest = session.scalar(select(func.max(CheckIn.at)))
    assert timedelta(0) <= datetime.now(UTC) - newest < timedelta(days=7)


def test_the_demo_speaks_chinese_unless_told_otherwise(monkeypatch, capsys, database_url, sessions):
    """The demo is the retailer of the method's course: `make run` shows it in Chinese; --language picks another."""
    assert okrbot(monkeypatch, capsys, database_url, "demo-data")[0] == 0
    with sessions() as session:
        assert session.scalars(select(Organization.language)).all() == ["zh-CN"]


def test_the_demos_language_can_be_chosen_and_a_wrong_one_is_refused(monkeypatch, capsys, database_url, sessions):
    code, _, err = okrbot(monkeypatch, capsys, database_url, "demo-data", "--language", "fr")
    assert code == 2 and "does not speak 'fr'" in err and "zh-CN" in err
    with sessions() as session:
        assert session.scalars(select(Organization.id)).all() == []  # nothing loaded
    assert okrbot(monkeypatch, capsys, database_url, "demo-data", "--language", "ES")[0] == 0
    with sessions() as session:
        assert session.scalars(select(Organization.language)).all() == ["es"]
