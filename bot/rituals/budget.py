"""Send budgets: how fast okrbot may post to one Slack workspace or Teams tenant, shared by every process.

Slack and Teams limit an app per workspace (tenant), not per process: two clocks that each kept
their own count would together post twice as fast as allowed and be paced by the platform's 429s.
So the count lives in the database, one `send_budgets` row per (platform, workspace), and every
send takes its place there first:

    async with budgets.sending("slack", "T0123"):   # waits until one more post fits; counts it
        await messenger.post(...)
    await budgets.slow_down("slack", "T0123", retry_after)   # the platform answered 429 anyway

(bot.rituals.delivery.Deliverer does both for every ritual message; other senders can use it too.)
Taking places locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
serialises writers), drops the sends that left the window and hands out only what fits under the rate,
so no second at any process's clock sees more sends than the rate, whichever process made them (see
SendBudgets._take for how a send in flight counts). Otherwise it sleeps until the oldest one leaves
the window and asks again. A place counts from the moment it is taken, so a clock that dies holds
nothing beyond IN_FLIGHT_LIMIT, and one that takes several at once never sends ahead of the count.

A 429 means the platform disagrees (another app of the same workspace, a lower plan): its
Retry-After pauses the workspace for every process, and the rate is halved (once per pause) and
climbs back to the configured rate over RECOVERY_SECONDS.

Platforms without a configured rate (the sandbox) are not limited. The clock is injected (seconds
since the epoch: every process compares the stored times with its own wall clock, so hosts need
NTP, as Slack's signatures already require).
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from storage.db import insert_ignoring_conflicts, transaction
from storage.models import SendBudget

RECOVERY_SECONDS = 30.0  # a lowered rate is back to the configured one this long after a 429
LOWER_FACTOR = 0.5
MIN_RATE = 0.2  # sends per second: never lower than one every five seconds
MIN_WAIT = 0.001
IN_FLIGHT_LIMIT = 60.0  # seconds: a send not done by then (its process died) no longer counts


def current_rate(row: SendBudget, configured: float, now: float) -> float:
    """The rate now: the configured one, or a lowered one climbing back to it."""
    if row.rate is None or row.lowered_at is None:
        return configured
    return min(configured, row.rate + configured * max(0.0, now - row.lowered_at) / RECOVERY_SECONDS)


class SendBudgets:
    """Per-workspace send rates (sends per second) for the platforms in `rates`, kept in the database.

    Round trips are what a fan-out over many clocks queues on (every take locks the workspace's row), so a
    process asks for as many places as it has sends waiting for that workspace (`_take` hands out what fits),
    and a send's end rides in the process's next take for the workspace while more are waiting; the last one
    out (nothing waiting, nothing in flight) records what is left.
    """

    def __init__(self, sessions: sessionmaker[Session], rates: Mapping[str, float],
                 now: Callable[[], float] = time.time, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.sessions, self.rates, self.now, self.sleep = sessions, dict(rates), now, sleep
        self._turns: dict[Key, asyncio.Lock] = {}
        self._waiting: collections.Counter[Key] = collections.Counter()  # sends of this process waiting
        self._granted: dict[Key, list[str]] = collections.defaultdict(list)  # places taken, not used yet
        self._ended: dict[Key, list[list]] = collections.defaultdict(list)  # [ticket, end] not recorded yet
        self._active: collections.Counter[Key] = collections.Counter()  # sends of this process in flight
        self._not_before: dict[Key, float] = {}  # no place fits before then: the next take waits for it
        self._asking = 0  # calls to the database about these budgets under way (a take, ends, a pause)

    def limits(self, platform: str) -> bool:
        return self.rates.get(platform, 0) > 0

    def busy(self) -> int:
        """Sends of this process holding a place now (between their take and their end), plus its calls to the
        database still under way: what a simulated clock must let finish before it moves time on."""
        return sum(self._active.values()) + self._asking

    async def _ask(self, call: Callable[..., T], *args) -> T:
        """`call(*args)` in a worker thread (it waits on the row's lock), counted in busy()."""
        self._asking += 1
        try:
            return await asyncio.to_thread(call, *args)
        finally:
            self._asking -= 1

    @asynccontextmanager
    async def sending(self, platform: str, workspace: str,
                      sleep: Callable[[float], Awaitable[None]] | None = None) -> AsyncIterator[None]:
        """Hold one place in `workspace`'s budget while the body sends: waits (with `sleep`, else the
        budgets' own) until the send fits, and counts it until it is done."""
        if not self.limits(platform):
            yield
            return
        key = (platform, workspace)
        self._waiting[key] += 1
        try:
            # One waiter per workspace in this process asks the database (for everyone waiting behind it);
            # the others queue here, in order, instead of all waking at the same moment and fighting over the row.
            async with self._turns.setdefault(key, asyncio.Lock()):
                while not self._granted[key]:
                    if (wait := self._not_before.pop(key, 0.0) - self.now()) > 0:
                        metrics.BUDGET_WAIT.labels(platform).inc(wait)
                        await (sleep or self.sleep)(wait)
                    ended, self._ended[key] = self._ended[key], []
                    tickets, fits_at = await self._ask(self._take, platform, workspace, self._waiting[key], ended)
                    self._granted[key].extend(tickets)
                    if fits_at is not None:  # a moment on the take's clock, not `now() + wait` read on the way back
                        self._not_before[key] = fits_at
                ticket = self._granted[key].pop(0)
                self._active[key] += 1
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key] and self._granted[key]:
                await self._flush(key)  # a waiter that gave up left its place behind
        try:
            yield
        finally:
            self._ended[key].append([ticket, self.now()])
            self._active[key] -= 1
            if not self._waiting[key] and not self._active[key]:
                await self._flush(key)

    async def _flush(self, key: Key) -> None:
        """Record the ends nobody's next take will carry, and give back places nobody will use (as ended now)."""
        unused, self._granted[key] = self._granted[key], []
        ended, self._ended[key] = [*self._ended[key], *([ticket, self.now()] for ticket in unused)], []
        if ended:
            await self._ask(self._record_ends, *key, ended)

    async def slow_down(self, platform: str, workspace: str, retry_after: float) -> None:
        """The platform answered 429: nobody sends to `workspace` for `retry_after` seconds, and slower after."""
        if self.limits(platform):
            key = (platform, workspace)
            unused, self._granted[key] = self._granted[key], []  # taken before the 429: ask again after it
            self._ended[key].extend([ticket, self.now()] for ticket in unused)
            await self._ask(self.lower, platform, workspace, retry_after)

    def try_take(self, platform: str, workspace: str, ticket: str) -> float:
        """Count one send (`ticket`) from now and return 0, or return how long to wait before asking again."""
        tickets, fits_at = self._take(platform, workspace, 1, [], lambda: ticket)
        return 0.0 if tickets or fits_at is None else max(fits_at - self.now(), MIN_WAIT)

    def done(self, platform: str, workspace: str, ticket: str) -> None:
        self._record_ends(platform, workspace, [[ticket, self.now()]])

    def _take(self, platform: str, workspace: str, want: int, ended: list[list],
              new_ticket: Callable[[], str] = lambda: uuid.uuid4().hex[:12]) -> tuple[list[str], float | None]:
        """Record the `ended` sends, then count up to `want` sends from now: (their tickets, the moment one more
        would fit, or None when all `want` were given). A moment, not a wait: the answer comes back from its
        thread (and its queue on the row's lock) later than the `now` it was computed at.

        `sent` holds [start, end or None, ticket] of the latest sends. Slack and Teams count a send by its
        arrival, somewhere between its start and its end, so it counts in every window its time on the
        wire overlaps (in flight, it counts as now): then no window at the platform sees more than the
        rate, however latency varies. A place taken counts from its take, even if its send starts later.
        A send whose process died ends, for the count, IN_FLIGHT_LIMIT after it started."""
        configured = self.rates[platform]
        with transaction(self.sessions) as session:
            row = _locked(session, platform, workspace)
            now = self.now()
            sent = _with_ends(row.sent or [], ended)
            if row.paused_until is not None and now < row.paused_until:
                row.sent = sent
                return [], max(row.paused_until, now + MIN_WAIT)
            rate = current_rate(row, configured, now)
            most = max(1, math.floor(rate))
            span = most / rate  # `most` sends per `span` seconds: 10 a second, or one every 5 s
            recent = [s for s in sent if _end(s) > now - span]
            tickets = [new_ticket() for _ in range(max(0, min(want, most - len(recent))))]
            row.sent = recent = [*recent, *([now, None, ticket] for ticket in tickets)]
            if tickets and rate >= configured:
                row.rate = row.lowered_at = None
            if len(tickets) == want:
                return tickets, None
            # A send leaves the window `span` after it ended; one still in flight ends now at the earliest.
            leaves = sorted((s[1] if s[1] is not None else max(now, s[0])) + span for s in recent)
            return tickets, max(leaves[len(recent) - most], now + MIN_WAIT)

    def _record_ends(self, platform: str, workspace: str, ended: list[list]) -> None:
        with transaction(self.sessions) as session:
            row = _locked(session, platform, workspace)
            row.sent = _with_ends(row.sent or [], ended)

    def lower(self, platform: str, workspace: str, retry_after: float) -> None:
        with transaction(self.sessions) as session:
            row = _locked(session, platform, workspace)
            now = self.now()
            already_paused = row.paused_until is not None and now < row.paused_until
            row.paused_until = max(row.paused_until or 0.0, now + max(retry_after, 0.0))
            if not already_paused:  # the other clocks' 429s from the same burst lower it once, not each
                row.rate = max(MIN_RATE, current_rate(row, self.rates[platform], now) * LOWER_FACTOR)
                row.lowered_at = now


Key = tuple[str, str]
T = TypeVar("T")


def _with_ends(sent: list[list], ended: list[list]) -> list[list]:
    """`sent` with the end times of the `ended` [ticket, end] pairs filled in (each measured when its send
    returned, not when it is recorded)."""
    if not ended:
        return sent
    ends = dict((ticket, end) for ticket, end in ended)
    return [[s[0], ends[s[2]], s[2]] if s[1] is None and s[2] in ends else s for s in sent]


def _end(sent: list) -> float:
    start, end, _ticket = sent
    return end if end is not None else start + IN_FLIGHT_LIMIT


def _locked(session: Session, platform: str, workspace: str) -> SendBudget:
    """The workspace's row, created on first use, locked until the transaction ends."""
    key = (platform, workspace)
    row = session.get(SendBudget, key, with_for_update=True)
    if row is None:
        session.execute(insert_ignoring_conflicts(session, SendBudget)
                        .values(platform=platform, workspace=workspace, sent=[])
                        .on_conflict_do_nothing(index_elements=["platform", "workspace"]))
        row = session.get(SendBudget, key, with_for_update=True, populate_existing=True)
    return row
