"""Sending to the Bot Connector within Teams' limits, one attempt per call, classified.

Teams limits a bot per thread (7 messages in 1 s, 8 in 2 s, 60 in 30 s, 1800 in an hour) and per
app per tenant (50 requests a second), and answers 429 (and sometimes 412, 502, 504) past them.
`Limiter` keeps proactive posts under those numbers in this process (sliding windows, one per
thread and one per tenant). `Delivery.send` makes one attempt and turns a failure into bot.model's
neutral kinds: RetryAfter (429, or a retryable answer that names a Retry-After), TransientFailure
(412, 502, 504, a network error) or PermanentFailure. It never tries again: the rituals' Deliverer
owns the one retry budget of a post (and, with the shared budgets, slows every process on a 429),
and an interactive reply is worth one attempt only (the person is waiting; a late copy helps no one).
Clock and sleep are injected so tests move time instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.model import DeliveryError, PermanentFailure, RetryAfter, TransientFailure
from bot.render import render_macro

T = TypeVar("T")

Window = tuple[float, int]  # (seconds, most sends in that span)
THREAD_LIMITS: tuple[Window, ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
TENANT_LIMITS: tuple[Window, ...] = ((1.0, 50),)
RETRYABLE = frozenset({429, 412, 502, 504})


@dataclass(eq=False)
class Send:
    """One request's time on the wire: it reaches Teams somewhere between `start` and `end`."""

    start: float
    end: float | None = None  # None while in flight


@dataclass
class Limiter:
    """Sliding-window limits per key, counted the way Teams counts: by arrival.

    A request reaches Teams at an unknown moment between its start and its end, so a request counts
    in every window its [start, end] overlaps (in flight, it counts as now). Before a start, the
    requests overlapping the last `span` seconds must be fewer than the limit; then no window of
    `span` seconds at Teams' end can see more arrivals than the limit, however latency varies.
    """

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    poll: float = 0.02  # when every counted request is still in flight, look again this soon
    _sent: dict[str, deque[Send]] = field(default_factory=dict)

    def _wait(self, key: str, limits: tuple[Window, ...], now: float) -> float:
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        longest = max(span for span, _ in limits)
        while sent and sent[0].end is not None and sent[0].end <= now - longest:
            sent.popleft()
        wait = 0.0
        for span, most in limits:
            ends = [s.end for s in sent if s.end is None or s.end > now - span]
            if len(ends) < most:
                continue
            done = sorted(end for end in ends if end is not None)
            leave = len(ends) - most  # this many (+1) must drop out of the window first
            wait = max(wait, done[leave] + span - now if leave < len(done) else self.poll)
        return wait

    async def acquire(self, keys: Iterable[tuple[str, tuple[Window, ...]]]) -> Send:
        keys = list(keys)
        while True:
            now = self.monotonic()
            wait = max((self._wait(key, limits, now) for key, limits in keys), default=0.0)
            if wait <= 0:
                send = Send(now)
                for key, _ in keys:
                    self._sent.setdefault(key, deque()).append(send)
                return send
            await self.sleep(wait)

    def release(self, send: Send) -> None:
        send.end = self.monotonic()


def _status(error: BaseException) -> tuple[int | None, float | None]:
    """HTTP status and Retry-After (seconds) of a connector error, if it carries a response."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    retry_after: float | None = None
    try:
        raw = headers.get("Retry-After")
        retry_after = float(raw) if raw is not None else None
    except (TypeError, ValueError):
        retry_after = None
    return (int(status) if status else None), retry_after


@dataclass
class Delivery:
    limiter: Limiter = field(default_factory=Limiter)

    async def send(
        self, call: Callable[[], Awaitable[T]], *, thread: str | None = None, tenant: str | None = None,
        where: str = "",
    ) -> T:
        """`call()` once, within the thread's and the tenant's limits; a failure leaves classified."""
        keys: list[tuple[str, tuple[Window, ...]]] = []
        if thread:
            keys.append((f"thread:{thread}", THREAD_LIMITS))
        if tenant:
            keys.append((f"tenant:{tenant}", TENANT_LIMITS))
        send = await self.limiter.acquire(keys)
        try:
            return await call()
        except DeliveryError:
            raise
        except Exception as error:  # noqa: BLE001 - classified below, never lost
            raise classify(error, where) from error
        finally:
            self.limiter.release(send)


def classify(error: BaseException, where: str) -> DeliveryError:
    """A connector error in the port's terms: what the caller may do about it."""
    status, retry_after = _status(error)
    if status in RETRYABLE or (status is None and _is_network(error)):
        reason = f"{render_macro('teams_failures', 'answered', status=status or type(error).__name__)} [{where}]"
        if status == 429 or retry_after is not None:
            return RetryAfter(reason, retry_after)
        return TransientFailure(reason)
    if status is not None and 400 <= status < 500:
        return PermanentFailure(f"{render_macro('teams_failures', 'refused', status=status)} [{where}]")
    return TransientFailure(f"{render_macro('teams_failures', 'unsent', error=repr(error))} [{where}]"[:300])


def _is_network(error: BaseException) -> bool:
    """Connection resets and timeouts are worth another try; programming errors are not."""
    import aiohttp
    from msrest.exceptions import ClientRequestError

    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError | ClientRequestError)
