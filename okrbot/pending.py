"""Finishing what a stopped process acknowledged but never did: the inbox's pending rows (bot.inbox).

`okrbot serve` runs this once on start (after a crash, at once) and `okrbot clock` on every sweep, for
rows older than STALE (a live server is still working on younger ones). Two processes finishing the
same row is harmless: the core claims it in the work's own transaction, so one does the work and the
other finds it done and stays quiet.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot import inbox
from okrbot.app import AppContext

log = logging.getLogger(__name__)
STALE = timedelta(seconds=60)


async def finish_pending(ctx: AppContext, received_before: datetime | None = None) -> int:
    """Finish every pending row (received before a moment, if given); how many were taken up. Never raises."""
    try:
        rows = await asyncio.to_thread(inbox.pending, ctx.sessions, received_before)
    except Exception:  # noqa: BLE001 - the database is away; the next start or sweep tries again
        log.exception("could not read the inbox")
        return 0
    done = 0
    for key, payload in rows:
        finisher = ctx.finishers.get(str(payload.get("platform")))
        if finisher is None:
            continue  # that platform is not configured in this process
        try:
            await finisher(payload)
            done += 1
        except Exception:  # noqa: BLE001 - one bad row must not keep the others waiting
            log.exception("could not finish %s", key)
    if done:
        log.info("finished %d acknowledged command(s) a stopped process left undone", done)
    return done
