"""Configuration from environment variables; README's configuration table lists every one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from storage.db import DEFAULT_URL


def _flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = 3000
    public_url: str | None = None
    secret_key: str | None = None
    log_level: str = "INFO"
    sandbox: bool | None = None  # None: on when no platform is configured
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str | None = None
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_app_type: str = "MultiTenant"
    teams_tenant_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            database_url=env("DATABASE_URL") or DEFAULT_URL,
            host=env("HOST") or "127.0.0.1",
            port=int(env("PORT") or 3000),
            public_url=(env("PUBLIC_URL") or "").rstrip("/") or None,
            secret_key=env("SECRET_KEY") or None,
            log_level=env("LOG_LEVEL") or "INFO",
            sandbox=_flag("OKRBOT_SANDBOX"),
            slack_bot_token=env("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env("SLACK_SIGNING_SECRET") or None,
            slack_client_id=env("SLACK_CLIENT_ID") or None,
            slack_client_secret=env("SLACK_CLIENT_SECRET") or None,
            slack_app_token=env("SLACK_APP_TOKEN") or None,
            slack_api_url=env("SLACK_API_URL") or None,
            teams_app_id=env("MicrosoftAppId") or None,
            teams_app_password=env("MicrosoftAppPassword") or None,
            teams_app_type=env("MicrosoftAppType") or "MultiTenant",
            teams_tenant_id=env("MicrosoftAppTenantId") or None,
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_client_id))

    @property
    def teams_enabled(self) -> bool:
        """Teams runs when an app id is set, or with OKRBOT_TEAMS=1 for local tests with auth off."""
        return bool(self.teams_app_id) or os.environ.get("OKRBOT_TEAMS") == "1"

    @property
    def sandbox_enabled(self) -> bool:
        if self.sandbox is not None:
            return self.sandbox
        return not (self.slack_enabled or self.teams_enabled)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
