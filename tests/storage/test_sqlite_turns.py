"""SQLite write transactions of one process queue on a lock, not in SQLite's polling busy handler."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import event, insert, select

from storage.db import make_engine, make_sessionmaker, ping, transaction
from storage.migrate import upgrade
from storage.models import Organization


def test_concurrent_write_transactions_never_meet_sqlites_lock(tmp_path):
    """With SQLite's busy timeout at 0, a transaction that found the database locked would fail at once ("database
    is locked"): every one of these succeeds because each waited for its turn in the process instead. Before, the
    waiting was SQLite's busy handler, which sleeps 1-100 ms between tries while the lock may already be free:
    under bench/api.py's burst the worker threads slept there and /healthz queued behind them (p99 1.6 s)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    upgrade(engine)
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=0"))
    engine.dispose()  # the pooled connections reopen with the listener above
    sessions = make_sessionmaker(engine)
    failures: list[Exception] = []

    def writer(n: int) -> None:
        for i in range(25):
            try:
                with transaction(sessions) as session:
                    session.scalar(select(Organization.id).limit(1))
                    session.execute(insert(Organization).values(name=f"org {n}-{i}", created_at=datetime.now(UTC)))
            except Exception as exc:  # noqa: BLE001 - collected: the assertion says which
                failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        count = len(session.scalars(select(Organization.id)).all())
    engine.dispose()
    assert not failures, failures[:3]
    assert count == 150


def test_a_health_check_starts_no_transaction(tmp_path):
    """/healthz's ping is a SELECT 1 outside any transaction: on SQLite a transaction is BEGIN IMMEDIATE and would
    wait for every writer queued before it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ping.db'}")
    begun: list[object] = []
    event.listen(engine, "begin", begun.append)
    ping(engine)
    engine.dispose()
    assert begun == []
