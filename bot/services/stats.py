"""Ritual health: whether the weekly rituals are working, one definition for chat, the page and the CSV.

The method's loop only works when people do it every week, so per team and ISO week (the team's own zone):

- **check-ins**: each key result of the team's active objectives in the current cycle is due one check-in a week.
  *On time*: someone checked it in that week before the weekly status report was due (the team's `report`
  setting, FRI 18:30 by default, after the wrap-up), so the report shows it; *late*: later that week; *missed*:
  not that week.
  Imports and pull connectors do not count (nobody looked).
- **median confidence**: the median of the key results' latest confidence checked in that week; *red*: how many
  of those were red by the organization's colours.
- **priorities**: the week's priorities done, dropped, and carried (still open when the week ended: they carry
  over to the next).
- **wins**: the week's wins.
- **rituals**: the week's weekly ritual runs posted, and not posted (failed or skipped, from `ritual_runs`); a
  team's rituals posted that week when at least one ran and none failed or was skipped.
- **reds by age** (now, not per week): the team's red key results by how long they have been red, from the
  check-in that turned them red.

Every figure is read with a fixed number of set-based statements whatever the number of teams: the weeks of
each (zone, report time) class of teams are computed here (so daylight saving is exact) and joined in as VALUES.
A scope is a set of teams (a team and everything under it, or the whole organization), summed up per week; or,
`per_team`, each team's own rows (the CSV).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, case, column, func, select, values
from sqlalchemy.orm import Session

from bot.context import current_cycle, team_zones
from bot.rituals import catalog
from bot.rituals.schedule import occurrence
from bot.spreadsheet import csv_text
from bot.weeks import local_week, monday_of, shift
from storage.models import (
    CheckIn,
    Cycle,
    KeyResult,
    Objective,
    Organization,
    Priority,
    RitualRun,
    RitualSetting,
    Team,
    Win,
)
from storage.types import UtcDateTime

HUMAN = ("import", "connector")  # check-in sources nobody typed: they are not a check-in of the ritual
CUTOFF = "report"  # a check-in is on time when the week's status report can show it
RED_AGES = ((7, "week"), (14, "two_weeks"), (28, "four_weeks"))  # days -> bucket; older: "older"
AGE_BUCKETS = ("week", "two_weeks", "four_weeks", "older")


@dataclass
class WeekHealth:
    """One week of a team (or of a scope, summed): plain counts, so chat, page and CSV say the same."""

    week: str
    key_results: int = 0  # due a check-in that week
    on_time: int = 0
    late: int = 0
    confidences: list[int] = field(default_factory=lambda: [0] * 10)  # how many latest check-ins said 1..10
    reds: int = 0
    done: int = 0
    dropped: int = 0
    carried: int = 0
    wins: int = 0
    posted: int = 0  # a team: its runs posted; a scope: its teams whose rituals all posted
    not_posted: int = 0  # a team: its runs failed or skipped; a scope: its teams with one such run

    @property
    def missed(self) -> int:
        return max(self.key_results - self.on_time - self.late, 0)

    @property
    def median(self) -> float | None:
        """The median of the week's checked-in confidences (the mean of the middle two for an even count)."""
        total = sum(self.confidences)
        if not total:
            return None
        middle = [(total - 1) // 2, total // 2]
        found, seen = [], 0
        for value, count in enumerate(self.confidences, start=1):
            while middle and middle[0] < seen + count:
                found.append(value)
                middle.pop(0)
            seen += count
        return sum(found) / len(found)


@dataclass
class RitualHealth:
    """A scope's weeks, oldest first (or each team's, `per_team`), and its red key results by age now."""

    cycle: Cycle | None
    weeks: list[str]
    series: dict[int | None, list[WeekHealth]]  # team id -> weeks; None: the scope summed
    red_ages: dict[str, int]
    teams: int

    current: bool = False  # the last week is this week, not over yet: its missed check-ins are "not yet"

    @property
    def total(self) -> list[WeekHealth]:
        return self.series.get(None, [])


def cycle_weeks(cycle: Cycle | None, org: Organization, now: datetime, last: int) -> list[str]:
    """The cycle's weeks up to this one (the organization's zone), the last `last` of them, oldest first."""
    if cycle is None:
        return []
    current = local_week(now, org.timezone)
    final = min(current, local_week(_local_noon(cycle.end, org.timezone), org.timezone))
    first = local_week(_local_noon(cycle.start, org.timezone), org.timezone)
    weeks = [final]
    while len(weeks) < last and weeks[0] > first:
        weeks.insert(0, shift(weeks[0], -1))
    return [w for w in weeks if w >= first]


def _local_noon(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))


def _classes(session: Session, org: Organization, team_ids: list[int] | None):
    """Each team's class (zone, report weekday and time): the VALUES the weeks' windows are joined through."""
    zones = team_zones(session, {org.id})
    if team_ids is not None:
        zones = {team_id: zones[team_id] for team_id in team_ids if team_id in zones}
    report = catalog.CATALOG[CUTOFF]
    settings = dict(
        (row.team_id, (row.weekday, row.time)) for row in session.execute(
            select(RitualSetting.team_id, RitualSetting.weekday, RitualSetting.time)
            .join(Team, Team.id == RitualSetting.team_id)
            .where(Team.org_id == org.id, RitualSetting.ritual == CUTOFF))
    )
    kinds: dict[tuple[str, int, str], int] = {}
    members = []
    for team_id, zone in zones.items():
        weekday, at = settings.get(team_id, (report.weekday, report.time))
        members.append((team_id, kinds.setdefault((zone, weekday, at), len(kinds))))
    return kinds, members


def _windows(kinds: dict[tuple[str, int, str], int], weeks: list[str]) -> list[tuple]:
    rows = []
    for (zone, weekday, at), kind in kinds.items():
        tz = ZoneInfo(zone)
        for week in weeks:
            start = datetime.combine(monday_of(week), time(0), tzinfo=tz)
            end = datetime.combine(monday_of(shift(week, 1)), time(0), tzinfo=tz)
            cutoff = occurrence(CUTOFF, weekday, at, week, zone).at
            rows.append((kind, week, start, min(max(cutoff, start), end), end))
    return rows


def ritual_health(session: Session, org: Organization, now: datetime, *, team_ids: list[int] | None = None,
                  weeks: int = 13, per_team: bool = False) -> RitualHealth:
    """The ritual health of `team_ids` (None: every team of the organization) over the current cycle's last
    `weeks` weeks, summed per week (series[None]) or, `per_team`, each team's own (series[team id])."""
    cycle = current_cycle(session, org, now)
    shown = cycle_weeks(cycle, org, now, weeks)
    if cycle is None or not shown or team_ids == []:
        return RitualHealth(cycle, shown, {None: [WeekHealth(w) for w in shown]}, dict.fromkeys(AGE_BUCKETS, 0), 0)
    kinds, members = _classes(session, org, team_ids)
    windows = _windows(kinds, shown)
    member = values(column("team_id", Integer), column("kind", Integer), name="member").data(members).cte("member")
    window = values(column("kind", Integer), column("week", String), column("start", UtcDateTime()),
                    column("cutoff", UtcDateTime()), column("finish", UtcDateTime()),
                    name="window").data(windows).cte("window")
    krs = (select(KeyResult.id.label("kr_id"), Objective.owner_team_id.label("team_id"), member.c.kind,
                  KeyResult.confidence)
           .join(Objective, Objective.id == KeyResult.objective_id)
           .join(member, member.c.team_id == Objective.owner_team_id)
           .where(Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.status == "active",
                  KeyResult.removed_at.is_(None))).cte("krs").prefix_with("MATERIALIZED")
    rows: dict[tuple[int | None, str], WeekHealth] = {}

    def at(team_id: int | None, week: str) -> WeekHealth:
        key = (team_id if per_team else None, week)
        if key not in rows:
            rows[key] = WeekHealth(week)
        return rows[key]

    _checkins(session, org, krs, window, (min(r[2] for r in windows), max(r[4] for r in windows)), shown, at,
              per_team)
    _priorities(session, org, member, shown, at, per_team)
    _wins(session, org, member, shown, at, per_team)
    _rituals(session, member, shown, at, per_team)
    # Every team (or the scope) has every week, a week with nothing to count with zeros.
    keys = [team_id for team_id, _kind in members] if per_team else [None]
    series = {key: [rows.get((key, week)) or WeekHealth(week) for week in shown] for key in keys}
    return RitualHealth(cycle, shown, series, red_ages(session, org, krs, now), len(members),
                        current=shown[-1] == local_week(now, org.timezone))


def _checkins(session, org, krs, window, bounds, shown, at, per_team) -> None:
    """Per key result and week: checked in on time, late, and the latest confidence; summed per team and week."""
    on_time = case((CheckIn.at <= window.c.cutoff, 1), else_=0)
    late = case((CheckIn.at > window.c.cutoff, 1), else_=0)
    # The key results, then their check-ins by the (key result, time) index, then each one's week: a LEFT JOIN
    # so SQLite keeps that order (it would otherwise scan every check-in once per week).
    each = (
        select(krs.c.team_id, window.c.week, krs.c.kr_id, func.max(on_time).label("on_time"),
               func.max(late).label("late"), func.max(CheckIn.id).label("last_id"))
        .join(CheckIn, and_(CheckIn.key_result_id == krs.c.kr_id, CheckIn.at >= bounds[0], CheckIn.at < bounds[1],
                            CheckIn.source.not_in(HUMAN)))
        .outerjoin(window, and_(window.c.kind == krs.c.kind, CheckIn.at >= window.c.start,
                                CheckIn.at < window.c.finish))
        .group_by(krs.c.team_id, window.c.week, krs.c.kr_id)
    ).subquery("each")
    team = (each.c.team_id,) if per_team else ()
    statement = (
        select(*team, each.c.week, CheckIn.confidence, func.count(), func.sum(each.c.on_time),
               func.sum(case((each.c.on_time == 0, each.c.late), else_=0)))
        .join(CheckIn, CheckIn.id == each.c.last_id)
        .where(each.c.week.is_not(None))
        .group_by(*team, each.c.week, CheckIn.confidence)
    )
    for row in session.execute(statement):
        team_id, (week, confidence, count, on, late_) = (row[0], row[1:]) if per_team else (None, row)
        health = at(team_id, week)
        health.confidences[min(max(confidence, 1), 10) - 1] += count
        health.on_time += on or 0
        health.late += late_ or 0
        if confidence <= org.red_max:
            health.reds += count
    team = (krs.c.team_id,) if per_team else ()
    for row in session.execute(select(*team, func.count()).select_from(krs).group_by(*team)):
        team_id, count = (row[0], row[1]) if per_team else (None, row[0])
        for week in shown:
            at(team_id, week).key_results += count


def _priorities(session, org, member, shown, at, per_team) -> None:
    team = (Priority.team_id,) if per_team else ()
    statement = (select(*team, Priority.week, Priority.status, func.count())
                 .join(member, member.c.team_id == Priority.team_id)
                 .where(Priority.org_id == org.id, Priority.week.in_(shown))
                 .group_by(*team, Priority.week, Priority.status))
    for row in session.execute(statement):
        team_id, (week, status, count) = (row[0], row[1:]) if per_team else (None, row)
        health = at(team_id, week)
        if status == "done":
            health.done += count
        elif status == "dropped":
            health.dropped += count
        else:
            health.carried += count


def _wins(session, org, member, shown, at, per_team) -> None:
    team = (Win.team_id,) if per_team else ()
    statement = (select(*team, Win.week, func.count()).join(member, member.c.team_id == Win.team_id)
                 .where(Win.org_id == org.id, Win.week.in_(shown)).group_by(*team, Win.week))
    for row in session.execute(statement):
        team_id, (week, count) = (row[0], row[1:]) if per_team else (None, row)
        at(team_id, week).wins += count


def _rituals(session, member, shown, at, per_team) -> None:
    """Weekly runs posted and not posted per team and week; a scope counts its teams whose rituals all posted."""
    weekly = [r.name for r in catalog.scheduled() if r.cadence == "weekly"]
    posted = func.sum(case((RitualRun.state == "posted", 1), else_=0)).label("posted")
    failed = func.sum(case((RitualRun.state.in_(("failed", "skipped", "lost", "stopped")), 1), else_=0)).label("failed")
    per = (select(RitualRun.team_id, RitualRun.period.label("week"), posted, failed)
           .join(member, member.c.team_id == RitualRun.team_id)
           .where(RitualRun.ritual.in_(weekly), RitualRun.period.in_(shown))
           .group_by(RitualRun.team_id, RitualRun.period))
    if per_team:
        for team_id, week, ok, bad in session.execute(per):
            health = at(team_id, week)
            health.posted += ok or 0
            health.not_posted += bad or 0
        return
    runs = per.subquery("runs")
    statement = select(runs.c.week, func.sum(case((and_(runs.c.failed == 0, runs.c.posted > 0), 1), else_=0)),
                       func.sum(case((runs.c.failed > 0, 1), else_=0))).group_by(runs.c.week)
    for week, ok, bad in session.execute(statement):
        health = at(None, week)
        health.posted += ok or 0
        health.not_posted += bad or 0


def red_ages(session: Session, org: Organization, krs, now: datetime) -> dict[str, int]:
    """The scope's red key results now, by how long they have been red: since the first check-in after the
    last one that was not red (a key result red from its first check-in: since that one)."""
    # By id, the order check-ins were written in: two at the same instant still have an order.
    last_ok = (select(func.max(CheckIn.id)).where(CheckIn.key_result_id == krs.c.kr_id,
                                                   CheckIn.confidence > org.red_max)
               .correlate(krs).scalar_subquery())
    since = (select(func.min(CheckIn.at)).where(CheckIn.key_result_id == krs.c.kr_id,
                                                 CheckIn.id > func.coalesce(last_ok, 0))
             .correlate(krs).scalar_subquery())
    red = (select(since.label("since")).where(krs.c.confidence <= org.red_max)
           .cte("red").prefix_with("MATERIALIZED"))  # once per key result, not once per use below
    bucket = case(*((red.c.since > now - timedelta(days=days), name) for days, name in RED_AGES), else_="older")
    found = dict(session.execute(select(bucket, func.count()).select_from(red).where(red.c.since.is_not(None))
                                 .group_by(bucket)).all())
    return {name: found.get(name, 0) for name in AGE_BUCKETS}


CSV_COLUMNS = ("team", "team_name", "week", "key_results", "checkins_on_time", "checkins_late", "checkins_missed",
               "median_confidence", "red", "priorities_done", "priorities_dropped", "priorities_carried", "wins",
               "rituals_posted", "rituals_not_posted")


def health_csv(health: RitualHealth, teams: dict[int, Team]) -> str:
    """`per_team` ritual health as CSV, one row per team and week (README: Ritual health), teams by name."""
    order = sorted((team_id for team_id in health.series if team_id in teams), key=lambda i: (teams[i].name, i))
    return csv_text(CSV_COLUMNS, (
        (teams[team_id].key, teams[team_id].name, w.week, w.key_results, w.on_time, w.late, w.missed, w.median,
         w.reds, w.done, w.dropped, w.carried, w.wins, w.posted, w.not_posted)
        for team_id in order for w in health.series[team_id]
    ))
