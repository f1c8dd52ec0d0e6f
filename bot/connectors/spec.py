"""The `source:` of a key result: which kind, where to read, when. Secrets are never in it, only the names
of the environment variables that hold them (`url_env` for a database URL, `headers` for HTTP headers).

    source: {kind: sql, url_env: WAREHOUSE_URL, query: "SELECT count(*) FROM signups"}
    source: {kind: http, url: "https://…/search?q=…", pointer: /total_count, headers: {Authorization: GH_AUTH}}
    source: {kind: csv, file: /srv/kpi/weekly.csv, cell: B2}        # or url: https://…/kpi.csv
    schedule: "06:00" (the default: daily, in the owning team's zone) or "MON 06:00" (weekly); timeout: seconds
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands import WEEKDAYS, parse_time
from storage.models import Connector

KINDS = ("sql", "http", "csv")
DEFAULT_SCHEDULE = "06:00"
DEFAULT_TIMEOUT = 10
MAX_TIMEOUT = 60
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
CELL = re.compile(r"([A-Za-z]{1,3})([1-9][0-9]{0,6})")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
KEYS = {
    "sql": ("kind", "url_env", "query", "schedule", "timeout"),
    "http": ("kind", "url", "pointer", "headers", "schedule", "timeout"),
    "csv": ("kind", "file", "url", "cell", "schedule", "timeout"),
}

SQL_URL = ("never put a database URL (it holds a password) in the file: set it in an environment variable and name "
           "that variable in url_env")


@dataclass(frozen=True)
class Source:
    kind: str
    spec: dict  # the kind's own keys (url_env and query; url, pointer, headers; file or url, cell) and timeout
    schedule: str  # "06:00" or "MON 06:00"

    def as_dict(self) -> dict:
        """The import format's `source:` mapping (defaults left out), as the exporter writes it."""
        out = {"kind": self.kind, **{k: v for k, v in self.spec.items() if k != "timeout" or v != DEFAULT_TIMEOUT}}
        if self.schedule != DEFAULT_SCHEDULE:
            out["schedule"] = self.schedule
        return out

    def describe(self) -> str:
        """One line for people: what it reads (never a secret: those are only named)."""
        if self.kind == "sql":
            return f"sql via ${self.spec['url_env']}: {self.spec['query'][:80]}"
        if self.kind == "http":
            return f"http {self.spec['url'][:100]} at {self.spec['pointer'] or '(the whole answer)'}"
        return f"csv {self.spec.get('file') or self.spec.get('url')} cell {self.spec['cell']}"


def parse_schedule(text: object) -> str | None:
    """"06:00" (daily) or "MON 06:00" (weekly), normalised; None when it is neither."""
    if not isinstance(text, str):
        return None
    parts = text.split()
    if len(parts) == 1:
        return parse_time(parts[0])
    if len(parts) == 2 and parts[0].lower() in WEEKDAYS and (time := parse_time(parts[1])):
        return f"{parts[0][:3].upper()} {time}"
    return None


def parse_source(raw: object) -> tuple[Source | None, list[tuple[str, str]]]:
    """(the source, []) or (None, [(key, problem), ...]) listing everything wrong with it."""
    if not isinstance(raw, dict):
        return None, [("", "expected a mapping like {kind: http, url: …, pointer: /total}")]
    kind = raw.get("kind")
    if kind not in KINDS:
        return None, [("kind", f"is {kind!r}; expected one of {', '.join(KINDS)}")]
    errors: list[tuple[str, str]] = [
        (key, SQL_URL if (kind, key) == ("sql", "url") else
         f"is not a key of a {kind} source; its keys are {', '.join(KEYS[kind])}")
        for key in raw if key not in KEYS[kind]]
    spec: dict = {}
    _TEXT_CHECKS[kind](raw, spec, errors)
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT:
        errors.append(("timeout", f"is {timeout!r}; expected seconds, more than 0 and at most {MAX_TIMEOUT}"))
    spec["timeout"] = timeout
    schedule = parse_schedule(raw.get("schedule", DEFAULT_SCHEDULE))
    if schedule is None:
        errors.append(("schedule", f"is {raw.get('schedule')!r}; expected \"HH:MM\" (daily) or \"DAY HH:MM\" (weekly) "
                                   "in the team's zone"))
    return (None, errors) if errors else (Source(kind, spec, schedule), [])


def _env_name(raw: dict, key: str, errors: list, what: str) -> str | None:
    value = raw.get(key)
    if not isinstance(value, str) or not ENV_NAME.fullmatch(value):
        errors.append((key, f"is {value!r}; expected the name of the environment variable that holds {what}"))
        return None
    return value


def _url(raw: dict, errors: list, required: bool = True) -> str | None:
    value = raw.get("url")
    if value is None and not required:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(("url", f"is {value!r}; expected an http:// or https:// address"))
        return None
    return value


def _sql(raw: dict, spec: dict, errors: list) -> None:
    spec["url_env"] = _env_name(raw, "url_env", errors, "the database URL")
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip() or len(query) > 4000:
        errors.append(("query", "expected a query that returns one row with one number (at most 4000 characters)"))
    spec["query"] = query.strip() if isinstance(query, str) else None


def _http(raw: dict, spec: dict, errors: list) -> None:
    spec["url"] = _url(raw, errors)
    pointer = raw.get("pointer", "")
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        errors.append(("pointer", f"is {pointer!r}; expected a JSON pointer like /total (RFC 6901)"))
    spec["pointer"] = pointer
    headers = raw.get("headers", {})
    if not isinstance(headers, dict):
        errors.append(("headers", "expected a mapping of header name to environment variable name"))
        headers = {}
    for name, env in headers.items():
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            errors.append(("headers", f"{name!r} is not a header name"))
        elif not isinstance(env, str) or not ENV_NAME.fullmatch(env):
            errors.append(("headers", f"{name}: {env!r} is not an environment variable name (the variable holds "
                                      "the header's value, e.g. a token)"))
    if headers:
        spec["headers"] = dict(headers)


def _csv(raw: dict, spec: dict, errors: list) -> None:
    has_file, has_url = "file" in raw, "url" in raw
    if has_file == has_url:
        errors.append(("file", "expected exactly one of file (a path on the okrbot server) or url"))
    elif has_file:
        if not isinstance(raw["file"], str) or not raw["file"].strip():
            errors.append(("file", "expected a path on the okrbot server"))
        spec["file"] = raw["file"]
    else:
        spec["url"] = _url(raw, errors)
    cell = raw.get("cell")
    if not isinstance(cell, str) or not CELL.fullmatch(cell.strip()):
        errors.append(("cell", f"is {cell!r}; expected a spreadsheet cell like B2 (column letters, row number)"))
    spec["cell"] = cell.strip().upper() if isinstance(cell, str) else None


_TEXT_CHECKS = {"sql": _sql, "http": _http, "csv": _csv}


def from_row(kind: str, spec: dict, schedule: str) -> Source:
    return Source(kind, dict(spec), schedule)


def set_source(session: Session, org_id: int, kr_id: int, source: Source | None) -> None:
    """Give a key result this source (a new one starts with a clean status), or none."""
    row = session.get(Connector, kr_id)
    if source is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(Connector(key_result_id=kr_id, org_id=org_id, kind=source.kind, spec=source.spec,
                              schedule=source.schedule, failures=0, owner_told=False))
    elif (row.kind, row.spec, row.schedule) != (source.kind, source.spec, source.schedule):
        row.kind, row.spec, row.schedule = source.kind, source.spec, source.schedule
        row.failures, row.last_error, row.owner_told = 0, None, False


def set_sources(session: Session, org_id: int, sources: dict[int, Source | None]) -> None:
    """The import's sources: each key result of the file gets its `source:`, or loses the one it had."""
    for kr_id, source in sources.items():
        set_source(session, org_id, kr_id, source)


def sources_of(session: Session, org_id: int) -> dict[int, Source]:
    return {row.key_result_id: from_row(row.kind, row.spec, row.schedule)
            for row in session.scalars(select(Connector).where(Connector.org_id == org_id))}
