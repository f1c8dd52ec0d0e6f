"""Running one ritual now, on demand: `okrbot ritual run` and the sandbox's "run it now" buttons.

It goes through the same claim as the clock, so a manual run and the clock never both post a
period: a period already posted is reported (when, where) and posted again only with `force`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import row_id, team_timezone
from bot.cycles import cycles_of
from bot.rituals import catalog, runs
from bot.rituals.delivery import Deliverer
from bot.rituals.schedule import latest, occurrence, upcoming
from bot.rituals.sweep import CLAIMER
from bot.rituals.worker import Worker
from bot.teams import key_is
from bot.weeks import local_week
from storage.db import transaction
from storage.models import Organization, RitualRun, RitualSetting, Team


@dataclass(frozen=True)
class RunOutcome:
    """What happened. state: posted | already | busy | failed | skipped | refused."""

    state: str
    message: str
    team_key: str | None = None
    ritual: str | None = None
    period: str | None = None
    run_id: int | None = None
    posted_at: datetime | None = None
    platform: str | None = None
    channel_id: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("posted", "already")


class _Refused(Exception):
    pass


def find_team(session: Session, team_key_or_id: str | int, org_id: int | None) -> Team:
    text = str(team_key_or_id).strip()
    query = select(Team)
    if org_id is not None:
        query = query.where(Team.org_id == org_id)
    if (team_id := row_id(text)) and (team := session.scalar(query.where(Team.id == team_id))) is not None:
        return team
    teams = session.scalars(query.where(key_is(text))).all()
    if len(teams) == 1:
        return teams[0]
    if len(teams) > 1:
        raise _Refused(f"team {text!r} exists in several organizations; give --org")
    keys = ", ".join(session.scalars(query.with_only_columns(Team.key).order_by(Team.key).limit(30)))
    raise _Refused(f"there is no team {text!r}" + (f"; teams: {keys}" if keys else ""))


def _claim(session: Session, team_key_or_id, ritual: str, at: datetime, force: bool, org_id: int | None,
           claimer: str, now: datetime) -> tuple[runs.Claim | None, RunOutcome | None]:
    team = find_team(session, team_key_or_id, org_id)
    org = session.get(Organization, team.org_id)
    zone = team_timezone(session, team, org)
    setting = session.get(RitualSetting, (team.id, ritual))
    entry = catalog.CATALOG[ritual]
    if not entry.runs_for(team.level):
        raise _Refused(f"{ritual} is for company-level teams only; {team.key} is a {team.level}")
    if entry.per_cycle:  # the cycle whose day came last by `at`, else the next one
        weekday, time = (setting.weekday, setting.time) if setting else (entry.weekday, entry.time)
        cycles = cycles_of(session, org.id)
        occurrence_ = (latest(ritual, weekday, time, zone, at, cycles)
                       or upcoming(ritual, weekday, time, zone, at, cycles))
        if occurrence_ is None:
            raise _Refused(f"{org.name} has no cycle yet: add one with `okrbot cycle new NAME --start --end`")
        period, due = occurrence_.period, occurrence_.at
    else:
        period = local_week(at, zone)
        due = occurrence(ritual, setting.weekday, setting.time, period, zone).at if setting else at
    run = session.scalar(select(RitualRun).where(
        RitualRun.team_id == team.id, RitualRun.ritual == ritual, RitualRun.period == period).with_for_update())
    where = dict(team_key=team.key, ritual=ritual, period=period)
    if run is not None and run.state == "posted" and not force:
        place = f"{run.platform} channel {run.channel_id}" if run.channel_id else "direct messages"
        return None, RunOutcome("already", f"{ritual} of {team.key} for {period} was already posted at "
                                f"{run.posted_at:%Y-%m-%d %H:%M} UTC in {place}; use --force to post "
                                "it again", **where, run_id=run.id, posted_at=run.posted_at, platform=run.platform,
                                channel_id=run.channel_id)
    if run is not None and run.state == "claimed" and not force and not runs.is_stale(run, now):
        return None, RunOutcome("busy", f"{ritual} of {team.key} for {period} is being posted right now by "
                                f"{run.claimed_by}", **where, run_id=run.id)
    if run is None:
        ids = runs.insert_runs(session, [{
            "org_id": team.org_id, "team_id": team.id, "ritual": ritual, "period": period, "due_at": due,
            "state": "claimed", "claimed_at": now, "claimed_by": claimer, "attempts": 0, "lead_notified": False,
            "delivered": {}}])
        if not ids:
            return None, RunOutcome("busy", f"{ritual} of {team.key} for {period} was just claimed by a clock",
                                    **where)
        run = session.get(RitualRun, ids[0])
    else:
        if force:  # everything again; otherwise a failed or skipped run sends only what is missing
            run.delivered, run.lead_notified = {}, False
        run.state, run.claimed_by, run.claimed_at, run.reason = "claimed", claimer, now, None
        session.flush()
    return runs.Claim.of(run, claimer), None


async def run_ritual(app_ctx, team_key_or_id: str | int, ritual: str, at: datetime | None = None,
                     force: bool = False, org_id: int | None = None, deliverer: Deliverer | None = None,
                     claimer: str | None = None) -> RunOutcome:
    """Run `ritual` of a team for the period containing `at` (default now), now; never raises for bad input."""
    if ritual not in catalog.names():
        return RunOutcome("refused", f"{ritual!r} is not a ritual; choose one of {', '.join(catalog.names())}")
    now = app_ctx.clock.now()
    at = at or now
    if at.tzinfo is None:
        return RunOutcome("refused", "give --at with a time zone offset, like 2026-11-23T09:00+01:00")
    claimer = claimer or CLAIMER

    def claim():
        with transaction(app_ctx.sessions) as session:
            return _claim(session, team_key_or_id, ritual, at, force, org_id, claimer, now)

    try:
        claim_, outcome = await asyncio.to_thread(claim)
    except _Refused as refused:
        return RunOutcome("refused", str(refused))
    if outcome is not None:
        return outcome
    worker = Worker(app_ctx.sessions, app_ctx.messengers, app_ctx.clock.now,
                    deliverer or Deliverer(budgets=app_ctx.budgets), app_ctx.core.dashboard_url)
    verdict = await worker.execute(claim_, enforce_window=False)
    where = f" in {verdict.platform} channel {verdict.channel_id}" if verdict.channel_id else ""
    messages = {
        "posted": f"posted {ritual} of {claim_.period}{where}",
        "failed": f"{ritual} of {claim_.period} failed: {verdict.reason}",
        "skipped": f"{ritual} of {claim_.period} not posted: {verdict.reason}",
        "lost": f"{ritual} of {claim_.period} was taken over by another clock",
    }
    message = messages[verdict.state] + (f" ({verdict.reason})" if verdict.state == "posted" and verdict.reason else "")
    return RunOutcome(verdict.state, message, None, ritual, claim_.period, claim_.run_id,
                      app_ctx.clock.now() if verdict.state == "posted" else None, verdict.platform,
                      verdict.channel_id, verdict.reason)
