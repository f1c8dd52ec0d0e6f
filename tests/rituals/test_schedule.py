"""Due times in each team's own zone: DST gaps and overlaps, half-hour zones, the southern hemisphere,
zones that change at midnight, and the period being the local ISO week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rituals.schedule import latest_due, next_due, occurrence, resolve_local, window_end


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "week", "weekday", "at", "expected_utc", "expected_local"), [
    # Berlin, spring forward on Sunday 2026-03-29 02:00 -> 03:00: 02:30 does not exist, due at the gap's end.
    ("Europe/Berlin", "2026-W13", 6, "02:30", utc(2026, 3, 29, 1, 0), "03:00+02:00"),
    # Berlin, fall back on Sunday 2026-10-25 03:00 -> 02:00: 02:30 happens twice, due at the first.
    ("Europe/Berlin", "2026-W43", 6, "02:30", utc(2026, 10, 25, 0, 30), "02:30+02:00"),
    # Monday 09:00 stays 09:00 local on both sides of the change (08:00 UTC in winter, 07:00 in summer).
    ("Europe/Berlin", "2026-W13", 0, "09:00", utc(2026, 3, 23, 8, 0), "09:00+01:00"),
    ("Europe/Berlin", "2026-W14", 0, "09:00", utc(2026, 3, 30, 7, 0), "09:00+02:00"),
    # New York: spring forward Sunday 2026-03-08 02:00 -> 03:00, fall back Sunday 2026-11-01 02:00 -> 01:00.
    ("America/New_York", "2026-W10", 6, "02:15", utc(2026, 3, 8, 7, 0), "03:00-04:00"),
    ("America/New_York", "2026-W44", 6, "01:30", utc(2026, 11, 1, 5, 30), "01:30-04:00"),
    ("America/New_York", "2026-W45", 4, "16:00", utc(2026, 11, 6, 21, 0), "16:00-05:00"),
    # Sydney, southern hemisphere: DST ends Sunday 2026-04-05 03:00 -> 02:00, starts 2026-10-04 02:00 -> 03:00.
    ("Australia/Sydney", "2026-W14", 6, "02:30", utc(2026, 4, 4, 15, 30), "02:30+11:00"),
    ("Australia/Sydney", "2026-W40", 6, "02:30", utc(2026, 10, 3, 16, 0), "03:00+11:00"),
    # Sydney's Monday 09:00 is still Sunday in UTC: the period is the local week, not UTC's.
    ("Australia/Sydney", "2026-W48", 0, "09:00", utc(2026, 11, 22, 22, 0), "09:00+11:00"),
    # Kolkata, a half-hour zone with no DST.
    ("Asia/Kolkata", "2026-W48", 0, "09:00", utc(2026, 11, 23, 3, 30), "09:00+05:30"),
    ("Asia/Kolkata", "2026-W13", 6, "02:30", utc(2026, 3, 28, 21, 0), "02:30+05:30"),
    # Santiago changes at midnight: Sunday 2026-09-06 00:00 jumps to 01:00, so 00:30 is due at 01:00 ...
    ("America/Santiago", "2026-W36", 6, "00:30", utc(2026, 9, 6, 4, 0), "01:00-03:00"),
    ("America/Santiago", "2026-W36", 6, "00:00", utc(2026, 9, 6, 4, 0), "01:00-03:00"),
    # ... and Sunday 2026-04-05 00:00 falls back to Saturday 23:00, so Saturday 23:30 happens twice.
    ("America/Santiago", "2026-W14", 5, "23:30", utc(2026, 4, 5, 2, 30), "23:30-03:00"),
])
def test_due_time_in_local_zone(zone, week, weekday, at, expected_utc, expected_local):
    due = occurrence("monday", weekday, at, week, zone)
    assert due.at == expected_utc
    assert due.period == week
    local = due.local()
    assert f"{local:%H:%M}{local.isoformat()[-6:]}" == expected_local


def test_latest_and_next_due_follow_the_local_week():
    zone = "Australia/Sydney"
    before = utc(2026, 11, 22, 21, 59)  # Monday 08:59 in Sydney, Sunday in UTC
    assert latest_due("monday", 0, "09:00", zone, before).period == "2026-W47"
    assert next_due("monday", 0, "09:00", zone, before).period == "2026-W48"
    at = utc(2026, 11, 22, 22, 0)
    assert latest_due("monday", 0, "09:00", zone, at).period == "2026-W48"
    assert next_due("monday", 0, "09:00", zone, at).period == "2026-W49"


def test_windows_end_at_local_midnight_or_the_end_of_the_week():
    zone = "America/New_York"
    monday = occurrence("monday", 0, "09:00", "2026-W48", zone)
    assert monday.window_end == utc(2026, 11, 24, 5, 0)  # Tuesday 00:00 local
    report = occurrence("report", 4, "17:00", "2026-W48", zone)
    assert report.window_end == utc(2026, 11, 30, 5, 0)  # Monday 00:00 local, the end of the ISO week
    # Santiago's midnight does not exist on 2026-09-06: Saturday's window ends at 01:00 Sunday.
    saturday = occurrence("friday", 5, "10:00", "2026-W36", "America/Santiago")
    assert saturday.window_end == utc(2026, 9, 6, 4, 0)
    assert window_end("wrapup", saturday.at, "America/Santiago") == saturday.window_end


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Santiago",
         "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "America/Havana", "Asia/Beirut"]


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), day=st.dates(datetime(2025, 1, 1).date(), datetime(2028, 12, 31).date()),
       hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_resolved_instant_is_the_wall_time_or_the_first_valid_instant_after(zone, day, hour, minute):
    tz = ZoneInfo(zone)
    wanted = datetime(day.year, day.month, day.day, hour, minute)
    instant = resolve_local(day, wanted.time(), tz)
    local = instant.astimezone(tz).replace(tzinfo=None)
    if local != wanted:  # a gap: just before the instant, the wall clock was still before the wanted time
        assert local > wanted
        assert (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < wanted
        assert local - wanted <= timedelta(hours=1)
    else:  # an existing time: the first of its occurrences
        assert (instant - timedelta(hours=1)).astimezone(tz).replace(tzinfo=None) != wanted
        assert (instant - timedelta(minutes=30)).astimezone(tz).replace(tzinfo=None) != wanted
