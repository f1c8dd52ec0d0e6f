"""`okrbot demo-data --refresh`: bring the demo organization's weeks to the present.

The demo is written relative to the day it was loaded, so a few weeks later its "this week" is empty
and its drops and wins are old news. Refreshing moves the organization's whole history forward by the
whole weeks that passed (check-ins, priorities, plans, health, wins, with what people added in the
sandbox since): the week that was current when it was loaded, or last touched, becomes this week
again, and the rows keep their order and their weeks relative to each other. Timestamps never land
in the future: when the history's newest moment fell later in its week than now does, timestamps move
by exactly the time since then instead, a few days less than the weeks their rows are labelled with.
The cycles move to today's quarter and the ones around it when it no longer covers today, as a fresh load
places them (bot.demo.quarters.place_quarters).

Records of what was posted (ritual runs, sandbox messages) stay as they are: they happened.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from bot.demo.quarters import place_quarters
from storage.models import CheckIn, HealthUpdate, KeyResult, Lesson, OkrChange, Organization, Plan, Priority, Win
from storage.types import UtcDateTime

# The organization's history: every UtcDateTime column of these moves with it, and every `week` label.
HISTORY = (CheckIn, Priority, Plan, HealthUpdate, Win, KeyResult, Lesson, OkrChange)


def _week_start(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def shift_week(week: str, weeks: int) -> str:
    """"2026-W47" moved by `weeks` ISO weeks (across year ends, 53-week years included)."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1) + timedelta(weeks=weeks)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def refresh_demo(session: Session, org: Organization, now: datetime) -> int:
    """Move `org`'s history forward so its newest week is this week; returns the weeks moved (0: current)."""
    newest = [session.scalar(select(func.max(getattr(model, name))).where(model.org_id == org.id))
              for model in HISTORY for name in _moments(model)]
    newest = [moment for moment in newest if moment is not None]
    if not newest:
        return 0
    latest = max(newest)
    zone = ZoneInfo(org.timezone)
    weeks = (_week_start(now, zone) - _week_start(latest, zone)).days // 7
    if weeks <= 0:
        return 0
    by = min(timedelta(weeks=weeks), now - latest)
    for model in HISTORY:
        moments, labelled = _moments(model), "week" in inspect(model).column_attrs
        for row in session.scalars(select(model).where(model.org_id == org.id)):
            for name in moments:
                if (value := getattr(row, name)) is not None:
                    setattr(row, name, value + by)
            if labelled:
                row.week = shift_week(row.week, weeks)
    place_quarters(session, org, now)
    session.flush()
    return weeks


def _moments(model) -> list[str]:
    """The attributes of `model` that hold a moment (columns others add later move along too)."""
    return [prop.key for prop in inspect(model).column_attrs if isinstance(prop.columns[0].type, UtcDateTime)]
