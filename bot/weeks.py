"""ISO weeks, the period of every ritual ("2026-W47"), computed in a team's own time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_week(moment: datetime, timezone: str) -> str:
    """The ISO week `moment` falls in for someone living in `timezone`."""
    return week_of(moment.astimezone(ZoneInfo(timezone)).date())


def parse_week(text: str) -> str | None:
    """The canonical week string, or None if `text` is not a real ISO week."""
    match = WEEK_PATTERN.match(text.strip().upper())
    if not match:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return f"{year}-W{week:02d}"


def monday_of(week: str) -> date:
    year, number = int(week[:4]), int(week[6:])
    return date.fromisocalendar(year, number, 1)


def shift(week: str, weeks: int) -> str:
    return week_of(monday_of(week) + timedelta(weeks=weeks))
