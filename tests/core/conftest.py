"""Fixtures of the core tests: counting the SQL statements a read model issues (the no-N+1 proof)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event


class StatementCounter:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """The statements sent while the block runs (BEGIN/PRAGMA included, the same for every run)."""
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._count)
        try:
            yield self.statements
        finally:
            event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def statements(engine) -> StatementCounter:
    return StatementCounter(engine)
