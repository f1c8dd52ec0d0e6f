"""Where a team's rituals go: which messenger, which channel, which account of a person.

The rule, in order:
1. the team's bound channels (`/okr bind`, or `channels:` in the import file) on a platform whose
   messenger is running this process, the platform of best rank first (bot.platforms: Slack, Teams);
2. otherwise the channel a running platform gives every team by its key (the sandbox's), so an
   organization imported without Slack or Teams still sees its rituals in the sandbox;
3. otherwise nowhere: the run is recorded as skipped with the reason.
A person is reached on the platform of the team's channel when they have an account there, else on
any running platform they have an account on, else on one that reaches people by their e-mail (the sandbox).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import platforms as registry
from bot.model import Conversation
from bot.workspaces import workspace_of
from storage.models import ChannelBinding, Organization, Person, PlatformAccount, Team


def channel_of(session: Session, org: Organization, team: Team, platforms: Collection[str]) -> Conversation | None:
    bindings = session.scalars(
        select(ChannelBinding).where(ChannelBinding.team_id == team.id, ChannelBinding.platform.in_(platforms))
    ).all()
    if bindings:
        best = min(bindings, key=lambda b: (registry.sort_key(b.platform), b.id))
        return Conversation(best.platform, workspace_of(session, org, best.platform), best.channel_id)
    for spec in registry.ranked(platforms):
        if spec.team_channels_by_key:
            return Conversation(spec.name, workspace_of(session, org, spec.name), team.key)
    return None


def person_of(session: Session, org: Organization, person: Person, platforms: Collection[str],
              prefer: str | None) -> tuple[str, str, str] | None:
    """(platform, platform user id, workspace) to send a direct message to, or None."""
    accounts = session.scalars(
        select(PlatformAccount).where(PlatformAccount.person_id == person.id, PlatformAccount.platform.in_(platforms))
    ).all()
    if accounts:
        best = min(accounts, key=lambda a: (a.platform != prefer, registry.sort_key(a.platform), a.id))
        return best.platform, best.account_id, workspace_of(session, org, best.platform)
    for spec in registry.ranked(platforms):
        if spec.people_by_email:
            return spec.name, person.email, workspace_of(session, org, spec.name)
    return None
