"""Reading one number from a connector's source; every failure is a ConnectorError of one line.

sql: the URL from the named environment variable, the query run read-only (SQLite opened with mode=ro and
query_only; PostgreSQL in a READ ONLY transaction) under a statement timeout (SQLite: a progress handler
that interrupts the query at the deadline; PostgreSQL: SET LOCAL statement_timeout). Exactly one row of
one number, or an error saying what came back. http: GET, a 200 with JSON, the number at the JSON
pointer. csv: a file on this server or a URL, strict parsing, the number in one cell. A secret from the
environment is never part of a message: any that shows up in an error is replaced by ***.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.connectors.spec import CELL, Source
from storage.db import normalize_url

MAX_BYTES = 16 * 1024 * 1024  # a JSON answer or a CSV file


class ConnectorError(Exception):
    """Why a connector read nothing, in one line for its status and its owner."""

    def __init__(self, message: str) -> None:
        line = (message.strip().splitlines() or ["failed"])[0]
        super().__init__(line[:300])
        self.message = line[:300]


async def read_value(source: Source, env: Mapping[str, str], http: aiohttp.ClientSession) -> float:
    """The number the source holds now."""
    secrets = _secrets(source, env)
    try:
        if source.kind == "sql":
            url = secrets[source.spec["url_env"]]
            timeout = float(source.spec["timeout"])
            return await asyncio.wait_for(asyncio.to_thread(read_sql, url, source.spec["query"], timeout),
                                          timeout + 5)
        if source.kind == "http":
            headers = {name: secrets[var] for name, var in source.spec.get("headers", {}).items()}
            answer = await _get(http, source.spec["url"], headers, source.spec["timeout"])
            return at_pointer(_json(answer, source.spec["url"]), source.spec["pointer"])
        body = await (_get(http, source.spec["url"], {}, source.spec["timeout"]) if source.spec.get("url")
                      else asyncio.to_thread(_read_file, source.spec["file"]))
        return csv_cell(body[0] if isinstance(body, tuple) else body, source.spec["cell"])
    except ConnectorError as error:
        raise ConnectorError(_redact(error.message, secrets.values())) from None
    except TimeoutError:
        raise ConnectorError(f"no answer within {source.spec['timeout']} s") from None


def _secrets(source: Source, env: Mapping[str, str]) -> dict[str, str]:
    names = [source.spec["url_env"]] if source.kind == "sql" else list(source.spec.get("headers", {}).values())
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ConnectorError(f"the environment variable {missing[0]} is not set on the okrbot server")
    return {name: env[name] for name in names}


def _redact(message: str, secrets) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "***")
    return message


def number(value: object, where: str) -> float:
    """A finite number, else an error naming what was there instead."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes | dict | list):
        shown = "empty (null)" if value is None else f"{json.dumps(value)[:60]}" if not isinstance(value, bytes) \
            else "binary data"
        raise ConnectorError(f"{where} is {shown}, not a number")
    if isinstance(value, int | float | Decimal):
        result = float(value)
        if math.isfinite(result):
            return result
    raise ConnectorError(f"{where} is {str(value)[:60]}, not a finite number")


# ------------------------------------------------------------------ sql

_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """One small pool per database URL (many key results may read the same warehouse)."""
    engine = _ENGINES.get(url)
    if engine is None:
        parsed = make_url(normalize_url(url))
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database or database == ":memory:" or not Path(database).is_file():
                raise ConnectorError(f"there is no SQLite database file {database or '(none)'}")
            engine = create_engine(f"sqlite:///file:{database}?mode=ro&uri=true",
                                   connect_args={"check_same_thread": False})

            @event.listens_for(engine, "connect")
            def _read_only(dbapi_connection, _record) -> None:
                dbapi_connection.execute("PRAGMA query_only = ON")
        else:
            engine = create_engine(parsed, pool_size=2, max_overflow=8, pool_pre_ping=True,
                                   connect_args={"connect_timeout": 10})
        _ENGINES[url] = engine
    return engine


def read_sql(url: str, query: str, timeout: float) -> float:
    """Run the query read-only under the timeout; exactly one row with one number."""
    try:
        engine = _engine(url)
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                deadline = time.monotonic() + timeout
                raw = connection.connection.dbapi_connection
                raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
                try:
                    rows = connection.execute(text(query)).fetchmany(2)
                finally:
                    raw.set_progress_handler(None, 0)
            else:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
                rows = connection.execute(text(query)).fetchmany(2)
            connection.rollback()
    except DBAPIError as exc:
        reason = str(exc.orig).strip() if exc.orig is not None else type(exc).__name__
        if "statement timeout" in reason or "interrupted" in reason:
            raise ConnectorError(f"the query took longer than {timeout:g} s (statement timeout)") from None
        raise ConnectorError(f"the query failed: {reason}") from None
    except SQLAlchemyError as exc:
        raise ConnectorError(f"the query failed: {exc}") from None
    if not rows:
        raise ConnectorError("the query returned no row; it must return exactly one row with one number")
    if len(rows) > 1:
        raise ConnectorError("the query returned more than one row; it must return exactly one row with one number")
    if len(rows[0]) != 1:
        raise ConnectorError(f"the query returned {len(rows[0])} columns; it must return one number")
    return number(rows[0][0], "the query's value")


# ------------------------------------------------------------------ http


async def _get(http: aiohttp.ClientSession, url: str, headers: dict[str, str], timeout: float) -> tuple[bytes, str]:
    host = urlsplit(url).netloc
    try:
        async with http.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout),
                            allow_redirects=True) as response:
            if response.status != 200:
                raise ConnectorError(f"HTTP {response.status} {response.reason or ''} from {host}".replace("  ", " "))
            body = await response.content.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise ConnectorError(f"the answer from {host} is over {MAX_BYTES // 2**20} MB")
            return body, response.content_type
    except aiohttp.ClientError as exc:
        raise ConnectorError(f"could not reach {host}: {exc or type(exc).__name__}") from None


def _json(answer: tuple[bytes, str], url: str) -> object:
    body, content_type = answer
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ConnectorError(f"the answer from {urlsplit(url).netloc} is not JSON ({content_type})") from None


def at_pointer(document: object, pointer: str) -> float:
    """The number at an RFC 6901 JSON pointer."""
    node = document
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ConnectorError(f"the answer has no value at {pointer}")
    return number(node, f"the value at {pointer or 'the top'}")


# ------------------------------------------------------------------ csv


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            body = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(body) > MAX_BYTES:
        raise ConnectorError(f"{path} is over {MAX_BYTES // 2**20} MB")
    return body


def csv_cell(body: bytes, cell: str) -> float:
    match = CELL.fullmatch(cell)
    if match is None:
        raise ConnectorError(f"{cell} is not a cell")
    letters, row_text = match.groups()
    column = 0
    for letter in letters.upper():
        column = column * 26 + (ord(letter) - 64)
    row, column = int(row_text) - 1, column - 1
    try:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), strict=True))
    except UnicodeDecodeError:
        raise ConnectorError("the CSV is not UTF-8 text") from None
    except csv.Error as exc:
        raise ConnectorError(f"the CSV is malformed: {exc}") from None
    if row >= len(rows) or column >= len(rows[row]):
        raise ConnectorError(f"the CSV has no cell {cell} ({len(rows)} rows"
                             f"{f', row {row + 1} has {len(rows[row])} columns' if row < len(rows) else ''})")
    value = rows[row][column].strip()
    try:
        return number(float(value), f"cell {cell}")
    except ValueError:
        raise ConnectorError(f"cell {cell} is {json.dumps(value)[:60]}, not a number") from None
