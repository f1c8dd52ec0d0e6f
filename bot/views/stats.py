"""The ritual-health page's read model (/stats): a scope's weeks from bot.services.stats, and where to go next.

A scope is the teams named and everything under them, or the whole organization; the page links each team one
level down, so every team's own series is a click away (and all of them are in the CSV).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.stats import RitualHealth, ritual_health
from bot.services.status_report import subtree
from storage.models import Organization, Team

WEEKS = 13  # a quarter: the current cycle's, up to this week


@dataclass
class StatsPage:
    org: Organization
    teams: list[Team]  # the scope's roots; empty: the whole organization
    health: RitualHealth
    below: list[Team]  # the teams one level under the roots (the top of the tree for the organization)


def scope(session: Session, org: Organization, teams: list[Team]) -> list[int] | None:
    """The ids of `teams` and everything under them; None for the whole organization."""
    return [t.id for t, _depth in subtree(session, org, teams)] if teams else None


def stats_page(session: Session, org: Organization, teams: list[Team], now: datetime) -> StatsPage:
    health = ritual_health(session, org, now, team_ids=scope(session, org, teams), weeks=WEEKS)
    parents = [t.id for t in teams]
    below = select(Team).where(Team.org_id == org.id, Team.parent_id.in_(parents) if parents else
                               Team.parent_id.is_(None))
    return StatsPage(org, teams, health, list(session.scalars(below.order_by(Team.name, Team.id))))


def stats_rows(session: Session, org: Organization, teams: list[Team], now: datetime) -> tuple[RitualHealth,
                                                                                                dict[int, Team]]:
    """Each team's own weeks (the CSV): the scope's teams by id with their `per_team` health."""
    ids = scope(session, org, teams)
    health = ritual_health(session, org, now, team_ids=ids, weeks=WEEKS, per_team=True)
    query = select(Team).where(Team.org_id == org.id)
    found = session.scalars(query.where(Team.id.in_(ids)) if ids is not None else query)
    return health, {t.id: t for t in found}
