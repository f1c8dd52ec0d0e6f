"""Configuration from environment variables; README's configuration table lists every one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storage.db import DEFAULT_URL

if TYPE_CHECKING:
    from adapters.slack.config import SlackConfig
    from adapters.teams.config import TeamsConfig
    from adapters.web.config import WebConfig


def _flag(name: str) -> bool | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


class ConfigurationError(ValueError):
    """A setting okrbot cannot start with; the message says which and how to fix it (one line, no trace)."""


# MicrosoftAppType -> what else it needs. Microsoft stopped creating multi-tenant bots on 2025-07-31;
# existing ones keep working, so MultiTenant is still accepted.
TEAMS_APP_TYPES = {
    "singletenant": ("SingleTenant", ("MicrosoftAppPassword", "MicrosoftAppTenantId")),
    "userassignedmsi": ("UserAssignedMSI", ("MicrosoftAppTenantId",)),
    "multitenant": ("MultiTenant", ("MicrosoftAppPassword",)),
}

WHAT = {"MicrosoftAppPassword": "the client secret of the bot's app registration",
        "MicrosoftAppTenantId": "the Directory (tenant) ID the bot's app registration is in"}


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
    teams_app_type: str = "SingleTenant"
    teams_tenant_id: str | None = None
    teams_openid_metadata_url: str | None = None
    teams_graph_url: str | None = None  # TEAMS_GRAPH_URL: Microsoft Graph's base URL (tests: a local fake)
    teams_open: bool = False  # OKRBOT_TEAMS=1: Teams on without an app id (authentication off: local tests only)
    log_format: str = "text"  # text | json
    metrics: bool = False  # serve /metrics (Prometheus)
    metrics_token: str | None = None  # bearer token /metrics asks for (needed on a public interface)
    metrics_port: int | None = None  # the clock's own /metrics port
    web_concurrency: int = 1  # `okrbot serve` processes sharing the port
    slack_posts_per_second: float = 10.0  # per workspace, shared by every clock process
    teams_posts_per_second: float = 50.0  # per tenant, likewise
    api_requests_per_minute: float = 600.0  # per API token, in each serve process; 0: no limit
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
            teams_app_type=env("MicrosoftAppType") or "SingleTenant",
            teams_tenant_id=env("MicrosoftAppTenantId") or None,
            teams_openid_metadata_url=env("ToBotFromChannelOpenIdMetadataUrl") or None,
            teams_graph_url=env("TEAMS_GRAPH_URL") or None,
            teams_open=env("OKRBOT_TEAMS") == "1",
            log_format=(env("LOG_FORMAT") or "text").strip().lower(),
            metrics=bool(_flag("METRICS")) or bool(env("METRICS_TOKEN")),
            metrics_token=env("METRICS_TOKEN") or None,
            metrics_port=int(env("METRICS_PORT")) if env("METRICS_PORT") else None,
            web_concurrency=max(1, int(env("WEB_CONCURRENCY") or 1)),
            slack_posts_per_second=float(env("SLACK_POSTS_PER_SECOND") or 10),
            teams_posts_per_second=float(env("TEAMS_POSTS_PER_SECOND") or 50),
            api_requests_per_minute=float(env("API_REQUESTS_PER_MINUTE") or 600),
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_client_id))

    @property
    def teams_enabled(self) -> bool:
        """Teams runs when an app id is set, or with OKRBOT_TEAMS=1 for local tests with auth off."""
        return bool(self.teams_app_id) or self.teams_open

    def teams_app_type_checked(self) -> str:
        """MicrosoftAppType spelled as the SDK knows it, once what it needs is set (ConfigurationError if not).

        The SDK takes any unknown type for MultiTenant and fails late with "Property 'APP_TENANTID' is
        expected in configuration object": okrbot says what is missing at start-up instead."""
        known = TEAMS_APP_TYPES.get(self.teams_app_type.strip().lower())
        if known is None:
            choices = ", ".join(name for name, _ in TEAMS_APP_TYPES.values())
            raise ConfigurationError(f"MicrosoftAppType={self.teams_app_type!r} is not one of {choices}")
        name, needed = known
        values = {"MicrosoftAppPassword": self.teams_app_password, "MicrosoftAppTenantId": self.teams_tenant_id}
        missing = [f"{setting} ({WHAT[setting]})" for setting in needed if not values[setting]]
        if missing:
            raise ConfigurationError(f"MicrosoftAppType={name} needs {' and '.join(missing)}; see README, Teams set-up")
        return name

    @property
    def sandbox_enabled(self) -> bool:
        if self.sandbox is not None:
            return self.sandbox
        return not (self.slack_enabled or self.teams_enabled)

    @property
    def send_rates(self) -> dict[str, float]:
        """Posts per second per workspace (tenant) for bot.rituals.budget; 0 turns a platform's budget off."""
        return {"slack": self.slack_posts_per_second, "teams": self.teams_posts_per_second}

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    # Each adapter's own configuration: adapters never read okrbot's Settings (wiring points one way).
    # Imported when asked for: a package's __init__ may load its adapter, which `okrbot --help` does not need.

    def slack_config(self) -> SlackConfig:
        from adapters.slack.config import ACK_BUDGET_SECONDS, SlackConfig

        return SlackConfig(
            signing_secret=self.slack_signing_secret or "", bot_token=self.slack_bot_token,
            client_id=self.slack_client_id, client_secret=self.slack_client_secret, app_token=self.slack_app_token,
            api_url=self.slack_api_url, public_url=self.public_url,
            ack_budget_seconds=float(self.extra.get("slack_ack_budget", ACK_BUDGET_SECONDS)))

    def teams_config(self) -> TeamsConfig:
        """ConfigurationError (at start-up) when the app type lacks what it needs."""
        from adapters.teams.config import TeamsConfig

        if not self.teams_app_id:
            return TeamsConfig(openid_metadata_url=self.teams_openid_metadata_url, graph_url=self.teams_graph_url)
        return TeamsConfig(app_id=self.teams_app_id, app_password=self.teams_app_password,
                           app_type=self.teams_app_type_checked(), tenant_id=self.teams_tenant_id,
                           openid_metadata_url=self.teams_openid_metadata_url, graph_url=self.teams_graph_url)

    def web_config(self) -> WebConfig:
        from adapters.web.config import WebConfig

        return WebConfig(host=self.host, public_url=self.public_url, secret_key=self.secret_key,
                         sandbox=self.sandbox_enabled)
