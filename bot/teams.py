"""Rules about teams that many places need, each defined once.

- `team_by_key`: a team as people type its key (the grammar, the CLI, the dashboard's links, the API,
  the sandbox's channel names): case and surrounding blanks do not matter. `key_is` is the same
  condition for a caller that builds its own query (the CLI's look-up across organizations).
- `team_keys`: the keys to list when a key was not found.
- `own_teams` / `primary_team`: a person's teams, their primary team first (the order is documented there).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bot.levels import Level
from storage.models import Team, TeamMember


def key_is(key: str) -> ColumnElement[bool]:
    """Team.key equals `key` as typed: ignoring case and the blanks around it."""
    return func.lower(Team.key) == key.strip().lower()


def team_by_key(session: Session, org_id: int, key: str) -> Team | None:
    """The organization's team with this key, if any."""
    return session.scalar(select(Team).where(Team.org_id == org_id, key_is(key)))


def team_keys(session: Session, org_id: int, limit: int = 30) -> list[str]:
    """The organization's team keys, sorted, at most `limit`: the hint after a key that matched none."""
    return list(session.scalars(select(Team.key).where(Team.org_id == org_id).order_by(Team.key).limit(limit)))


def own_teams(session: Session, org_id: int, person_id: int) -> list[Team]:
    """The teams a person belongs to, their primary team first.

    The order (one rule for `/okr priorities` and every command that falls back to "your team", the
    Monday direct message of individual objectives, the App Home and the sandbox's first channel):
    the lowest level first (a team before its department, before the company); within a level, the
    teams they lead before those they are a member of (a lead's own commands are mostly about the team
    they run); then the oldest team.
    """
    rows = session.execute(
        select(Team, TeamMember.role).join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.org_id == org_id, TeamMember.person_id == person_id)
    ).all()
    rows = sorted(rows, key=lambda row: (Level.from_bottom(row[0].level), row[1] != "lead", row[0].id))
    return [team for team, _role in rows]


def primary_team(session: Session, org_id: int, person_id: int) -> Team | None:
    """The person's own team (the first of `own_teams`), if they belong to any."""
    teams = own_teams(session, org_id, person_id)
    return teams[0] if teams else None
