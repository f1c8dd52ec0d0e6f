"""What one running okrbot process shares, as the core and the adapters see it.

okrbot/ (the composition root) builds it (okrbot.app.AppContext) and hands it to the adapters it
wires; adapters and the rituals depend on this shape, never on okrbot/, so wiring points one way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core import Core
from bot.model import Messenger
from bot.rituals.budget import SendBudgets
from bot.timesource import Clock


class Runtime(Protocol):
    engine: Engine
    sessions: sessionmaker[Session]
    core: Core
    clock: Clock
    # One Messenger per running platform (built by okrbot.wiring); the rituals post through them.
    messengers: dict[str, Messenger]
    # Per platform, how to finish work acknowledged by a process that stopped before doing it (okrbot.pending).
    finishers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]]
    # Per-workspace send rates shared by every process through the database (None: unlimited, tests).
    budgets: SendBudgets | None
