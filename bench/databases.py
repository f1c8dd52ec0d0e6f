"""What the HTTP benchmarks share: a free port, a throwaway PostgreSQL database, the example organization."""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("OKRBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(database_url: str) -> None:
    """Migrate and import the example organization (U0ENGINEER owns rd-o1-kr3)."""
    from bot.importer import import_text
    from bot.timesource import SystemClock
    from okrbot.platforms import register_platforms
    from storage.db import make_engine, make_sessionmaker, transaction
    from storage.migrate import upgrade

    register_platforms()  # the importer checks a channel's platform against the registry, as `okrbot import` does
    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        import_text(session, (ROOT / "bot" / "demo" / "example.yaml").read_text(), SystemClock().now())
    engine.dispose()


def postgres_database() -> tuple[str, Callable[[], None]] | None:
    """A new empty database on the PostgreSQL server and how to drop it; None (said why) without a server."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        name = f"okrbot_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no server: the PostgreSQL rows are skipped, with the reason
        print(f"PostgreSQL skipped: {type(exc).__name__}", file=sys.stderr)
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return POSTGRES.rsplit("/", 1)[0] + "/" + name, drop
