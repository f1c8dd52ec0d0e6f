"""The one column type for a moment in time: stored as UTC, read back as an aware UTC datetime.

SQLite keeps no zone (SQLAlchemy writes the wall time of whatever it is given and hands back a naive
datetime) and PostgreSQL's timestamptz comes back in the connection's zone, so without this every
reader had to mend what it read, and a moment with another offset was stored as the wrong instant in
SQLite. Binding converts to UTC (a naive datetime is refused: it says nothing about which instant it
is); reading gives UTC with its zone from both databases. The storage is unchanged (DateTime with
timezone=True, timestamptz in PostgreSQL), so no migration goes with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime ({value}) cannot be stored: give it a zone, UTC if that is what it is")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
