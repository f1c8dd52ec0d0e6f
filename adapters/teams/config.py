"""What the Teams adapter is configured with; okrbot fills it from the environment (README, Teams set-up)
and has checked that the app type has what it needs (okrbot.settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TeamsConfig:
    """`app_id` empty: authentication off (local tests only; the adapter says so loudly)."""

    app_id: str = ""
    app_password: str | None = None
    app_type: str = "SingleTenant"  # as the SDK spells it: SingleTenant, UserAssignedMSI, MultiTenant
    tenant_id: str | None = None
    openid_metadata_url: str | None = None  # where the Bot Framework's signing keys are published
    graph_url: str | None = None  # Microsoft Graph (its public URL when None): where posts in doubt are looked for
