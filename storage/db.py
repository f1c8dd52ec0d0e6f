"""Engine and transactions.

SQLite is the default so `make run` needs nothing installed; it is opened in WAL mode with a busy
timeout and foreign keys on, and every transaction starts with BEGIN IMMEDIATE: a deferred SQLite
transaction that reads and then writes fails at once with "database is locked" when another
connection wrote in between, while an immediate one waits its turn. PostgreSQL is used as is.

The turn is taken in the process first (one lock per engine, held from BEGIN to COMMIT or ROLLBACK):
SQLite's busy handler polls, sleeping 1 to 100 ms between tries, so threads waiting for the write lock
slept while it was free, and under a burst (bench/api.py: 100 check-ins/s) the worker threads, which
/healthz and every other request share, were parked in those sleeps: p99 0.5 s for the POSTs, 1.6 s for
/healthz. Queued on the lock, the next transaction starts the moment the last one ends. Another
process on the same file still meets the busy handler.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///okrbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out (postgres://...) and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"


def make_engine(url: str = DEFAULT_URL, **kwargs) -> Engine:
    url = normalize_url(url)
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "factory": _turn_taking(threading.Lock())},
                           **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.connection.dbapi_connection.take_turn()
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _turn_taking(turn: threading.Lock) -> type[sqlite3.Connection]:
    """sqlite3 connections of one engine that take `turn` for a transaction and give it back when it ends.

    A thread that already holds the turn on another connection (which would wait for itself) stops waiting
    after the busy timeout and goes on without it, meeting SQLite's own lock as before."""

    class TurnTaking(sqlite3.Connection):
        holds_turn = False

        def take_turn(self) -> None:
            self.holds_turn = turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

        def _give_back(self) -> None:
            if self.holds_turn:
                self.holds_turn = False
                turn.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._give_back()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._give_back()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self._give_back()

    return TurnTaking


def insert_ignoring_conflicts(session: Session, model):
    """An INSERT of `model` in the session's dialect, which has `.on_conflict_do_nothing` (PostgreSQL, SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One action, one transaction: everything commits together or nothing does."""
    with factory() as session, session.begin():
        yield session


def ping(engine: Engine) -> None:
    """SELECT 1 outside any transaction: a health check answers at once, never after the writers queued for
    SQLite's turn (a transaction there is BEGIN IMMEDIATE)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    finally:
        connection.close()


def refresh_statistics(engine: Engine) -> None:
    """Update the planner's statistics after a bulk change (an import).

    Without them SQLite picks the org_id index for a team's key results and reads every key result of
    the organization for each four-square; PostgreSQL's autovacuum would get there, but later.
    """
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")
