"""Which organization a chat workspace is: the one module that reads and writes table `workspaces`.

A workspace (a Slack team, a Teams tenant, any registered platform's) belongs to one organization,
and an organization has at most one workspace per platform. A platform whose workspace is the
organization itself (the sandbox, bot.platforms) has no rows: its workspace id is the organization id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import platforms
from storage.models import Organization, Workspace


def organization_of(session: Session, platform: str, workspace: str) -> Organization | None:
    """The organization that is this workspace, if one has claimed it."""
    return session.scalar(select(Organization).join(Workspace, Workspace.org_id == Organization.id)
                          .where(Workspace.platform == platform, Workspace.workspace_id == workspace))


def workspace_of(session: Session, org: Organization, platform: str) -> str:
    """The organization's workspace id on a platform ("" when it has none there yet)."""
    if platforms.spec(platform).workspace_is_organization:
        return str(org.id)
    return session.scalar(select(Workspace.workspace_id).where(
        Workspace.org_id == org.id, Workspace.platform == platform)) or ""


def workspaces_of(session: Session, org_id: int) -> dict[str, str]:
    """Every workspace of an organization, platform -> workspace id, the platforms in rank order."""
    rows = {platform: workspace for platform, workspace in session.execute(
        select(Workspace.platform, Workspace.workspace_id).where(Workspace.org_id == org_id))}
    return {platform: rows[platform] for platform in sorted(rows, key=platforms.sort_key)}


def has_workspace(session: Session, org_id: int, platform: str) -> bool:
    return session.scalar(select(Workspace.id).where(Workspace.org_id == org_id, Workspace.platform == platform)
                          .limit(1)) is not None


def link(session: Session, org: Organization, platform: str, workspace: str) -> None:
    """Make `workspace` the organization's workspace on `platform` (replacing the one it had there)."""
    row = session.scalar(select(Workspace).where(Workspace.org_id == org.id, Workspace.platform == platform))
    if row is None:
        session.add(Workspace(org_id=org.id, platform=platform, workspace_id=workspace))
    else:
        row.workspace_id = workspace
    session.flush()
