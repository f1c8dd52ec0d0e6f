"""Every moment column (storage.types.UtcDateTime) stores the instant it is given in UTC and reads it back
as an aware UTC datetime, from SQLite (which keeps no zone) and from PostgreSQL (whose timestamptz comes
back in the connection's zone) alike; comparisons in queries see instants, whatever offset a parameter
has; a naive datetime, which names no instant, is refused before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import StatementError

from storage.db import transaction
from storage.models import Organization
from storage.types import UtcDateTime

SHANGHAI = timezone(timedelta(hours=8))
NOON_UTC = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _org(sessions, created_at: datetime) -> int:
    with transaction(sessions) as s:
        org = Organization(name="utc", timezone="Asia/Shanghai", created_at=created_at)
        s.add(org)
        s.flush()
        return org.id


def test_an_instant_with_any_offset_comes_back_as_the_same_instant_in_utc(sessions):
    org_id = _org(sessions, NOON_UTC.astimezone(SHANGHAI))  # 20:00 in Shanghai: the same instant
    with sessions() as s:
        stored = s.get(Organization, org_id).created_at
        newest = s.scalar(select(func.max(Organization.created_at)))
        before_one = s.scalar(select(func.count()).select_from(Organization).where(
            Organization.created_at < NOON_UTC + timedelta(hours=1)))
    assert stored == NOON_UTC and stored.tzinfo is UTC
    assert newest == NOON_UTC and newest.tzinfo is UTC  # an aggregate of the column reads the same way
    assert before_one == 1  # compared as instants (SQLite compares the text: 20:00 written would not be < 13:00)


def test_postgresql_in_another_session_zone_still_reads_utc(engine, sessions, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the session zone is PostgreSQL's")
    org_id = _org(sessions, NOON_UTC)

    @event.listens_for(engine, "connect")
    def shanghai(connection, _record):
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Asia/Shanghai'")

    engine.dispose()  # the next connection is a new one, in Shanghai's zone
    with sessions() as s:
        stored = s.get(Organization, org_id).created_at
    assert stored == NOON_UTC and stored.tzinfo is UTC


def test_a_naive_datetime_is_refused_and_nothing_is_written(sessions):
    with pytest.raises(StatementError, match="naive datetime"), transaction(sessions) as s:
        s.add(Organization(name="naive", timezone="UTC", created_at=datetime(2026, 11, 25, 12, 0)))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Organization).where(Organization.name == "naive")) == 0


def test_every_datetime_column_is_a_utc_one():
    from storage.models import Base

    plain = [f"{table.name}.{column.name}" for table in Base.metadata.sorted_tables for column in table.columns
             if column.type.python_type is datetime and not isinstance(column.type, UtcDateTime)]
    assert plain == []
