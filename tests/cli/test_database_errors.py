"""A database okrbot cannot use is one clear line and the way out, never a page of SQL (README, CLI reference)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from tests.cli.helpers import okrbot
from tests.conftest import EXAMPLE


def test_postgresql_before_db_upgrade_says_to_run_it(monkeypatch, capsys, postgres_url):
    """README's set-up runs `okrbot import` on a new PostgreSQL database, which only `db upgrade` migrates."""
    schema = f"empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        empty = f"{postgres_url}?options=-csearch_path%3D{schema}"
        code, out, err = okrbot(monkeypatch, capsys, empty, "import", str(EXAMPLE))
        assert code == 2 and out == ""
        assert "okrbot import: the database at DATABASE_URL failed" in err and "organizations" in err
        assert "run `okrbot db upgrade` first" in err and "Traceback" not in err and "SELECT" not in err

        assert okrbot(monkeypatch, capsys, empty, "db", "upgrade")[0] == 0
        code, out, _ = okrbot(monkeypatch, capsys, empty, "import", str(EXAMPLE))
        assert code == 0 and "imported" in out
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_an_unreachable_server_is_named_without_the_upgrade_hint(monkeypatch, capsys):
    code, out, err = okrbot(monkeypatch, capsys, "postgresql://postgres@127.0.0.1:9/nowhere", "report")
    assert code == 2 and out == ""
    assert err.startswith("okrbot report: the database at DATABASE_URL failed: ") and "Connection refused" in err
    assert "db upgrade" not in err
