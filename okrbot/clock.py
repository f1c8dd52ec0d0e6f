"""`okrbot clock`: the one scheduler process (Procfile `clock:`).

APScheduler 3.x cannot share a job store between processes and its cron triggers have DST quirks,
so the clock registers no job per team: one short interval job runs the sweep (bot.rituals.sweep),
which computes what is due from each team's zone and claims it in the database. coalesce and
max_instances=1 mean a slow sweep (a 429 storm) is never run twice at once nor caught up in a
burst; a second clock process on the same PostgreSQL simply finds nothing left to claim.

What is due is decided by the AppContext's clock (tests drive `tick()` with a ManualClock); only the
pace of the ticks is APScheduler's, in real time.
On SIGTERM/SIGINT (a deploy, a restart) the clock starts no new send, lets those in flight finish and
be recorded, and hands back the runs it had claimed but not sent, so the next clock resumes them at
once and nothing is posted twice. After a SIGKILL its claims are taken over when the lease runs out
(at once on the same host, whose process table shows the claimer gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import inbox, metrics
from bot.rituals import runs
from bot.rituals.delivery import Deliverer
from bot.rituals.sweep import CLAIMER, SweepResult, sweep
from okrbot.app import AppContext
from okrbot.observe import clock_metrics
from okrbot.pending import STALE, finish_pending
from okrbot.wiring import build_platforms

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 20


def register_messengers(ctx: AppContext) -> None:
    """The running adapters' messengers (and finishers), built as the web server builds them, without its
    web application: no route, no bolt app or OAuth flow, no dashboard."""
    build_platforms(ctx)


class RitualClock:
    def __init__(self, ctx: AppContext, interval: float = INTERVAL_SECONDS, claimer: str = CLAIMER,
                 deliverer: Deliverer | None = None, lease: timedelta = runs.LEASE) -> None:
        self.ctx, self.interval, self.claimer, self.lease = ctx, interval, claimer, lease
        # One for the clock's life: a 429 pause outlives a tick.
        self.deliverer = deliverer or Deliverer(budgets=ctx.budgets)
        self.last: SweepResult | None = None
        self.connectors = None  # the last connector pass's Outcome
        self._idle = asyncio.Event()
        self._idle.set()

    async def tick(self) -> SweepResult:
        """One sweep at the context clock's now; never raises (the next tick tries again)."""
        self._idle.clear()
        try:
            return await self._sweep()
        finally:
            self._idle.set()

    async def _sweep(self) -> SweepResult:
        try:
            with metrics.SWEEP_DURATION.time():
                result = await sweep(self.ctx, self.ctx.clock.now(), claimer=self.claimer,
                                     deliverer=self.deliverer, lease=self.lease)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the clock
            log.exception("sweep failed; trying again in %ss", self.interval)
            return SweepResult()
        if result.due or result.resumed or result.skipped:
            log.info("sweep: %s", result)
        self.last = result
        await self._connectors()
        await self._inbox()
        return result

    async def _connectors(self) -> None:
        """Key results whose value is pulled from elsewhere (bot.connectors), each once per period."""
        from bot.connectors.refresh import refresh

        try:
            outcome = await refresh(self.ctx.sessions, self.ctx.clock.now(), self.claimer,
                                    messengers=self.ctx.messengers, deliverer=self.deliverer)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the clock; the next tick tries again
            log.exception("connector pass failed; trying again in %ss", self.interval)
            return
        self.connectors = outcome
        if outcome.read or outcome.failed:
            log.info("%s", outcome)

    async def _inbox(self) -> None:
        """Commands a stopped server acknowledged and left undone are finished here too; old keys forgotten."""
        now = self.ctx.clock.now()
        await finish_pending(self.ctx, now - STALE)
        try:
            await asyncio.to_thread(inbox.purge, self.ctx.sessions, now)
        except Exception:  # noqa: BLE001 - a database hiccup; the next tick purges
            log.exception("could not purge the inbox")

    def scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.tick, IntervalTrigger(seconds=self.interval), id="sweep", coalesce=True,
                          max_instances=1, misfire_grace_time=None, next_run_time=datetime.now(UTC))
        return scheduler

    async def run(self, stop: asyncio.Event | None = None, signals: bool = True) -> None:
        """Sweep every `interval` seconds until SIGTERM/SIGINT (or `stop` is set)."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT) if signals else ():
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
                loop.add_signal_handler(sig, stop.set)
        scheduler = self.scheduler()
        scheduler.start()
        log.info("clock %s sweeping every %ss", self.claimer, self.interval)
        await stop.wait()
        # Not scheduler.shutdown() first: its executor cancels the running sweep mid-send. Pause, let
        # the sends in flight finish and be recorded, hand back the rest, then shut down.
        scheduler.pause()
        self.deliverer.close()
        try:
            await asyncio.wait_for(self._idle.wait(), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            log.warning("the sweep did not finish within %ss; its runs will be resumed", SHUTDOWN_GRACE_SECONDS)
        scheduler.shutdown(wait=False)
        log.info("clock stopped")


def main(ctx: AppContext) -> int:
    register_messengers(ctx)
    if not ctx.messengers:
        log.warning("no messenger is configured (Slack, Teams or the sandbox): runs will be recorded as skipped")

    async def run() -> None:
        metrics_server = await clock_metrics(ctx.settings)
        try:
            await RitualClock(ctx).run()
        finally:
            if metrics_server is not None:
                await metrics_server.cleanup()

    asyncio.run(run())
    return 0
