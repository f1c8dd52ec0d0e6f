"""The objects one okrbot process shares: settings, database, core, clock and messengers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core import Core
from bot.model import Messenger
from bot.rituals.budget import SendBudgets
from bot.timesource import Clock, SystemClock
from okrbot.platforms import register_platforms
from okrbot.settings import Settings
from storage.db import is_sqlite, make_engine, make_sessionmaker
from storage.migrate import upgrade


@dataclass
class AppContext:
    """The process's bot.runtime.Runtime (what adapters and the rituals see), plus okrbot's settings, which
    only okrbot/ reads: each adapter gets its own configuration from them (okrbot.wiring)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    core: Core
    clock: Clock
    # One Messenger per running platform (okrbot.wiring.build_platforms); the rituals post through them.
    messengers: dict[str, Messenger] = field(default_factory=dict)
    # Per platform, how to finish work acknowledged by a process that stopped before doing it (okrbot.pending).
    finishers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = field(default_factory=dict)
    # Per-workspace send rates shared by every process through the database (None: unlimited, tests).
    budgets: SendBudgets | None = None


def build_context(settings: Settings, clock: Clock | None = None, migrate: bool | None = None) -> AppContext:
    """Open the database; a SQLite database is migrated on start (PostgreSQL via `release:`)."""
    register_platforms()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    if migrate if migrate is not None else is_sqlite(settings.database_url):
        upgrade(engine)
    sessions = make_sessionmaker(engine)
    core = Core(sessions, clock, settings.base_url, settings.secret_key)
    # Rate limits are counted in the platforms' seconds: the wall clock, never the injected business clock
    # (a ManualClock stands still, so its budget would never free a place while real sleeps wait for one).
    budgets = SendBudgets(sessions, settings.send_rates)
    return AppContext(settings, engine, sessions, core, clock, budgets=budgets)
