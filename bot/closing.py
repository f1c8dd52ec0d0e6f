"""Closing a cycle: the end of its closing phase, and the quarter summary it sets off.

`okrbot cycle close NAME` ends a cycle once its last day has passed and its key results were scored (bot.cycles
keeps the rule). The quarter summary (the catalog's event ritual "summary", bot.rituals.quarterly) then goes to
the company channel and to every lead directly: its run is inserted here, unclaimed, one per company-level team
and cycle, so the clock posts it exactly once (a second close is refused; a crash before the post resumes it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cycles import close_cycle, period_of
from bot.rituals import catalog, runs
from storage.models import Cycle, Organization, Team

SUMMARY = "summary"


def close(session: Session, org: Organization, name: str, now: datetime) -> Cycle:
    """Close the cycle and queue its summary."""
    cycle = close_cycle(session, org, name, now)
    announce_summary(session, org, cycle, now)
    return cycle


def announce_summary(session: Session, org: Organization, cycle: Cycle, now: datetime) -> None:
    """Queue the summary run of each team the catalog says it is for (the company)."""
    ritual = catalog.CATALOG[SUMMARY]
    teams = [team.id for team in session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.id))
             if ritual.runs_for(team.level)]
    runs.event_runs(session, org.id, teams, SUMMARY, period_of(cycle), now)
