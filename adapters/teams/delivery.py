"""Sending to the Bot Connector within Teams' limits, with backoff: the SDK retries nothing.

Teams limits a bot per thread (7 messages in 1 s, 8 in 2 s, 60 in 30 s, 1800 in an hour) and per
app per tenant (50 requests a second), and answers 429 (and sometimes 412, 502, 504) past them.
`Limiter` keeps proactive posts under those numbers in this process (sliding windows, one per
thread and one per tenant); `Delivery.send` retries the transient answers with exponential backoff
and jitter, honouring Retry-After, and turns everything else into `DeliveryError`. Across processes
the tenant's budget is bot.rituals.budget's (the rituals' Deliverer takes it); a 429 seen here lowers
it for every process.
Clock and sleep are injected so tests move time instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot import metrics
from bot.model import DeliveryError

log = logging.getLogger(__name__)
T = TypeVar("T")

Window = tuple[float, int]  # (seconds, most sends in that span)
THREAD_LIMITS: tuple[Window, ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
TENANT_LIMITS: tuple[Window, ...] = ((1.0, 50),)
RETRYABLE = frozenset({429, 412, 502, 504})
PERMANENT = {
    400: "Teams rejected the message as malformed",
    401: "the bot's credentials were refused (check MicrosoftAppId / MicrosoftAppPassword)",
    403: "okrbot is not allowed to post there (removed from the team or chat?)",
    404: "the conversation no longer exists (channel or chat deleted?)",
    413: "the card is too large for Teams",
}


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
    attempts: int = 6
    base: float = 0.5  # first backoff, seconds; doubles each attempt
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    budgets: Any = None  # bot.rituals.budget.SendBudgets: told of every 429, so all processes slow down

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, never shorter than what the service asked for."""
        delay = min(self.cap, self.base * 2**attempt) * self.rng.uniform(0.5, 1.0)
        return max(delay, retry_after or 0.0)

    async def send(
        self, call: Callable[[], Awaitable[T]], *, thread: str | None = None, tenant: str | None = None,
        where: str = "",
    ) -> T:
        keys: list[tuple[str, tuple[Window, ...]]] = []
        if thread:
            keys.append((f"thread:{thread}", THREAD_LIMITS))
        if tenant:
            keys.append((f"tenant:{tenant}", TENANT_LIMITS))
        for attempt in range(self.attempts):
            send = await self.limiter.acquire(keys)
            try:
                return await call()
            except DeliveryError:
                raise
            except Exception as error:  # noqa: BLE001 - classified below, never lost
                failure = error
            finally:
                self.limiter.release(send)
            status, retry_after = _status(failure)
            transient = status in RETRYABLE or (status is None and _is_network(failure))
            if not transient:
                if status is not None and (status in PERMANENT or 400 <= status < 500):
                    reason = PERMANENT.get(status, f"Teams answered HTTP {status}")
                    raise DeliveryError(f"{reason} [{where}]", permanent=True) from failure
                raise DeliveryError(f"sending to Teams failed: {failure!r} [{where}]", permanent=False) from failure
            if attempt == self.attempts - 1:
                raise DeliveryError(
                    f"Teams kept answering {status or type(failure).__name__} after {self.attempts} attempts "
                    f"[{where}]", permanent=False, retry_after=retry_after,
                ) from failure
            delay = self.backoff(attempt, retry_after)
            if status == 429:
                metrics.RATE_LIMITED.labels("teams").inc()
                if tenant and self.budgets is not None:
                    await self.budgets.slow_down("teams", tenant, delay)
            log.info("Teams answered %s for %s; retrying in %.2f s", status or type(failure).__name__, where, delay)
            await self.limiter.sleep(delay)
        raise AssertionError("unreachable")


def _is_network(error: BaseException) -> bool:
    """Connection resets and timeouts are worth another try; programming errors are not."""
    import aiohttp
    from msrest.exceptions import ClientRequestError

    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError | ClientRequestError)
