"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable), a manual clock, the core.

PostgreSQL: set OKRBOT_TEST_POSTGRES to a server URL (CI does); otherwise a server on
127.0.0.1:5432 is tried, and the PostgreSQL variants are skipped with the reason when none answers.
Each test gets an empty, migrated database: SQLite copies a file migrated once per session,
PostgreSQL truncates the tables of a database migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from bot.core import Core
from bot.importer import import_text
from bot.model import Interaction
from bot.timesource import ManualClock
from okrbot.platforms import register_platforms
from storage.db import make_engine, make_sessionmaker, transaction
from storage.migrate import upgrade
from tests.fakes.bot_connector import bot_connector  # noqa: F401 - the fake Bot Connector fixture
from tests.fakes.entra import entra  # noqa: F401 - the fake Entra ID token endpoint (HTTPS, via a proxy)
from tests.fakes.slack_api import fake_slack  # noqa: F401 - the fake Slack Web API fixture
from tests.fakes.token_service import tarpit, token_service  # noqa: F401 - signing keys, a stalled endpoint

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "bot" / "demo" / "example.yaml"
# Wednesday of ISO week 2026-W47, noon in Shanghai: inside the example's 2026-Q4 cycle.
START = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def platforms() -> None:
    """Slack, Teams and the sandbox known to the core, as okrbot's start-up makes them (okrbot.platforms)."""
    register_platforms()


def _postgres_server() -> str | None:
    url = os.environ.get("OKRBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        engine = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://"), connect_args={"connect_timeout": 2}
        )
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return url
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        _postgres_server.reason = f"PostgreSQL not reachable ({type(exc).__name__}); set OKRBOT_TEST_POSTGRES"
        return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "okrbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _postgres_server_or_skip() -> str:
    """The PostgreSQL server's URL; the test is skipped without one (failed in CI)."""
    server = _postgres_server()
    if server is None:
        if os.environ.get("CI"):
            pytest.fail(_postgres_server.reason)
        pytest.skip(_postgres_server.reason)
    return server


@pytest.fixture(scope="session")
def postgres_url() -> str:
    server = _postgres_server_or_skip()
    with new_postgres_database(server) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@contextmanager
def new_postgres_database(server: str) -> Iterator[str]:
    """A uniquely named empty database on the server (parallel runs never collide), dropped afterwards."""
    name = f"okrbot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request, tmp_path) -> Iterator[str]:
    """An empty database of each kind, not migrated: for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = _postgres_server_or_skip()
    with new_postgres_database(server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template) -> str:
    """An empty migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "okrbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    tables = ", ".join(f'"{n}"' for n in names)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def org_id(sessions, clock) -> int:
    """The example organization of ../shared/examples/okrs.yaml, imported."""
    with transaction(sessions) as session:
        return import_text(session, EXAMPLE.read_text(), clock.now()).organization_id


@pytest.fixture
def core(sessions, clock) -> Core:
    return Core(sessions, clock)


class Chat:
    """Talk to the core the way an adapter does: `chat.say("mine")` returns the Reply."""

    def __init__(self, core: Core, org_id: int, platform: str = "sandbox") -> None:
        self.core, self.org_id, self.platform = core, org_id, platform

    def interaction(self, kind: str, actor: str = "engineer@example.com", **fields) -> Interaction:
        return Interaction(platform=self.platform, workspace=str(self.org_id), actor=actor, actor_email=actor,
                           kind=kind, **fields)

    def say(self, text: str, actor: str = "engineer@example.com", conversation: str | None = None):
        return self.core.handle(self.interaction("command", actor, text=text, conversation=conversation))

    def click(self, action_id: str, value: str = "", actor: str = "engineer@example.com", conversation=None):
        return self.core.handle(self.interaction("action", actor, name=action_id, value=value,
                                                 conversation=conversation))

    def submit(self, form_id: str, values: dict, metadata: str = "", actor: str = "engineer@example.com"):
        return self.core.handle(self.interaction("submit", actor, name=form_id, form=values, value=metadata))


@pytest.fixture
def chat(core, org_id) -> Chat:
    return Chat(core, org_id)


def card_text(reply) -> str:
    """All the words of a reply's card, for assertions."""
    from bot.model import Context, Fields, KeyResultLine, Text

    if reply.card is None:
        return ""
    parts = [reply.card.title or ""]
    for element in reply.card.elements:
        if isinstance(element, Text | Context):
            parts.append(element.markdown)
        elif isinstance(element, Fields):
            parts.extend(f"{k}: {v}" for k, v in element.items)
        elif isinstance(element, KeyResultLine):
            parts.append(f"{element.code} {element.title} {element.confidence}/10 {element.colour}")
    return "\n".join(parts)
