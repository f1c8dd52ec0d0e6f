"""A cycle's life: planning -> active -> closing -> closed, computed from its dates.

The phase is never stored: it follows from the dates and `closed_at`, so no process has to move a cycle
along and none can forget to. Planning opens on `planning_from` (or DEFAULT_PLANNING before the start);
the cycle is active from its first day to its last (`end`, inclusive); closing from the day after its
end (scores, retrospectives, the summary) until it is closed (`okrbot cycle close`).

The rituals that happen once per cycle (bot.rituals.catalog: the planning call, the kickoff, the
mid-quarter review) are due on the day `anchor_day` gives for their cadence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Cycle, Organization

Phase = Literal["planning", "active", "closing", "closed"]
PHASES: tuple[Phase, ...] = ("planning", "active", "closing", "closed")
Anchor = Literal["planning", "start", "midpoint", "end"]
DEFAULT_PLANNING = timedelta(days=21)  # planning opens three weeks before the start unless told otherwise
MAX_NAME = 64


class Dated(Protocol):
    """What the phase rules read of a cycle (a Cycle row, or a row of the same columns)."""

    id: int
    start: date
    end: date
    planning_from: date | None


def planning_opens(cycle: Dated) -> date:
    return cycle.planning_from or cycle.start - DEFAULT_PLANNING


def midpoint(cycle: Dated) -> date:
    """The middle day of the cycle: the mid-quarter review's day."""
    return cycle.start + (cycle.end - cycle.start) // 2


def anchor_day(cycle: Dated, anchor: Anchor) -> date:
    """The day a once-per-cycle ritual of this cadence is due: planning opens, the first day, the middle
    day, or the first day of closing (the day after the last day)."""
    if anchor == "planning":
        return planning_opens(cycle)
    if anchor == "start":
        return cycle.start
    if anchor == "midpoint":
        return midpoint(cycle)
    return cycle.end + timedelta(days=1)


def phase(cycle: Cycle, today: date) -> Phase | None:
    """The cycle's phase on `today`; None before its planning opens."""
    if cycle.closed_at is not None:
        return "closed"
    if today > cycle.end:
        return "closing"
    if today >= cycle.start:
        return "active"
    if today >= planning_opens(cycle):
        return "planning"
    return None


def today_of(org: Organization, now: datetime) -> date:
    """The organization's date now: cycles change phase at midnight in its zone."""
    return now.astimezone(ZoneInfo(org.timezone)).date()


def cycles_of(session: Session, org_id: int) -> list[Cycle]:
    return list(session.scalars(select(Cycle).where(Cycle.org_id == org_id).order_by(Cycle.start, Cycle.id)))


def previous(session: Session, cycle: Cycle) -> Cycle | None:
    """The cycle that ended last before this one started: whose results the kickoff recalls."""
    return session.scalar(select(Cycle).where(Cycle.org_id == cycle.org_id, Cycle.end < cycle.start)
                          .order_by(Cycle.end.desc()).limit(1))


def period_of(cycle: Dated) -> str:
    """A once-per-cycle ritual run's period (ritual_runs.period): the cycle's id, which never changes."""
    return f"cycle-{cycle.id}"


def cycle_of_period(session: Session, org_id: int, period: str) -> Cycle | None:
    """The cycle a run's period names (see period_of), in this organization only."""
    raw = period.removeprefix("cycle-")
    if raw == period or not raw.isascii() or not raw.isdigit():
        return None
    return session.scalar(select(Cycle).where(Cycle.org_id == org_id, Cycle.id == int(raw)))


class CycleProblem(Exception):
    """A cycle that cannot be created or closed as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Status:
    cycle: Cycle
    phase: Phase | None
    planning_opens: date
    midpoint: date


def new_cycle(session: Session, org: Organization, name: str, start: date, end: date,
              planning_from: date | None = None) -> Cycle:
    """Add a cycle, refusing what would make "the current cycle" ambiguous: a name taken, dates in the
    wrong order, or days shared with another cycle of the organization."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise CycleProblem(f"a cycle's name is 1 to {MAX_NAME} characters; {name!r} is not")
    if end <= start:
        raise CycleProblem(f"--end {end} must be after --start {start}")
    if planning_from is not None and planning_from >= start:
        raise CycleProblem(f"--planning-from {planning_from} must be before --start {start}: planning comes first")
    for other in cycles_of(session, org.id):
        if other.name == name:
            raise CycleProblem(f"{org.name} already has a cycle {name!r} ({other.start} to {other.end}); "
                               "choose another name")
        if other.start <= end and start <= other.end:
            raise CycleProblem(f"{start} to {end} overlaps the cycle {other.name!r} ({other.start} to {other.end}); "
                               "cycles follow one another")
    cycle = Cycle(org_id=org.id, name=name, start=start, end=end, planning_from=planning_from)
    session.add(cycle)
    session.flush()
    return cycle


def close_cycle(session: Session, org: Organization, name: str, now: datetime) -> Cycle:
    """End a cycle's closing phase; only once it is over (its last day passed)."""
    cycle = session.scalar(select(Cycle).where(Cycle.org_id == org.id, Cycle.name == name))
    if cycle is None:
        names = ", ".join(c.name for c in cycles_of(session, org.id)) or "none yet"
        raise CycleProblem(f"{org.name} has no cycle {name!r} (cycles: {names})")
    if cycle.closed_at is not None:
        raise CycleProblem(f"{name} was already closed on {cycle.closed_at:%Y-%m-%d}")
    if today_of(org, now) <= cycle.end:
        raise CycleProblem(f"{name} runs until {cycle.end}; a cycle is closed after its last day")
    cycle.closed_at = now
    return cycle


def statuses(session: Session, org: Organization, now: datetime) -> list[Status]:
    today = today_of(org, now)
    return [Status(c, phase(c, today), planning_opens(c), midpoint(c)) for c in cycles_of(session, org.id)]
