"""ConversationReferences in SQL (table conversation_refs), never in process memory.

A proactive message in Teams needs the reference of a conversation the bot has seen: its service
URL, tenant and conversation id. We store one per channel (key: the channel id, or the group chat's
conversation id) and one per person (key: the AAD object id) each time the bot sees them, so the
rituals and direct messages reach them after any restart and from any process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams.platform import PLATFORM as TEAMS
from bot.context import resolve_organization
from storage.db import transaction
from storage.models import ConversationRef, Workspace

Kind = Literal["channel", "person"]
# Kept beside a channel's reference: its team's Azure AD group id, how Microsoft Graph addresses the team
# (adapters.teams.history); the SDK's ConversationReference has no place for it and ignores it.
GROUP = "aadGroupId"
PLATFORM = TEAMS.name


def save(
    sessions: sessionmaker[Session], tenant: str, kind: Kind, key: str, reference: dict[str, Any], now: datetime
) -> None:
    """Insert or refresh one reference; two processes racing on the same key both end up stored once."""
    for attempt in (1, 2):
        try:
            with transaction(sessions) as session:
                org = resolve_organization(session, PLATFORM, tenant, now)
                row = session.scalar(select(ConversationRef).where(
                    ConversationRef.org_id == org.id, ConversationRef.platform == PLATFORM,
                    ConversationRef.kind == kind, ConversationRef.key == key))
                if row is None:
                    session.add(ConversationRef(org_id=org.id, platform=PLATFORM, kind=kind, key=key,
                                                reference=reference, updated_at=now))
                elif row.reference != reference:
                    row.reference, row.updated_at = reference, now
            return
        except IntegrityError:
            if attempt == 2:
                raise


def load(sessions: sessionmaker[Session], workspace: str, kind: Kind, key: str) -> dict[str, Any] | None:
    """The stored reference; `workspace` is the Teams tenant id."""
    with sessions() as session:
        return session.scalar(
            select(ConversationRef.reference)
            .join(Workspace, Workspace.org_id == ConversationRef.org_id)
            .where(Workspace.platform == PLATFORM, Workspace.workspace_id == workspace,
                   ConversationRef.platform == PLATFORM, ConversationRef.kind == kind, ConversationRef.key == key)
            .limit(1)
        )
