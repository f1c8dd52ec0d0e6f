"""Weekly confidence per key result, read from the append-only check-in history.

The method asks every Monday: "Is confidence getting higher or lower? Because what happened?" A week's
confidence is the last check-in at or before the end of that ISO week in the team's own time zone.
One statement answers it for any number of key results (no N+1): the value each one enters the first
week with, and every check-in inside the weeks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from bot.context import ancestry, zone_of
from bot.weeks import local_week, monday_of, shift
from storage.models import CheckIn, KeyResult, Objective, Organization, Person

# SQLite and PostgreSQL both cap bound parameters; chunk long id lists so the roll-up stays one shape.
ID_CHUNK = 900


def week_start(week: str, timezone: str) -> datetime:
    """Monday 00:00 of `week` in `timezone`, as an aware UTC datetime."""
    local = datetime.combine(monday_of(week), time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def week_end(week: str, timezone: str) -> datetime:
    """The first instant after `week` in `timezone` (the next Monday 00:00), in UTC.

    Computed from the next Monday's local midnight rather than start + 7 days, so a week that
    contains a DST change still ends at local midnight.
    """
    local = datetime.combine(monday_of(week) + timedelta(days=7), time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def _id_chunks(kr_ids: Iterable[int]) -> tuple[list[int], list[list[int]]]:
    ids = sorted(set(kr_ids))
    return ids, [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


@lru_cache(maxsize=16)
def _trend_statement(scope: Select | None) -> Select:
    """The value each key result enters the first week with and every check-in inside the weeks, in one statement.

    The entering value is one index seek per key result (ix_checkins_kr_at), not a scan of its whole
    history; it is dated just before the first week so it sorts first. Rows come ordered by key result,
    time and id: of two check-ins in the same instant the later written counts. Built once per scope
    (a module's constant `select(KeyResult.id)...`, or None for a list of ids) and run with bind
    parameters: building it costs more than running it.
    """
    ids = scope if scope is not None else bindparam("kr_ids", expanding=True)
    at_type = CheckIn.at.type
    first_start, last_end = bindparam("first_start", type_=at_type), bindparam("last_end", type_=at_type)
    latest_before = (
        select(CheckIn.confidence)
        .where(CheckIn.key_result_id == KeyResult.id, CheckIn.at < first_start)
        .order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(1)
        .correlate(KeyResult)
        .scalar_subquery()
    )
    inside = select(CheckIn.key_result_id, CheckIn.at, CheckIn.confidence, CheckIn.id).where(
        CheckIn.key_result_id.in_(ids), CheckIn.at >= first_start, CheckIn.at < last_end)
    starting = select(KeyResult.id, bindparam("entering", type_=at_type), latest_before, literal(0)).where(
        KeyResult.id.in_(ids))
    both = union_all(inside, starting).subquery()
    kr_id, at, _confidence, row_id = both.c
    return select(both).order_by(kr_id, at, row_id)


def confidence_trends(
    session: Session, kr_ids: Iterable[int] | Select, weeks: list[str], timezone: str,
    scope_params: dict | None = None,
) -> dict[int, tuple[int, ...]]:
    """Confidence at the end of each of `weeks` (oldest first) for every key result in `kr_ids`.

    The tuples are right-aligned with `weeks`: weeks before a key result's first check-in have no
    value and are left out, so `trend[-1]` is always the last week and `trend[-2]` the one before it
    when it exists. A key result with no check-in by the last week maps to an empty tuple.

    `kr_ids` is a list of ids, or a `select(KeyResult.id)...` that the database evaluates itself (with
    its bind parameters in `scope_params`), which keeps a roll-up over tens of thousands of key results
    at one statement. Pass a select built once (a module constant): the statement is kept per select.
    """
    if isinstance(kr_ids, Select):
        ids, chunks = [], [None]
    else:
        ids, chunks = _id_chunks(kr_ids)
    history: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    if not weeks or not chunks:
        return {kr_id: () for kr_id in ids}
    ends = [week_end(week, timezone) for week in weeks]
    first_start = week_start(weeks[0], timezone)
    params = {**(scope_params or {}), "first_start": first_start, "last_end": ends[-1],
              "entering": first_start - timedelta(microseconds=1)}
    statement = _trend_statement(kr_ids if isinstance(kr_ids, Select) else None)
    for chunk in chunks:
        rows = session.execute(statement, params if chunk is None else {**params, "kr_ids": chunk})
        for kr_id, at, confidence, _id in rows:
            if confidence is not None:
                history[kr_id].append((at, confidence))
    result: dict[int, tuple[int, ...]] = {kr_id: () for kr_id in ids}
    for kr_id, rows in history.items():
        values: list[int] = []
        index, current = 0, None
        for end in ends:
            while index < len(rows) and rows[index][0] < end:
                current = rows[index][1]
                index += 1
            if current is not None:
                values.append(current)
        result[kr_id] = tuple(values)
    return result


# ------------------------------------------------------------------ "since last week"

FLAG_DROP = 2  # a drop of this much or more since last week is flagged: "talk about this"


@dataclass(frozen=True)
class WeekChange:
    """A key result's confidence now against the end of the previous ISO week: what "since last week" means."""

    previous: int | None  # confidence at the end of the previous ISO week; None: no check-in by then
    delta: int | None

    @property
    def flagged(self) -> bool:
        return self.delta is not None and self.delta <= -FLAG_DROP


def since_last_week(trend: tuple[int, ...]) -> WeekChange:
    """The one definition of "since last week", used by every reply, post, page and report.

    `trend` is a `confidence_trends` tuple whose last week is the current one, in the zone of the team
    the view is about: the change is this week's value (the latest check-in) minus the value at the end
    of the previous ISO week. It is never the change since the previous check-in; a reply that compares
    with that says so in its words.
    """
    if len(trend) < 2:
        return WeekChange(None, None)
    return WeekChange(trend[-2], trend[-1] - trend[-2])


def weeks_ending(week: str, count: int) -> list[str]:
    """`count` ISO weeks ending with `week`, oldest first (at least two: this week and the one before)."""
    return [shift(week, -n) for n in range(max(count, 2) - 1, -1, -1)]


def own_zone(session: Session, org: Organization, objective: Objective,
             team_zones: dict[int, str] | None = None) -> str:
    """The zone a key result's weeks are counted in: its owning team's (one recursive statement: the team and its
    ancestors), or for an individual objective its owner's; `team_zones` remembers teams already looked up."""
    if objective.owner_team_id is not None:
        team_zones = {} if team_zones is None else team_zones
        if objective.owner_team_id not in team_zones:
            team_zones[objective.owner_team_id] = zone_of(ancestry(session, objective.owner_team_id), org)
        return team_zones[objective.owner_team_id]
    owner = session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    return (owner.timezone if owner else None) or org.timezone


def own_zone_trends(session: Session, org: Organization, rows: Iterable[tuple[KeyResult, Objective]],
                    now: datetime, count: int) -> dict[int, tuple[int, ...]]:
    """Weekly confidence of key results shown to one person (the home tab), each in the zone of the team that owns
    it (an individual objective's: its owner's zone), ending with that zone's current week.

    One statement per zone among them (usually one): the same weeks the team's Monday post counts.
    """
    zones: dict[str, list[int]] = defaultdict(list)
    team_zones: dict[int, str] = {}
    for kr, objective in rows:
        zones[own_zone(session, org, objective, team_zones)].append(kr.id)
    trends: dict[int, tuple[int, ...]] = {}
    for zone, ids in zones.items():
        trends.update(confidence_trends(session, ids, weeks_ending(local_week(now, zone), count), zone))
    return trends


def _latest_before(bound: str):
    """The confidence of a key result's last check-in before a moment: one seek on ix_checkins_kr_at. On the
    table's columns, so the statement skips the ORM's execution path (0.35 -> 0.24 ms of CPU on SQLite, 1.1 ->
    0.7 on PostgreSQL, for every check-in's reply)."""
    checkins = CheckIn.__table__.c
    return (select(checkins.confidence)
            .where(checkins.key_result_id == bindparam("kr_id"), checkins.at < bindparam(bound, type_=checkins.at.type))
            .order_by(checkins.at.desc(), checkins.id.desc()).limit(1).scalar_subquery())


# Built once: the value at the end of last week and at the end of this one (ties at one instant go by id, as in
# confidence_trends), however many check-ins the key result has.
_WEEK_ENDS = select(_latest_before("this_start"), _latest_before("this_end"))
_LAST_WEEK_END = select(_latest_before("this_start"))


def week_change(session: Session, kr_id: int, zone: str, now: datetime, current: int | None = None) -> WeekChange:
    """`since_last_week` of one key result in its own zone (`own_zone`: a check-in reply, its page): the two
    weeks' `confidence_trends` values, read with two index seeks in one statement instead of the weeks' history.

    `current`: the confidence a check-in at `now` is about to record (this week's latest value then). A check-in
    reads its change before it writes, so the key result's row, locked by the write, stays locked only for the
    commit: every other check-in of that key result waits for it (bench/slack_ack.py on PostgreSQL)."""
    week = local_week(now, zone)
    if current is None:
        previous, current = session.execute(_WEEK_ENDS, {
            "kr_id": kr_id, "this_start": week_start(week, zone), "this_end": week_end(week, zone)}).one()
    else:
        previous = session.scalar(_LAST_WEEK_END, {"kr_id": kr_id, "this_start": week_start(week, zone)})
    return since_last_week(tuple(value for value in (previous, current) if value is not None))
