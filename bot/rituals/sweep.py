"""The clock's one job, run every few seconds: find due runs, claim them, carry them out.

No per-team cron jobs (APScheduler cannot share a job store between processes, and cron triggers
misbehave across DST): each sweep computes, for every enabled ritual setting, its latest due time
in the team's zone, and claims the ones without a run row. The row is the lock, so any number of
clocks may sweep the same database; a claim whose clock died is taken over and resumed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import team_zones
from bot.rituals import catalog, runs
from bot.rituals.delivery import Deliverer
from bot.rituals.schedule import Due, describe, latest, window_end
from bot.rituals.worker import Verdict, Worker
from storage.db import transaction
from storage.models import Cycle, Organization, RitualRun, RitualSetting, SkippedWeek, Team

log = logging.getLogger(__name__)
CLAIMER = runs.new_claimer()  # this process's identity as a claimer


@dataclass
class SweepResult:
    due: int = 0  # runs claimed new this sweep
    resumed: int = 0  # stale claims taken over
    skipped: int = 0  # recorded as skipped without running (skipped week, missed window)
    verdicts: list[Verdict] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for v in self.verdicts if v.state == state)

    @property
    def posted(self) -> int:
        return self.count("posted")

    @property
    def failed(self) -> int:
        return self.count("failed")

    def __str__(self) -> str:
        return (f"claimed {self.due}, resumed {self.resumed}, posted {self.posted}, failed {self.failed}, "
                f"skipped {self.skipped + self.count('skipped')}")


def due_runs(session: Session, now: datetime) -> tuple[list[dict], list[dict]]:
    """(runs to claim, runs to record as skipped), each a dict of RitualRun columns."""
    settings = session.scalars(select(RitualSetting).where(RitualSetting.enabled.is_(True))).all()
    if not settings:
        return [], []
    org_ids = {s.org_id for s in settings}
    zone_of = team_zones(session, org_ids)
    quarterly = [s for s in settings if (r := catalog.get(s.ritual)) is not None and r.per_cycle]
    cycles: dict[int, list[Cycle]] = defaultdict(list)
    level_of: dict[int, str] = {}
    if quarterly:  # once-per-cycle rituals need the cycles' dates and the teams' levels
        for cycle in session.scalars(select(Cycle).where(Cycle.org_id.in_({s.org_id for s in quarterly}))):
            cycles[cycle.org_id].append(cycle)
        level_of = dict(session.execute(select(Team.id, Team.level).where(
            Team.id.in_({s.team_id for s in quarterly}))).all())
    candidates: list[tuple[RitualSetting, Due]] = []
    broken: set[tuple[int, str]] = set()
    for setting in settings:
        ritual = catalog.get(setting.ritual)
        if ritual is not None and not ritual.runs_for(level_of.get(setting.team_id, "company")):
            continue
        try:
            due = latest(setting.ritual, setting.weekday, setting.time, zone_of[setting.team_id], now,
                         cycles.get(setting.org_id, ()))
        except (ValueError, KeyError):  # an unknown zone or a malformed time: nothing to compute
            broken.add((setting.team_id, zone_of.get(setting.team_id, "?")))
            continue
        if due is not None:
            candidates.append((setting, due))
    if broken:
        log.warning("cannot schedule the rituals of %d team(s); their zone or time is invalid: %s", len(broken),
                    ", ".join(f"team {team} ({zone})" for team, zone in sorted(broken)[:10]))
    keys = {(s.team_id, s.ritual, d.period) for s, d in candidates}
    periods = {d.period for _, d in candidates}
    existing = set(tuple(row) for row in session.execute(
        select(RitualRun.team_id, RitualRun.ritual, RitualRun.period).where(RitualRun.period.in_(periods))
    ).all()) & keys
    skipped_weeks = set(tuple(row) for row in session.execute(
        select(SkippedWeek.team_id, SkippedWeek.week).where(SkippedWeek.week.in_(periods))
    ).all())
    # A ritual whose window closed before its organization came to okrbot was never missed: a fresh
    # install does not fill `ritual status` with last week's "missed" runs (one still open is posted late).
    joined = dict(session.execute(select(Organization.id, Organization.created_at).where(
        Organization.id.in_({s.org_id for s, _ in candidates}))).all())
    claim, skip = [], []
    for setting, due in candidates:
        if (setting.team_id, setting.ritual, due.period) in existing:
            continue
        joined_at = joined.get(setting.org_id)
        row = {"org_id": setting.org_id, "team_id": setting.team_id, "ritual": setting.ritual,
               "period": due.period, "due_at": due.at}
        if (setting.team_id, due.period) in skipped_weeks:
            skip.append({**row, "reason": f"week {due.period} skipped by a lead"})
        elif now > due.window_end:
            if joined_at is not None and due.window_end < joined_at:
                continue
            skip.append({**row, "reason": f"missed: due {describe(due)}, the clock was not running until its "
                                          f"window closed"})
        else:
            claim.append(row)
    return claim, skip


def in_turns(dues: list[dict], limit: int | None, rotation: int = 0) -> list[dict]:
    """At most `limit` runs (whole teams: a team's runs stay together, in due order), taken in turns from
    each organization, starting at the one `rotation` picks (at random: clocks claiming at the same
    moment then mostly take different teams). A batch reaches every workspace, so each workspace's
    budget is used from the start."""
    if limit is None or len(dues) <= limit:
        return dues
    teams: dict[int, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for due in dues:
        teams[due["org_id"]][due["team_id"]].append(due)
    orgs = sorted(teams)
    start = rotation % len(orgs)
    queues = [list(teams[org].values()) for org in orgs[start:] + orgs[:start]]
    batch: list[dict] = []
    for turn in range(max(len(q) for q in queues)):
        for queue in queues:
            if turn < len(queue):
                if batch and len(batch) + len(queue[turn]) > limit:
                    return batch
                batch.extend(queue[turn])
    return batch


def claim_due(session: Session, now: datetime, claimer: str, lease: timedelta,
              limit: int | None = None, stamp: datetime | None = None) -> tuple[list[runs.Claim], int, int, int]:
    """Take over dead clocks' claims and retryable runs, record the skipped ones, and claim what is due
    (at most `limit` new runs, see in_turns). Returns (claims, how many were resumed, how many skipped,
    how many were due unclaimed: more than were claimed when another clock took some first).

    `now` says what is due; `stamp` (the time of this claim, `now` when not given) starts the new claims'
    leases and is what an old claim's lease is compared with."""
    stamp = stamp or now
    resumed = runs.take_over_stale(session, claimer, stamp, lease)
    zone_of: dict[int, str] = {}

    def window_open(run: RitualRun) -> bool:
        if run.team_id not in zone_of:
            zone_of.update(team_zones(session, {run.org_id}))
        return now <= window_end(run.ritual, run.due_at, zone_of[run.team_id])

    resumed += runs.take_retryable(session, claimer, stamp, window_open)
    to_claim, to_skip = due_runs(session, now)
    skipped = runs.record_skipped(session, to_skip, now)
    batch = in_turns(to_claim, limit, random.randrange(1 << 30))
    return resumed + runs.claim_new(session, batch, claimer, stamp), len(resumed), skipped, len(to_claim)


async def sweep(app_ctx, now: datetime, *, claimer: str | None = None, deliverer: Deliverer | None = None,
                lease: timedelta = runs.LEASE) -> SweepResult:
    """One pass: claim what is due at `now` (and what dead clocks left), then carry it all out.

    Claims are taken in batches (in_turns): the next batch as soon as half of the runs in hand are
    done, until nothing due is left. So several clocks share a big fan-out instead of the first one
    claiming it all, and each clock keeps every workspace it serves busy. A team's runs go in due
    order (the Friday post before its wrap-up); teams go concurrently, bounded by the Deliverer.
    """
    claimer = claimer or CLAIMER
    worker = Worker(app_ctx.sessions, app_ctx.messengers, app_ctx.clock.now,
                    deliverer or Deliverer(budgets=app_ctx.budgets), app_ctx.core.dashboard_url)
    # Runs in progress at once: enough to keep every send slot busy, few enough that recording a sent
    # message never queues behind a thousand runs still being prepared. Also the size of a batch.
    batch = 2 * worker.deliverer.concurrency + 4
    in_progress = asyncio.Semaphore(batch)
    result = SweepResult()

    def claim() -> tuple[list[runs.Claim], int, int, int]:
        # A batch claimed late in a long sweep holds its lease from now, not from the sweep's start: stamped
        # with the start, a fan-out longer than the lease (bench/fanout.py, 2,000 posts on a slow host) handed
        # its fresh claims to the next clock's sweep as stale, and this clock's writes to them were refused.
        with transaction(app_ctx.sessions) as session:
            return claim_due(session, now, claimer, lease, batch, stamp=max(now, app_ctx.clock.now()))

    async def team_runs(team_claims: list[runs.Claim]) -> list[Verdict]:
        verdicts = []
        for c in sorted(team_claims, key=lambda c: (c.due_at or now, c.run_id)):
            try:
                async with in_progress:
                    if worker.deliverer.closing:
                        verdicts.append(await worker.stopped(c))
                        continue
                    verdicts.append(await worker.execute(c))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one broken run must not stop the others; it stays claimed
                log.exception("run %s (%s %s) failed unexpectedly; it will be resumed", c.run_id, c.ritual, c.period)
        return verdicts

    pending: dict[asyncio.Task, int] = {}  # a team's runs -> how many
    while not worker.deliverer.closing:
        claims, resumed, skipped, unclaimed = await asyncio.to_thread(claim)
        result.due += len(claims) - resumed
        result.resumed += resumed
        result.skipped += skipped
        if not claims and not unclaimed:
            break
        by_team: dict[int, list[runs.Claim]] = defaultdict(list)
        for c in claims:
            by_team[c.team_id].append(c)
        for team_claims in by_team.values():
            pending[asyncio.ensure_future(team_runs(team_claims))] = len(team_claims)
        while pending and sum(pending.values()) > batch // 2:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                del pending[task]
                result.verdicts.extend(task.result())
    for verdicts in await asyncio.gather(*pending):
        result.verdicts.extend(verdicts)
    return result
