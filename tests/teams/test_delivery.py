"""The Teams limiter counts a request in every window its time on the wire overlaps, as Teams counts arrivals."""

from __future__ import annotations

import asyncio

from adapters.teams.delivery import TENANT_LIMITS, Limiter
from tests.teams.conftest import VirtualTime


async def test_requests_in_flight_count_until_they_end_and_a_slow_one_holds_its_slot():
    time = VirtualTime()
    limiter = Limiter(monotonic=time.monotonic, sleep=time.sleep)
    keys = [("tenant:t", TENANT_LIMITS)]
    sends = [await limiter.acquire(keys) for _ in range(50)]
    assert time.sleeps == []  # 50 at once is allowed
    waiting = asyncio.ensure_future(limiter.acquire(keys))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done() and time.sleeps  # polling: every counted request is still in flight
    time.now += 0.5
    for send in sends[:49]:
        limiter.release(send)  # they end at +0.5 s; one stays in flight (a slow request)
    third = await waiting
    # The 51st may start only once 1 s has passed since those 49 ended: it could otherwise reach Teams
    # in the same second as them.
    assert third.start >= 1000.0 + 0.5 + 1.0
    assert time.now >= 1001.5
