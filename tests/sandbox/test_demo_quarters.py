"""The demo shows the quarter's whole life (#12 item 9), on SQLite and PostgreSQL: a closed previous quarter with
scores, an honest change, a removed key result and lessons; the running quarter; the next one's planning open.
The dashboard and the key result's pages show the closed quarter; `demo-data --refresh` keeps them in place."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.cycles import statuses
from bot.demo.refresh import refresh_demo
from bot.demo.seed import seed_demo
from storage.db import transaction
from storage.models import CheckIn, KeyResult, Lesson, Objective, OkrChange, Organization
from tests.sandbox.conftest import make_client, visible_text


def _load(sessions, now) -> int:
    with transaction(sessions) as session:
        return seed_demo(session, now).organization_id


def _phases(sessions, org_id: int, now) -> list[tuple[str, str | None]]:
    with sessions() as session:
        return [(s.cycle.name, s.phase) for s in statuses(session, session.get(Organization, org_id), now)]


def test_the_demo_has_a_closed_quarter_before_and_planning_after(sessions, clock):
    org_id = _load(sessions, clock.now())  # Wed 18 Nov 2026: 2026-Q4 is running
    assert _phases(sessions, org_id, clock.now()) == [("2026-Q3", "closed"), ("2026-Q4", "active"),
                                                      ("2027-Q1", "planning")]
    with sessions() as s:
        scored = dict(s.execute(select(KeyResult.key, KeyResult.score).where(KeyResult.key.like("%-p1-kr%"))).all())
        objectives = dict(s.execute(select(Objective.key, Objective.score).where(Objective.key.like("%-p1"))).all())
        removed = s.scalar(select(KeyResult).where(KeyResult.key == "rd-p1-kr3"))
        changes = s.scalars(select(OkrChange.field).order_by(OkrChange.id)).all()
        lessons = s.scalar(select(func.count()).select_from(Lesson))
        future = s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.at > clock.now()))
    assert scored["rd-p1-kr1"] == 0.8 and scored["rd-p1-kr3"] is None
    assert objectives == {"retail-p1": 0.75, "rd-p1": 0.65, "hr-p1": 0.7}  # the removed one does not count
    assert not removed.live and "platform team" in removed.removed_reason
    assert changes == ["removed", "target"] and lessons == 8 and future == 0


async def test_the_dashboard_and_the_pages_show_the_closed_quarter(sessions, clock, database_url):
    org_id = _load(sessions, clock.now())
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    try:
        past = visible_text(await (await client.get(f"/?cycle=2026-Q3&org={org_id}")).text())
        assert "2026-Q3" in past and "Win the new regions" in past and "36 / 40 stores" in past, past
        assert "Market penetration" not in past  # the running quarter's objectives are not in it
        team = visible_text(await (await client.get(f"/?team=rd-efficiency&cycle=2026-Q3&org={org_id}")).text())
        assert "Make releases boring" in team and "rd-p1-kr3" not in team, team  # the removed one is not live
        page = visible_text(await (await client.get(f"/kr/retail-p1-kr1?org={org_id}")).text())
        assert "2026-Q3" in page and "Two regions were postponed by the board" in page, page
        gone = visible_text(await (await client.get(f"/kr/rd-p1-kr3?org={org_id}")).text())
        assert "The interfaces moved to the platform team in week 6" in gone, gone
        now = visible_text(await (await client.get(f"/?org={org_id}")).text())
        assert "2026-Q4" in now and "Win the new regions" not in now
    finally:
        await client.close()
        ctx.engine.dispose()


def test_refresh_keeps_the_quarters_around_today(sessions, clock):
    """Loaded in November, refreshed in late January: the running quarter is 2027-Q1, 2026-Q4 is closed, and the
    next quarter's planning is open; nothing lies in the future."""
    org_id = _load(sessions, clock.now())
    later = datetime(2027, 1, 25, 2, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        assert refresh_demo(session, session.get(Organization, org_id), later) > 0
    assert _phases(sessions, org_id, later) == [("2026-Q4", "closed"), ("2027-Q1", "active"),
                                                ("2027-Q2", "planning")]
    with sessions() as s:
        assert s.scalar(select(func.max(CheckIn.at))) <= later
        assert s.scalar(select(func.max(Lesson.at))) <= later
        past = s.scalar(select(Objective.cycle_id).where(Objective.key == "rd-p1"))
        running = s.scalar(select(Objective.cycle_id).where(Objective.key == "rd-o1"))
    assert past != running
