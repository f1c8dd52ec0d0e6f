"""Fixtures for the rituals: an AppContext over the test database with real messengers, and helpers.

Time only moves when a test moves the ManualClock; the Deliverer's sleeps advance that same clock,
so a Retry-After or a backoff is honoured without the test ever waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.sandbox.messenger import SandboxMessenger
from bot.rituals.delivery import Deliverer
from bot.timesource import ManualClock
from okrbot.app import AppContext
from okrbot.settings import Settings
from storage.models import RitualRun, SandboxMessage, Team

# Monday 2026-11-23 09:00 in Shanghai (the example organization's zone): ISO week 2026-W48.
MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class ClockSleep:
    """A Deliverer sleep that moves the manual clock instead of waiting, and remembers each pause."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock, self.pauses = clock, []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def clock_sleep(clock) -> ClockSleep:
    return ClockSleep(clock)


@pytest.fixture
def deliverer(clock_sleep) -> Deliverer:
    return Deliverer(concurrency=8, sleep=clock_sleep, jitter=lambda: 1.0)


@pytest.fixture
def app_ctx(engine, sessions, clock, core, org_id) -> AppContext:
    ctx = AppContext(Settings(), engine, sessions, core, clock)
    ctx.messengers["sandbox"] = SandboxMessenger(sessions, clock)
    return ctx


def team_id(sessions, key: str) -> int:
    with sessions() as s:
        return s.scalar(select(Team.id).where(Team.key == key))


def runs_of(sessions, ritual: str | None = None) -> list[RitualRun]:
    with sessions() as s:
        query = select(RitualRun).order_by(RitualRun.id)
        if ritual:
            query = query.where(RitualRun.ritual == ritual)
        return list(s.scalars(query))


def sandbox_messages(sessions, channel: str | None = None) -> list[SandboxMessage]:
    with sessions() as s:
        query = select(SandboxMessage).order_by(SandboxMessage.id)
        if channel is not None:
            query = query.where(SandboxMessage.channel_id == channel)
        return list(s.scalars(query))
