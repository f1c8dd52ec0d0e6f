"""Claiming ritual runs in the database: the one place that makes posting exactly-once.

A run is the row (team, ritual, period), unique. A clock owns a run by inserting it in state
`claimed` (INSERT ... ON CONFLICT DO NOTHING: of two clocks, one gets the row, the other nothing),
or by taking over a `claimed` row whose claimer died. A claimer is alive while it keeps its lease:
every send renews `claimed_at`, and a row claimed longer ago than the lease is stale. A claimer on
this host whose process is gone is stale at once, so a restarted clock resumes without waiting.
On PostgreSQL the takeover reads with `FOR UPDATE SKIP LOCKED`, so two clocks never take the same
row and never wait on each other; SQLite serialises writers (BEGIN IMMEDIATE) to the same effect.

Every write after the claim is fenced by `claimed_by`: a clock that lost its lease (and so its run)
finds its update matching no row and stops before sending anything.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot import metrics
from storage.db import insert_ignoring_conflicts
from storage.models import EarlierRitualPost, RitualRun

LEASE = timedelta(minutes=5)
SENDING = "sending"
RETRY_EVERY = timedelta(minutes=5)  # a run that failed for a passing reason is tried again this often
RETRY_MAX_ATTEMPTS = 40  # ... until its window closes or it has used this many sends
# Reasons that may pass: a platform outage that outlasted the retries, a channel not bound yet.
RETRYABLE = (("failed", "gave up:"), ("skipped", "no channel:"))


def new_claimer() -> str:
    """host:pid:token, unique per clock process start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimer_is_dead(claimed_by: str | None) -> bool:
    """True when the claimer was a process on this host that no longer exists."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Claim:
    """A run this process owns now."""

    run_id: int
    org_id: int
    team_id: int
    ritual: str
    period: str
    due_at: datetime | None
    claimer: str
    delivered: dict[str, str] = field(default_factory=dict)
    message_ref: str | None = None
    thread_ref: str | None = None
    platform: str | None = None
    channel_id: str | None = None
    resumed: bool = False
    # The dead claimer's last claimed_at: a message it left "sending" went out, if at all, after this.
    attempted_at: datetime | None = None

    @classmethod
    def of(cls, run: RitualRun, claimer: str, resumed: bool = False, attempted_at: datetime | None = None) -> Claim:
        return cls(run.id, run.org_id, run.team_id, run.ritual, run.period, run.due_at, claimer,
                   dict(run.delivered or {}), run.message_ref, run.thread_ref, run.platform, run.channel_id, resumed,
                   attempted_at)


def insert_runs(session: Session, rows: list[dict], returning=RitualRun.id) -> list:
    """Insert the rows that do not exist yet; returns the ids (or `returning`) of those this call created."""
    if not rows:
        return []
    statement = (
        insert_ignoring_conflicts(session, RitualRun).values(rows)
        .on_conflict_do_nothing(index_elements=["team_id", "ritual", "period"])
        .returning(returning)
    )
    return list(session.scalars(statement))


EVENT = "announce"  # the claimer of an event run nobody has taken yet: stale at once, so the clock takes it


def event_runs(session: Session, org_id: int, team_ids: list[int], ritual: str, period: str, now: datetime,
               due_at: datetime | None = None) -> None:
    """An event ritual's runs (catalog cadence "event"), one per team: the clock's first sweep from `due_at`
    (now when not given) takes each over and carries it out exactly once, like a scheduled run."""
    insert_runs(session, [{
        "org_id": org_id, "team_id": team_id, "ritual": ritual, "period": period, "due_at": due_at or now,
        "state": "claimed",
        "claimed_at": None, "claimed_by": EVENT, "attempts": 0, "lead_notified": False, "delivered": {}}
        for team_id in team_ids])


def claim_new(session: Session, dues: list[dict], claimer: str, now: datetime) -> list[Claim]:
    """Claim runs that have no row yet. `dues`: org_id, team_id, ritual, period, due_at."""
    rows = [{**due, "state": "claimed", "claimed_at": now, "claimed_by": claimer, "attempts": 0,
             "lead_notified": False, "delivered": {}} for due in dues]
    ids = insert_runs(session, rows)
    if not ids:
        return []
    runs = session.scalars(select(RitualRun).where(RitualRun.id.in_(ids)).order_by(RitualRun.due_at, RitualRun.id))
    return [Claim.of(run, claimer) for run in runs]


def record_skipped(session: Session, dues: list[dict], now: datetime) -> int:
    """Write down runs that will not happen (skipped week, missed window, no channel), once each."""
    rows = [{**due, "state": "skipped", "claimed_at": now, "attempts": 0, "lead_notified": False} for due in dues]
    rituals = insert_runs(session, rows, returning=RitualRun.ritual)
    for ritual in rituals:
        metrics.RITUAL_RUNS.labels(ritual, "skipped").inc()
    return len(rituals)


def is_stale(run: RitualRun, now: datetime, lease: timedelta = LEASE) -> bool:
    return run.claimed_at is None or run.claimed_at <= now - lease or claimer_is_dead(run.claimed_by)


def take_over_stale(session: Session, claimer: str, now: datetime, lease: timedelta = LEASE) -> list[Claim]:
    """Take the claimed runs whose claimer died (lease expired, or its process on this host is gone)."""
    rows = session.scalars(
        select(RitualRun).where(RitualRun.state == "claimed", RitualRun.claimed_by != claimer)
        .order_by(RitualRun.due_at, RitualRun.id)
        .with_for_update(skip_locked=True)
    ).all()
    taken = []
    for run in rows:
        if run.claimed_by == EVENT and run.due_at > now:  # an event run for later (a digest): not yet
            continue
        if is_stale(run, now, lease):
            attempted_at = run.claimed_at
            run.claimed_by, run.claimed_at = claimer, now
            taken.append(Claim.of(run, claimer, resumed=True, attempted_at=attempted_at))
    session.flush()
    return taken


def take_retryable(session: Session, claimer: str, now: datetime, window_open) -> list[Claim]:
    """Claim again the runs that failed for a reason that may have passed, while their window is open.

    `window_open(run)` says whether the run may still be posted. A permanent failure (channel gone,
    bot removed) is not retried: its lead was told and a person has to act.
    """
    conditions = [(RitualRun.state == state) & RitualRun.reason.startswith(prefix) for state, prefix in RETRYABLE]
    rows = session.scalars(
        select(RitualRun).where(
            or_(*conditions), RitualRun.claimed_at <= now - RETRY_EVERY, RitualRun.due_at >= now - timedelta(days=8),
            RitualRun.attempts < RETRY_MAX_ATTEMPTS,
        ).order_by(RitualRun.due_at, RitualRun.id).with_for_update(skip_locked=True)
    ).all()
    taken = []
    for run in rows:
        if window_open(run):
            run.state, run.claimed_by, run.claimed_at, run.reason = "claimed", claimer, now, None
            taken.append(Claim.of(run, claimer, resumed=True))
    session.flush()
    return taken


def _fenced(claim: Claim):
    return update(RitualRun).where(
        RitualRun.id == claim.run_id, RitualRun.state == "claimed", RitualRun.claimed_by == claim.claimer
    )


def start_sending(session: Session, claim: Claim, key: str, now: datetime) -> bool:
    """Mark one message as in flight and renew the lease; False when the run is no longer ours."""
    delivered = {**claim.delivered, key: SENDING}
    result = session.execute(
        _fenced(claim).values(attempts=RitualRun.attempts + 1, claimed_at=now, delivered=delivered)
    )
    if result.rowcount != 1:
        return False
    claim.delivered = delivered
    return True


def renew(session: Session, claim: Claim, now: datetime) -> bool:
    return session.execute(_fenced(claim).values(claimed_at=now)).rowcount == 1


def record_sent(session: Session, claim: Claim, key: str, reference: str, now: datetime,
                primary: dict | None = None) -> bool:
    """One message went out: remember it (and, for the run's main post, where it is)."""
    delivered = {**claim.delivered, key: reference}
    values: dict = {"delivered": delivered, "claimed_at": now}
    if primary:
        values.update(primary)
    if session.execute(_fenced(claim).values(**values)).rowcount != 1:
        return False
    replaced = claim.message_ref and claim.platform and primary and primary.get("message_ref")
    if replaced and replaced != claim.message_ref:  # a forced re-post: the earlier thread stays the run's
        session.add(EarlierRitualPost(org_id=claim.org_id, run_id=claim.run_id, platform=claim.platform,
                                      message_ref=claim.message_ref))
    claim.delivered = delivered
    for name, value in (primary or {}).items():
        setattr(claim, name, value)
    return True


def record_unsent(session: Session, claim: Claim, key: str, reason: str) -> bool:
    """A message that will not go out (its reason kept), so a resumed run does not try it again."""
    delivered = {**claim.delivered, key: f"failed: {reason}"}
    if session.execute(_fenced(claim).values(delivered=delivered)).rowcount != 1:
        return False
    claim.delivered = delivered
    return True


def release(session: Session, claim: Claim) -> bool:
    """Give a claim back on a graceful stop: with no lease time left, the next clock resumes it at once.
    Nothing of it is in flight (the Deliverer starts no attempt once closing), so no message is in doubt."""
    delivered = {key: value for key, value in claim.delivered.items() if value != SENDING}
    return session.execute(_fenced(claim).values(claimed_at=None, delivered=delivered)).rowcount == 1


def finish(session: Session, claim: Claim, state: str, now: datetime, reason: str | None = None) -> bool:
    """Close the run: posted, failed or skipped, with the reason people will read. Nothing of it is in
    flight any more (its messages go one after another), so no "sending" mark stays behind."""
    delivered = {key: value for key, value in claim.delivered.items() if value != SENDING}
    values: dict = {"state": state, "reason": reason[:500] if reason else None, "delivered": delivered}
    if state == "posted":
        values["posted_at"] = now
    return session.execute(_fenced(claim).values(**values)).rowcount == 1


def run_of_thread(session: Session, org_id: int, platform: str, thread_ref: str | None,
                  rituals: tuple[str, ...]) -> RitualRun | None:
    """The run of one of `rituals` whose post (the current one, or one a forced re-post replaced) opened the
    thread `thread_ref` on `platform`: a reply there belongs to that run's team and period."""
    if not thread_ref:
        return None
    earlier = select(EarlierRitualPost.run_id).where(
        EarlierRitualPost.org_id == org_id, EarlierRitualPost.platform == platform,
        EarlierRitualPost.message_ref == thread_ref)
    return session.scalar(select(RitualRun).where(
        RitualRun.org_id == org_id, RitualRun.ritual.in_(rituals), RitualRun.platform == platform,
        or_(RitualRun.message_ref == thread_ref, RitualRun.id.in_(earlier))).limit(1))
