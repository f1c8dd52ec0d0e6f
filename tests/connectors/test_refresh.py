"""The clock's connector pass on SQLite and PostgreSQL: once per period, a check-in with source "connector" and
no confidence, failures on the status with nothing written, the owner told once after three in a row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from adapters.sandbox.messenger import SandboxMessenger
from bot.connectors.refresh import refresh
from bot.connectors.spec import parse_source, set_source
from bot.rituals.delivery import Deliverer
from storage.db import transaction
from storage.models import CheckIn, Connector, ConnectorRun, KeyResult, SandboxMessage

CODE = "rd-o1-kr3"  # owned by engineer@example.com, team rd-efficiency (Asia/Shanghai)


def give_source(sessions, org_id: int, code: str = CODE, **raw) -> int:
    parsed, errors = parse_source(raw)
    assert not errors
    with transaction(sessions) as s:
        kr_id = s.scalar(select(KeyResult.id).where(KeyResult.key == code))
        set_source(s, org_id, kr_id, parsed)
        return kr_id


def state(sessions, kr_id: int):
    with sessions() as s:
        kr = s.get(KeyResult, kr_id)
        rows = s.execute(select(CheckIn.source, CheckIn.value, CheckIn.confidence).where(
            CheckIn.key_result_id == kr_id).order_by(CheckIn.id)).all()
        connector = s.get(Connector, kr_id)
        return kr, [tuple(r) for r in rows], connector


def told(sessions) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(SandboxMessage.text).where(SandboxMessage.channel_id.like("dm:%"))))


async def test_a_value_is_read_once_per_period_as_a_connector_check_in(sessions, clock, org_id, source):
    src, base = source
    kr_id = give_source(sessions, org_id, kind="http", url=f"{base}/json", pointer="/total")
    before, history, _ = state(sessions, kr_id)
    # 04:00 UTC is 12:00 in Shanghai: today's 06:00 run is due.
    outcome = await refresh(sessions, clock.now(), "clock-a")
    assert (outcome.read, outcome.failed) == (1, 0)
    kr, after, connector = state(sessions, kr_id)
    assert after[-1] == ("connector", 42, before.confidence) and len(after) == len(history) + 1
    assert (kr.current_value, kr.value_source, kr.confidence) == (42, "connector", before.confidence)
    assert (connector.failures, connector.last_error, connector.last_value) == (0, None, 42)
    # Later the same day, and a second clock: nothing more.
    clock.advance(hours=6)
    assert (await refresh(sessions, clock.now(), "clock-b")).read == 0
    assert src.hits["/json"] == 1
    # The next local day at 06:00 Shanghai (22:00 UTC) reads again.
    clock.advance(hours=12, minutes=1)
    assert (await refresh(sessions, clock.now(), "clock-b")).read == 1
    assert src.hits["/json"] == 2


async def test_two_clocks_at_once_read_each_once(sessions, clock, org_id, source):
    src, base = source
    codes = ["rd-o1-kr1", "rd-o1-kr2", "rd-o1-kr3", "rd-o1-kr4", "ecology-o6-kr1"]
    for n, code in enumerate(codes):
        give_source(sessions, org_id, code, kind="http", url=f"{base}/n/{n}", pointer="/count")
    outcomes = await asyncio.gather(refresh(sessions, clock.now(), "clock-a", batch=2),
                                    refresh(sessions, clock.now(), "clock-b", batch=2))
    assert sum(o.read for o in outcomes) == len(codes)
    assert sorted(src.hits.values()) == [1] * len(codes)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "connector")) == len(codes)


async def test_failures_write_nothing_and_the_owner_is_told_once_after_three(sessions, clock, org_id, source):
    src, base = source
    kr_id = give_source(sessions, org_id, kind="http", url=f"{base}/html", pointer="/total")
    _, history, _ = state(sessions, kr_id)
    messengers = {"sandbox": SandboxMessenger(sessions, clock)}
    deliverer = Deliverer(sleep=lambda _s: asyncio.sleep(0))
    for day in range(4):
        outcome = await refresh(sessions, clock.now(), "clock", messengers=messengers, deliverer=deliverer)
        assert (outcome.read, outcome.failed) == (0, 1)
        kr, after, connector = state(sessions, kr_id)
        assert after == history and connector.failures == day + 1
        assert connector.last_error == f"the answer from {base.split('//')[1]} is not JSON (text/html)"
        assert len(told(sessions)) == (0 if day < 2 else 1)
        clock.advance(days=1)
    [message] = told(sessions)
    assert CODE in message and "3 times in a row" in message and "not JSON (text/html)" in message
    with sessions() as s:
        assert s.scalars(select(ConnectorRun.state).where(ConnectorRun.key_result_id == kr_id)).all() == ["failed"] * 4
    # Fixed: the next run reads, the status is clean, and a later run of failures tells the owner again.
    give_source(sessions, org_id, kind="http", url=f"{base}/json", pointer="/total")
    assert (await refresh(sessions, clock.now(), "clock", messengers=messengers, deliverer=deliverer)).read == 1
    _, _, connector = state(sessions, kr_id)
    assert (connector.failures, connector.last_error, connector.owner_told) == (0, None, False)


async def test_a_weekly_schedule_reads_once_a_week(sessions, clock, org_id, source):
    src, base = source
    give_source(sessions, org_id, kind="http", url=f"{base}/json", pointer="/total", schedule="MON 06:00")
    for _ in range(5):
        await refresh(sessions, clock.now(), "clock")
        clock.advance(days=1)
    assert src.hits["/json"] == 1  # Wednesday: this week's Monday run, then nothing until next Monday
    clock.advance(days=2)
    await refresh(sessions, clock.now(), "clock")
    assert src.hits["/json"] == 2


async def test_a_claim_left_by_a_dead_clock_is_taken_over(sessions, clock, org_id, source):
    src, base = source
    kr_id = give_source(sessions, org_id, kind="http", url=f"{base}/json", pointer="/total")
    with transaction(sessions) as s:
        s.add(ConnectorRun(org_id=org_id, key_result_id=kr_id, period="2026-11-18", state="claimed",
                           claimed_by="elsewhere:1:x", claimed_at=clock.now() - timedelta(minutes=10)))
    assert (await refresh(sessions, clock.now(), "clock")).read == 1
    assert src.hits["/json"] == 1
