"""`okrbot clock`: the one scheduler process (Procfile `clock:`).

APScheduler 3.x cannot share a job store between processes and its cron triggers have DST quirks,
so the clock registers no job per team: one short interval job runs the sweep (bot.rituals.sweep),
which computes what is due from each team's zone and claims it in the database. coalesce and
max_instances=1 mean a slow sweep (a 429 storm) is never run twice at once nor caught up in a
burst; a second clock process on the same PostgreSQL simply finds nothing left to claim.

The time source is the AppContext's clock, so tests drive `tick()` with a ManualClock.
On SIGTERM/SIGINT the clock stops taking new work and gives the running sweep a grace period;
whatever it had claimed but not sent is resumed by the next clock (at once on the same host).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.rituals import runs
from bot.rituals.delivery import Deliverer
from bot.rituals.sweep import CLAIMER, SweepResult, sweep
from okrbot.app import AppContext

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
SHUTDOWN_GRACE_SECONDS = 20


def register_messengers(ctx: AppContext) -> None:
    """The adapters' messengers, built exactly as the web server builds them (their `setup` functions
    on an application this process never serves)."""
    from okrbot.server import build_app

    build_app(ctx)


class RitualClock:
    def __init__(self, ctx: AppContext, interval: float = INTERVAL_SECONDS, claimer: str = CLAIMER,
                 deliverer: Deliverer | None = None, lease: timedelta = runs.LEASE) -> None:
        self.ctx, self.interval, self.claimer, self.lease = ctx, interval, claimer, lease
        self.deliverer = deliverer
        self.last: SweepResult | None = None

    async def tick(self) -> SweepResult:
        """One sweep at the context clock's now; never raises (the next tick tries again)."""
        try:
            result = await sweep(self.ctx, self.ctx.clock.now(), claimer=self.claimer,
                                 deliverer=self.deliverer or Deliverer(), lease=self.lease)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the clock
            log.exception("sweep failed; trying again in %ss", self.interval)
            return SweepResult()
        if result.due or result.resumed or result.skipped:
            log.info("sweep: %s", result)
        self.last = result
        return result

    def scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.tick, IntervalTrigger(seconds=self.interval), id="sweep", coalesce=True,
                          max_instances=1, misfire_grace_time=None, next_run_time=self.ctx.clock.now())
        return scheduler

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or Windows
                loop.add_signal_handler(sig, stop.set)
        scheduler = self.scheduler()
        scheduler.start()
        log.info("clock %s sweeping every %ss", self.claimer, self.interval)
        await stop.wait()
        scheduler.shutdown(wait=False)
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        log.info("clock stopped")


def main(ctx: AppContext) -> int:
    register_messengers(ctx)
    if not ctx.messengers:
        log.warning("no messenger is configured (Slack, Teams or the sandbox): runs will be recorded as skipped")
    asyncio.run(RitualClock(ctx).run())
    return 0
