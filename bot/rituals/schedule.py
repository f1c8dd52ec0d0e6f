"""When a team's ritual is due, in the team's own IANA zone.

Everything is computed from the team's wall clock with zoneinfo, never from a fixed UTC offset, so a
Monday 09:00 stays 09:00 local across DST changes. Two wall-clock times need a rule:

- a time that does not exist (spring forward, e.g. 02:30 in Berlin on the last Sunday of March, or
  00:30 in Santiago when its clocks jump at midnight) is due at the first valid instant after it
  (the end of the gap, 03:00 and 01:00 respectively);
- a time that happens twice (fall back) is due at its first occurrence (zoneinfo's fold=0).

The period of a weekly run is the ISO week of its due date in the team's zone, so a Sydney team's
Monday post and a New York team's Monday post each belong to their own local week. A once-per-cycle
ritual (the kickoff) is due at its time on the day its cadence picks from the cycle's dates
(bot.cycles.anchor_day), and its period is the cycle (bot.cycles.period_of).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import i18n
from bot.cycles import Dated, anchor_day, period_of
from bot.rituals import catalog
from bot.weeks import local_week, monday_of, shift

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Due:
    """One occurrence of a ritual: the period it belongs to, when it is due and until when it may run late."""

    ritual: str
    period: str  # ISO week in the team's zone
    at: datetime  # UTC
    window_end: datetime  # UTC; after this a missed run is recorded as skipped
    timezone: str

    def local(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.timezone))


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def resolve_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day: gaps move forward to their end, overlaps take the first."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # In a gap: fold=1 reads it with the offset after the change, which lands before the gap's end
    # in UTC; the end of the gap is the first whole second whose wall clock is at or past `naive`.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(instant.timestamp())
    low, high = min(low, high), max(low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight after `day`, as a UTC instant (respecting a zone whose midnight does not exist)."""
    return resolve_local(day + timedelta(days=1), time(0, 0), zone)


def occurrence(ritual: str, weekday: int, at: str, week: str, timezone: str) -> Due:
    """The ritual's due instant in ISO week `week` of the team's zone, with its late window."""
    day = monday_of(week) + timedelta(days=weekday)
    due = resolve_local(day, parse_hhmm(at), ZoneInfo(timezone))
    return Due(ritual, week, due, window_end(ritual, due, timezone), timezone)


def window_end(ritual: str, due: datetime, timezone: str) -> datetime:
    """Until when a missed run may still be posted late.

    The ritual's catalog entry says which window it has: "day" until the end of its local day (a
    Monday post on Tuesday would be noise: the channel posts and the nudge), "week" until the end of
    its week (Sunday 24:00 local: the weekly report, which still describes that week).
    """
    zone = ZoneInfo(timezone)
    day = due.astimezone(zone).date()
    week = catalog.CATALOG[ritual].window == "week"
    last_day = day + timedelta(days=6 - day.weekday()) if week else day
    return max(end_of_local_day(last_day, zone), due + timedelta(minutes=1))


def latest_due(ritual: str, weekday: int, at: str, timezone: str, now: datetime) -> Due:
    """The most recent occurrence at or before `now` (this local week's, else last week's)."""
    week = local_week(now, timezone)
    due = occurrence(ritual, weekday, at, week, timezone)
    if due.at <= now:
        return due
    return occurrence(ritual, weekday, at, shift(week, -1), timezone)


def next_due(ritual: str, weekday: int, at: str, timezone: str, now: datetime) -> Due:
    """The first occurrence strictly after `now`."""
    week = local_week(now, timezone)
    due = occurrence(ritual, weekday, at, week, timezone)
    if due.at > now:
        return due
    return occurrence(ritual, weekday, at, shift(week, 1), timezone)


def cycle_occurrence(ritual: str, at: str, cycle: Dated, timezone: str) -> Due:
    """A once-per-cycle ritual's due instant in one cycle, with its late window."""
    day = anchor_day(cycle, catalog.CATALOG[ritual].cadence)  # type: ignore[arg-type]
    due = resolve_local(day, parse_hhmm(at), ZoneInfo(timezone))
    return Due(ritual, period_of(cycle), due, window_end(ritual, due, timezone), timezone)


def latest(ritual: str, weekday: int, at: str, timezone: str, now: datetime,
           cycles: Sequence[Dated] = ()) -> Due | None:
    """The most recent occurrence at or before `now`, whatever the ritual's cadence; None when a
    once-per-cycle ritual has had none (no cycle has reached its day)."""
    if not catalog.CATALOG[ritual].per_cycle:
        return latest_due(ritual, weekday, at, timezone, now)
    past = [due for cycle in cycles if (due := cycle_occurrence(ritual, at, cycle, timezone)).at <= now]
    return max(past, key=lambda due: due.at, default=None)


def upcoming(ritual: str, weekday: int, at: str, timezone: str, now: datetime,
             cycles: Sequence[Dated] = ()) -> Due | None:
    """The first occurrence strictly after `now`; None when no cycle is planned that far."""
    if not catalog.CATALOG[ritual].per_cycle:
        return next_due(ritual, weekday, at, timezone, now)
    future = [due for cycle in cycles if (due := cycle_occurrence(ritual, at, cycle, timezone)).at > now]
    return min(future, key=lambda due: due.at, default=None)


def describe(due: Due) -> str:
    """"Mon 2026-11-23 09:00 Europe/Berlin": how people read a due time; in another language its day is written
    the language's way (lun, 23 nov 2026 09:00 · 2026年11月23日周一 09:00), the time and zone as they are."""
    local = due.local()
    if i18n.catalog_of(i18n.current()) in (None, i18n.ENGLISH):
        return f"{WEEKDAY_NAMES[local.weekday()]} {local:%Y-%m-%d %H:%M} {due.timezone}"
    return f"{i18n.weekday_day(local)} {local:%H:%M} {due.timezone}"
