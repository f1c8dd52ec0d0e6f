"""Each connector kind against local sources, and each bad input the issue lists as a one-line error."""

from __future__ import annotations

import aiohttp
import pytest

from bot.connectors.read import ConnectorError, read_value
from bot.connectors.spec import parse_source
from tests.conftest import _postgres_server
from tests.connectors.conftest import SECRET


def source(**raw):
    parsed, errors = parse_source(raw)
    assert not errors, errors
    return parsed


async def read(raw: dict, env: dict | None = None) -> float:
    async with aiohttp.ClientSession() as http:
        return await read_value(source(**raw), env or {}, http)


async def fails(raw: dict, env: dict | None = None) -> str:
    with pytest.raises(ConnectorError) as caught:
        await read(raw, env)
    message = caught.value.message
    assert "\n" not in message and message
    return message


# ------------------------------------------------------------------ sql


async def test_sql_on_a_second_sqlite_database(warehouse):
    env = {"WAREHOUSE_URL": warehouse}
    assert await read({"kind": "sql", "url_env": "WAREHOUSE_URL", "query": "SELECT count(*) FROM signups"}, env) == 3
    sql = {"kind": "sql", "url_env": "WAREHOUSE_URL"}
    assert "no row" in await fails({**sql, "query": "SELECT 1 FROM signups WHERE plan = 'none'"}, env)
    assert "more than one row" in await fails({**sql, "query": "SELECT id FROM signups"}, env)
    assert '"pro", not a number' in await fails({**sql, "query": "SELECT plan FROM signups LIMIT 1"}, env)
    assert "2 columns" in await fails({**sql, "query": "SELECT 1, 2"}, env)
    assert "null" in await fails({**sql, "query": "SELECT NULL"}, env)
    slow = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
    assert "longer than 0.2 s" in await fails({**sql, "query": slow, "timeout": 0.2}, env)
    # Read-only: a query that writes fails, and the table is as it was.
    assert "the query failed" in await fails({**sql, "query": "DELETE FROM signups RETURNING 1"}, env)
    assert await read({**sql, "query": "SELECT count(*) FROM signups"}, env) == 3
    assert "WAREHOUSE_URL is not set" in await fails({**sql, "query": "SELECT 1"}, {})
    missing = {"WAREHOUSE_URL": warehouse.replace("warehouse.db", "nothing.db")}
    assert "no SQLite database file" in await fails({**sql, "query": "SELECT 1"}, missing)


async def test_sql_on_postgresql():
    server = _postgres_server()
    if server is None:
        pytest.skip("PostgreSQL not reachable")
    env = {"PG_URL": server}
    sql = {"kind": "sql", "url_env": "PG_URL"}
    assert await read({**sql, "query": "SELECT 41 + 1"}, env) == 42
    assert await read({**sql, "query": "SELECT count(*) FROM generate_series(1, 5)"}, env) == 5
    assert "no row" in await fails({**sql, "query": "SELECT 1 WHERE false"}, env)
    assert "more than one row" in await fails({**sql, "query": "SELECT generate_series(1, 2)"}, env)
    assert '"text", not a number' in await fails({**sql, "query": "SELECT 'text'"}, env)
    assert "longer than 0.2 s" in await fails({**sql, "query": "SELECT pg_sleep(5)", "timeout": 0.2}, env)
    assert "read-only transaction" in await fails({**sql, "query": "CREATE TABLE okrbot_connector_x (n int)"}, env)


# ------------------------------------------------------------------ http


async def test_http_with_a_json_pointer(source):
    src, base = source
    http = {"kind": "http", "url": f"{base}/json"}
    assert await read({**http, "pointer": "/total"}) == 42
    assert await read({**http, "pointer": "/nested/a~1b/0"}) == 1.5
    assert "no value at /missing" in await fails({**http, "pointer": "/missing"})
    assert "no value at /nested/a~1b/7" in await fails({**http, "pointer": "/nested/a~1b/7"})
    assert '"many", not a number' in await fails({**http, "pointer": "/text"})
    assert "HTTP 500" in await fails({"kind": "http", "url": f"{base}/500", "pointer": "/total"})
    assert "not JSON (text/html)" in await fails({"kind": "http", "url": f"{base}/html", "pointer": "/total"})
    assert "no answer within 0.2 s" in await fails({"kind": "http", "url": f"{base}/slow", "pointer": "/total",
                                                    "timeout": 0.2})
    assert "could not reach" in await fails({"kind": "http", "url": "http://127.0.0.1:9/x", "pointer": "/total"})


async def test_http_headers_come_from_named_environment_variables(source):
    _src, base = source
    private = {"kind": "http", "url": f"{base}/private", "pointer": "/total_count",
               "headers": {"Authorization": "GH_AUTH"}}
    assert await read(private, {"GH_AUTH": f"Bearer {SECRET}"}) == 7
    assert "HTTP 401" in await fails(private, {"GH_AUTH": "Bearer wrong"})
    assert "GH_AUTH is not set" in await fails(private, {})


# ------------------------------------------------------------------ csv


async def test_csv_file_and_url(tmp_path, source):
    _src, base = source
    good = tmp_path / "kpi.csv"
    good.write_text("metric,value\nsignups,1234\nchurn, 2.5 \nnote,lots\n")
    assert await read({"kind": "csv", "file": str(good), "cell": "B2"}) == 1234
    assert await read({"kind": "csv", "file": str(good), "cell": "b3"}) == 2.5
    assert await read({"kind": "csv", "url": f"{base}/kpi.csv", "cell": "B2"}) == 1234
    assert '"lots", not a number' in await fails({"kind": "csv", "file": str(good), "cell": "B4"})
    assert "no cell C2" in await fails({"kind": "csv", "file": str(good), "cell": "C2"})
    assert "no cell B9 (4 rows)" in await fails({"kind": "csv", "file": str(good), "cell": "B9"})
    broken = tmp_path / "broken.csv"
    broken.write_text('metric,value\nsignups,"12\n')
    assert "malformed" in await fails({"kind": "csv", "file": str(broken), "cell": "B2"})
    assert "cannot read" in await fails({"kind": "csv", "file": str(tmp_path / "none.csv"), "cell": "A1"})


def test_bad_sources_say_what_is_expected():
    def problems(**raw) -> dict:
        parsed, errors = parse_source(raw)
        assert parsed is None
        return dict(errors)

    assert "environment variable" in problems(kind="sql", url="postgresql://u:pw@db/x", url_env="X", query="q")["url"]
    assert "one of sql, http, csv" in problems(kind="ftp")["kind"]
    assert "JSON pointer" in problems(kind="http", url="https://x.example", pointer="total")["pointer"]
    assert "cell like B2" in problems(kind="csv", file="x.csv", cell="2B")["cell"]
    assert "exactly one of file" in problems(kind="csv", file="x.csv", url="https://x.example", cell="A1")["file"]
    assert "DAY HH:MM" in problems(kind="csv", file="x.csv", cell="A1", schedule="sometimes")["schedule"]
    assert "at most 60" in problems(kind="csv", file="x.csv", cell="A1", timeout=600)["timeout"]
