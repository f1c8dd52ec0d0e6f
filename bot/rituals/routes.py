"""Where a team's rituals go: which messenger, which channel, which account of a person.

The rule, in order:
1. the team's bound channels (`/okr bind`, or `channels:` in the import file) on a platform whose
   messenger is running this process, Slack before Teams;
2. otherwise, when the sandbox runs, the team's sandbox channel (channel id = the team's key), so an
   organization imported without Slack or Teams still sees its rituals in the sandbox;
3. otherwise nowhere: the run is recorded as skipped with the reason.
A person is reached on the platform of the team's channel when they have an account there, else on
any running platform they have an account on, else in the sandbox (where people are their e-mail).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.model import Conversation
from storage.models import ChannelBinding, Organization, Person, PlatformAccount, Team

ORDER = {"slack": 0, "teams": 1, "sandbox": 2}


def workspace_of(org: Organization, platform: str) -> str:
    if platform == "slack":
        return org.slack_team_id or ""
    if platform == "teams":
        return org.teams_tenant_id or ""
    return str(org.id)


def channel_of(session: Session, org: Organization, team: Team, platforms: Collection[str]) -> Conversation | None:
    bindings = session.scalars(
        select(ChannelBinding).where(ChannelBinding.team_id == team.id, ChannelBinding.platform.in_(platforms))
    ).all()
    if bindings:
        best = min(bindings, key=lambda b: (ORDER.get(b.platform, 9), b.id))
        return Conversation(best.platform, workspace_of(org, best.platform), best.channel_id)  # type: ignore[arg-type]
    if "sandbox" in platforms:
        return Conversation("sandbox", str(org.id), team.key)
    return None


def person_of(session: Session, org: Organization, person: Person, platforms: Collection[str],
              prefer: str | None) -> tuple[str, str, str] | None:
    """(platform, platform user id, workspace) to send a direct message to, or None."""
    accounts = session.scalars(
        select(PlatformAccount).where(PlatformAccount.person_id == person.id, PlatformAccount.platform.in_(platforms))
    ).all()
    if accounts:
        best = min(accounts, key=lambda a: (a.platform != prefer, ORDER.get(a.platform, 9), a.id))
        return best.platform, best.account_id, workspace_of(org, best.platform)
    if "sandbox" in platforms:
        return "sandbox", person.email, str(org.id)
    return None
