"""Posts that keep up: a ritual post is redrawn in place when what it shows changes.

When a priority is done, dropped, reopened or added, or a win arrives, the handler marks the posts
that show it (`mark_stale`: the team's Monday four-square and Friday wins post of that week, and the
wrap-up for wins) in the same transaction as the change: `ritual_runs.stale_since`. The mark is the
durable promise that the post will be made true; the person's reply never waits for a platform.

`refresh_posts` then redraws each marked post from the database as it is now and sends it through
the Messenger port's `update` (Slack chat.update, Teams update activity, the sandbox's row), through
a Deliverer, so a 429 pauses that workspace for its Retry-After like any other send. Many changes to
one post before it is redrawn make one update. The mark is cleared only if nobody marked the post
again meanwhile (compare and clear), so a change that lands during a redraw gets its own redraw. A
post the platform no longer has (deleted, bot removed) is given up on, with a log line.

Who redraws: the web process runs a `PostRefresher`, kicked after every action that marked a post
and sweeping all marks every `INTERVAL` seconds, so marks left by a crash (or by another process)
are redrawn after a restart: the post is always eventually true.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.model import Card, Conversation, MessageRef, Messenger
from bot.rituals import catalog
from bot.rituals.catalog import Shows
from bot.rituals.delivery import Deliverer, Failed
from bot.workspaces import workspace_of
from storage.db import transaction
from storage.models import Organization, RitualRun, Team

log = logging.getLogger(__name__)
STALE = "posts_stale"  # Session.info key: this transaction marked a post
INTERVAL = 60.0  # seconds between sweeps for marks nobody kicked (a crash, another process)
BATCH = 50  # posts redrawn per pass; the next pass takes the rest
MAX_AGE = timedelta(days=35)  # a post older than this is not redrawn any more (its mark is dropped)


def mark_stale(session: Session, team_id: int, week: str, changed: Shows, now: datetime) -> None:
    """Mark the team's posts of `week` that show what `changed` as needing a redraw (in the caller's
    transaction); the catalog says which posts show what (the four-square lists priorities and names the
    owners, some away, the Friday post its P1s and the wins count, the wrap-up the wins).

    Runs not posted yet are marked too: a post being sent right now was drawn before the change.
    """
    mark_stale_teams(session, {team_id: week}, changed, now)


def mark_stale_teams(session: Session, weeks: Mapping[int, str], changed: Shows, now: datetime) -> None:
    """`mark_stale` for many teams, each with its own week (its zone's): one statement per distinct week."""
    by_week: dict[str, list[int]] = {}
    for team_id, week in weeks.items():
        by_week.setdefault(week, []).append(team_id)
    for week, team_ids in by_week.items():
        result = session.execute(update(RitualRun).where(
            RitualRun.team_id.in_(team_ids), RitualRun.period == week,
            RitualRun.ritual.in_(catalog.showing(changed)),
        ).values(stale_since=now))
        if result.rowcount:
            session.info[STALE] = True


@dataclass(frozen=True)
class Redraw:
    run_id: int
    marked: datetime
    platform: str
    conversation: Conversation
    message: MessageRef
    card: Card


def _message_of(run: RitualRun) -> MessageRef | None:
    """Where the run's post is: the channel post, or for a reply (the wrap-up) its reply in the thread."""
    if catalog.CATALOG[run.ritual].reply_to is not None:
        reference = (run.delivered or {}).get("thread") or ""
        if not reference or reference == "sending" or reference.startswith("failed"):
            return None
        message_id, _, thread = reference.partition("|")
        return MessageRef(run.channel_id or "", message_id, thread or None)
    if not run.message_ref:
        return None
    return MessageRef(run.channel_id or "", run.message_ref, run.thread_ref)


def _pending(session: Session, platforms: set[str], now: datetime) -> list[Redraw]:
    """The marked posts this process can redraw, each drawn from the database as it is now."""
    from bot.rituals.content import channel_card  # content imports the services, which import this module

    runs = session.scalars(
        select(RitualRun).where(RitualRun.stale_since.is_not(None), RitualRun.state == "posted",
                                RitualRun.platform.in_(platforms))
        .order_by(RitualRun.stale_since, RitualRun.id).limit(BATCH)
    ).all()
    redraws = []
    for run in runs:
        message = _message_of(run)
        if message is None or (run.due_at is not None and run.due_at < now - MAX_AGE):
            _clear(session, run.id, run.stale_since)
            continue
        org = session.get(Organization, run.org_id)
        team = session.get(Team, run.team_id)
        card = channel_card(session, org, team, run.ritual, run.period, now)
        conversation = Conversation(run.platform, workspace_of(session, org, run.platform), run.channel_id or "")  # type: ignore[arg-type]
        redraws.append(Redraw(run.id, run.stale_since, run.platform, conversation, message, card))
    return redraws


def _clear(session: Session, run_id: int, marked: datetime) -> bool:
    """Drop the mark unless the post was marked again since `marked` was read."""
    return session.execute(update(RitualRun).where(RitualRun.id == run_id, RitualRun.stale_since == marked)
                           .values(stale_since=None)).rowcount == 1


async def refresh_posts(sessions: sessionmaker[Session], messengers: Mapping[str, Messenger],
                        now: Callable[[], datetime], deliverer: Deliverer) -> int:
    """One pass: redraw every marked post (up to BATCH) in place; returns how many were updated."""

    def pending() -> list[Redraw]:
        with transaction(sessions) as session:
            return _pending(session, set(messengers), now())

    def clear(redraw: Redraw) -> None:
        with transaction(sessions) as session:
            _clear(session, redraw.run_id, redraw.marked)

    updated = 0
    for redraw in await asyncio.to_thread(pending):
        messenger = messengers[redraw.platform]

        async def call(m=messenger, r=redraw) -> MessageRef:
            await m.update(r.conversation, r.message, r.card)
            return r.message

        try:
            await deliverer.send((redraw.platform, redraw.conversation.workspace), call)
        except Failed as failure:
            if not failure.permanent:
                log.warning("post of run %s not redrawn yet (%s); trying again later", redraw.run_id, failure.reason)
                continue
            log.warning("post of run %s cannot be redrawn any more: %s", redraw.run_id, failure.reason)
        else:
            updated += 1
        await asyncio.to_thread(clear, redraw)
    return updated


class PostRefresher:
    """The web process's redrawer: one pass at a time, kicked after each change, and a sweep every INTERVAL."""

    def __init__(self, sessions: sessionmaker[Session], messengers: Mapping[str, Messenger],
                 now: Callable[[], datetime], deliverer: Deliverer | None = None, interval: float = INTERVAL) -> None:
        self.sessions, self.messengers, self.now, self.interval = sessions, messengers, now, interval
        self.deliverer = deliverer or Deliverer(concurrency=4)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._one_pass = asyncio.Lock()  # passes never overlap, so each mark is redrawn once
        self.passes = 0
        self._stopping = False

    def kick(self) -> None:
        """Ask for a pass soon; safe from any thread (Core.handle runs in worker threads). Before `start`
        it does nothing: the marks are in the database and the first sweep finds them."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def refresh(self) -> int:
        """One pass now (also what tests call to redraw deterministically)."""
        async with self._one_pass:
            self.passes += 1
            return await refresh_posts(self.sessions, self.messengers, self.now, self.deliverer)

    async def _run(self) -> None:
        # A flag as well as the cancel: on Python 3.11, asyncio.wait_for can swallow a cancel that lands as
        # its inner wait completes, and a `while True` then never lets stop() return (a hang seen in CI).
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()  # kicks during the pass below ask for one more pass, not one each
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup must not stop the redrawing
                log.exception("redrawing the ritual posts failed; trying again in %ss", self.interval)

    def start(self) -> None:
        self._stopping = False
        self._loop = asyncio.get_running_loop()
        self._wake.set()  # marks left by a previous process are redrawn at once
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self._loop = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
