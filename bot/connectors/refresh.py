"""The clock's connector pass: every key result with a source is read once per period of its schedule.

A period is the local day ("06:00": daily) or the ISO week ("MON 06:00": weekly) in the owning team's zone
(an individual objective's: its owner's, else the organization's), with the due instant computed by the
rituals' own rule (bot.rituals.schedule.resolve_local: DST gaps move forward, overlaps take the first).
Exactly once, like a ritual run: the row (key result, period) of `connector_runs` is the claim, inserted
with ON CONFLICT DO NOTHING, so of any number of clocks one reads it; the claimer and the lease are the
rituals' (bot.rituals.runs), and a claim whose clock died is taken over. Every write after the claim is
fenced by the claimer, in one transaction per batch of results: the value as a check-in with source
"connector" (its confidence never changes), or a failure with its one-line reason on the connector's
status. A failed period is not read again; the next period tries again. After three failures in a row the
key result's owner is told once, in a direct message, until a read succeeds again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot import platforms
from bot.connectors.read import ConnectorError, read_value
from bot.connectors.spec import Source, from_row
from bot.context import team_zones
from bot.model import Card, Text
from bot.render import render
from bot.rituals import runs
from bot.rituals.delivery import Deliverer
from bot.rituals.routes import person_of
from bot.rituals.schedule import parse_hhmm, resolve_local
from bot.services.checkins import record_values
from bot.weeks import local_week, monday_of, shift
from storage.db import insert_ignoring_conflicts, transaction
from storage.models import Connector, ConnectorRun, KeyResult, Objective, Organization, Person

log = logging.getLogger(__name__)
TELL_AFTER = 3  # failures in a row before the owner hears of it
CONCURRENCY = 64  # reads in flight at once
BATCH = 256  # runs claimed (and results written) per transaction


@dataclass(frozen=True)
class Due:
    org_id: int
    key_result_id: int
    period: str


@dataclass
class Outcome:
    read: int = 0
    failed: int = 0
    told: int = 0
    errors: dict[int, str] = field(default_factory=dict)  # key result id -> reason

    def __str__(self) -> str:
        return f"connectors: read {self.read}, failed {self.failed}, owners told {self.told}"


def period_of(schedule: str, zone: str, now: datetime) -> str | None:
    """The period whose due instant is the latest at or before `now`: a local date, or an ISO week."""
    parts = schedule.split()
    tz = ZoneInfo(zone)
    wall = parse_hhmm(parts[-1])
    if len(parts) == 2:
        from bot.commands import WEEKDAYS

        week = local_week(now, zone)
        for candidate in (week, shift(week, -1)):
            if resolve_local(monday_of(candidate) + timedelta(days=WEEKDAYS[parts[0].lower()]), wall, tz) <= now:
                return candidate
        return None
    local = now.astimezone(tz).date()
    for day in (local, local - timedelta(days=1)):
        if resolve_local(day, wall, tz) <= now:
            return day.isoformat()
    return None


_CONNECTORS = (
    select(Connector.org_id, Connector.key_result_id, Connector.schedule, Objective.owner_team_id, Person.timezone)
    .join(KeyResult, KeyResult.id == Connector.key_result_id)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .outerjoin(Person, Person.id == Objective.owner_person_id)
    .where(Objective.status != "closed", KeyResult.live)  # a removed key result's source stops reading
)


def due_connectors(session: Session, now: datetime) -> list[Due]:
    """Every connector whose current period has no run yet."""
    rows = session.execute(_CONNECTORS).all()
    if not rows:
        return []
    orgs = {row.org_id for row in rows}
    team_zone = team_zones(session, orgs)
    org_zone = dict(session.execute(select(Organization.id, Organization.timezone).where(Organization.id.in_(orgs)))
                    .all())
    dues = []
    for org_id, kr_id, schedule, team_id, person_zone in rows:
        zone = team_zone.get(team_id) if team_id else person_zone or org_zone[org_id]
        try:
            period = period_of(schedule, zone or org_zone[org_id], now)
        except (ValueError, KeyError):
            log.warning("connector of key result %s: cannot schedule %r in zone %r", kr_id, schedule, zone)
            continue
        if period is not None:
            dues.append(Due(org_id, kr_id, period))
    periods = {d.period for d in dues}
    done = set()
    for chunk in _chunks(sorted(periods), 500):
        done.update(tuple(row) for row in session.execute(
            select(ConnectorRun.key_result_id, ConnectorRun.period).where(ConnectorRun.period.in_(chunk))))
    return [d for d in dues if (d.key_result_id, d.period) not in done]


def _any_claimed(session: Session) -> bool:
    return session.scalar(select(ConnectorRun.id).where(ConnectorRun.state == "claimed").limit(1)) is not None


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class Claimed:
    run_id: int
    org_id: int
    key_result_id: int
    source: Source


def claim(session: Session, dues: list[Due], claimer: str, now: datetime,
          lease: timedelta = runs.LEASE) -> list[Claimed]:
    """Claim these dues (those no other clock took first) and any stale claims; their sources come along."""
    ids: list[int] = []
    if dues:
        ids = list(session.scalars(
            insert_ignoring_conflicts(session, ConnectorRun).values([
                {"org_id": d.org_id, "key_result_id": d.key_result_id, "period": d.period, "state": "claimed",
                 "claimed_by": claimer, "claimed_at": now} for d in dues])
            .on_conflict_do_nothing(index_elements=["key_result_id", "period"]).returning(ConnectorRun.id)))
    stale = session.scalars(select(ConnectorRun).where(ConnectorRun.state == "claimed",
                                                       ConnectorRun.claimed_by != claimer)
                            .with_for_update(skip_locked=True)).all()
    for run in stale:
        if runs.is_stale(run, now, lease):  # same lease and dead-process rule as a ritual run
            run.claimed_by, run.claimed_at = claimer, now
            ids.append(run.id)
    session.flush()
    if not ids:
        return []
    rows = session.execute(select(ConnectorRun.id, ConnectorRun.org_id, ConnectorRun.key_result_id, Connector.kind,
                                  Connector.spec, Connector.schedule)
                           .join(Connector, Connector.key_result_id == ConnectorRun.key_result_id)
                           .where(ConnectorRun.id.in_(ids))).all()
    return [Claimed(run_id, org_id, kr_id, from_row(kind, spec, schedule))
            for run_id, org_id, kr_id, kind, spec, schedule in rows]


_READ_OK = (update(Connector.__table__).where(Connector.__table__.c.key_result_id == bindparam("kid"))
            .values(last_run_at=bindparam("at"), last_value=bindparam("value"), failures=0, last_error=None,
                    owner_told=False))


def record(session: Session, claimer: str, results: list[tuple[Claimed, float | str]], now: datetime,
           outcome: Outcome) -> list[tuple[int, int, int]]:
    """Write a batch of results, each fenced by its claim. Returns (org, owner, key result) to tell."""
    if not results:
        return []
    ids = [c.key_result_id for c, _ in results]
    krs = {kr.id: kr for kr in session.scalars(select(KeyResult).where(KeyResult.id.in_(ids)))}
    connectors = {c.key_result_id: c
                  for c in session.scalars(select(Connector).where(Connector.key_result_id.in_(ids)))}
    ours = set()
    for state, batch in (("done", [c for c, r in results if isinstance(r, float)]),
                         ("failed", [c for c, r in results if not isinstance(r, float)])):
        if batch:  # one fenced UPDATE per outcome: only the runs this clock still holds come back
            ours.update(session.scalars(
                update(ConnectorRun).where(ConnectorRun.id.in_([c.run_id for c in batch]),
                                           ConnectorRun.state == "claimed", ConnectorRun.claimed_by == claimer)
                .values(state=state, finished_at=now).returning(ConnectorRun.id)))
    read = [(c, r) for c, r in results if c.run_id in ours and isinstance(r, float) and c.key_result_id in krs
            and c.key_result_id in connectors]
    record_values(session, [(krs[c.key_result_id], value) for c, value in read], at=now, source="connector")
    if read:
        session.execute(_READ_OK, [{"kid": c.key_result_id, "at": now, "value": value} for c, value in read])
    outcome.read += len(read)
    to_tell = []
    for claimed, reason in results:
        kr, connector = krs.get(claimed.key_result_id), connectors.get(claimed.key_result_id)
        if isinstance(reason, float) or claimed.run_id not in ours or kr is None or connector is None:
            continue  # read (above), taken over by another clock, or deleted meanwhile
        session.execute(update(ConnectorRun).where(ConnectorRun.id == claimed.run_id).values(reason=reason[:500]))
        connector.last_run_at = now
        connector.failures += 1
        connector.last_error = reason[:500]
        outcome.failed += 1
        outcome.errors[kr.id] = reason
        if connector.failures >= TELL_AFTER and not connector.owner_told and kr.owner_person_id:
            connector.owner_told = True  # set with the failure: told once, whatever happens to the message
            to_tell.append((claimed.org_id, kr.owner_person_id, kr.id))
    return to_tell


async def refresh(sessions, now: datetime, claimer: str, *, messengers: Mapping | None = None,
                  deliverer: Deliverer | None = None, env: Mapping[str, str] | None = None,
                  concurrency: int = CONCURRENCY, batch: int = BATCH) -> Outcome:
    """One pass: read every connector due at `now`, at most `concurrency` at once, `batch` per transaction."""
    env = os.environ if env is None else env
    outcome = Outcome()
    dues = await asyncio.to_thread(_in_transaction, sessions, due_connectors, now)
    if not dues and not await asyncio.to_thread(_in_transaction, sessions, _any_claimed):
        return outcome
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(claimed: Claimed) -> tuple[Claimed, float | str]:
            async with limit:
                try:
                    return claimed, await read_value(claimed.source, env, http)
                except ConnectorError as error:
                    return claimed, error.message
                except Exception as exc:  # noqa: BLE001 - a bug in one read must not stop the others
                    log.exception("connector of key result %s failed unexpectedly", claimed.key_result_id)
                    return claimed, f"okrbot could not read it ({type(exc).__name__}); see okrbot's log"

        async def write(results: list) -> None:
            to_tell = await asyncio.to_thread(_in_transaction, sessions, record, claimer, results, now, outcome)
            for org_id, person_id, kr_id in to_tell:
                outcome.told += await _tell(sessions, messengers or {}, deliverer, org_id, person_id, kr_id)

        # A pipeline: while one batch is read, the next one is claimed and the one before written.
        chunks = list(_chunks(dues, batch)) or [[]]  # no dues: still take over a dead clock's claims
        claiming = asyncio.ensure_future(asyncio.to_thread(_in_transaction, sessions, claim, chunks[0], claimer, now))
        writing: asyncio.Future | None = None
        for index in range(len(chunks)):
            claims = await claiming
            if index + 1 < len(chunks):
                claiming = asyncio.ensure_future(asyncio.to_thread(_in_transaction, sessions, claim, chunks[index + 1],
                                                                   claimer, now))
            results = list(await asyncio.gather(*(one(c) for c in claims)))
            if writing is not None:
                await writing
            writing = asyncio.ensure_future(write(results))
        if writing is not None:
            await writing
    return outcome


def _in_transaction(sessions, work, *args):
    with transaction(sessions) as session:
        return work(session, *args)


async def _tell(sessions, messengers: Mapping, deliverer: Deliverer | None, org_id: int, person_id: int,
                kr_id: int) -> int:
    """A direct message to the key result's owner: its connector failed three times, and why."""

    def route(session: Session):
        org, person = session.get(Organization, org_id), session.get(Person, person_id)
        kr, connector = session.get(KeyResult, kr_id), session.get(Connector, kr_id)
        found = person_of(session, org, person, set(messengers), None) if org and person else None
        if found is None or kr is None or connector is None:
            return None
        source = from_row(connector.kind, connector.spec, connector.schedule)
        text = render("connector_failing", code=kr.key, title=kr.title, times=connector.failures,
                      error=connector.last_error, what=source.describe(), prefix=platforms.spec(found[0]).prefix)
        return found, Card(None, (Text(text),), fallback=text)

    routed = await asyncio.to_thread(_in_transaction, sessions, route)
    if routed is None:
        log.warning("connector of key result %s keeps failing, and its owner cannot be reached", kr_id)
        return 0
    (platform, user_id, workspace), card = routed
    messenger = messengers[platform]
    try:
        call = lambda: messenger.send_direct(user_id, workspace, card)  # noqa: E731
        await (deliverer.send((platform, workspace), call) if deliverer else call())
    except Exception as exc:  # noqa: BLE001 - the owner could not be told; the status still says it
        log.warning("could not tell the owner of key result %s that its connector fails: %s", kr_id, exc)
        return 0
    return 1
