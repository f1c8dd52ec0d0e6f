"""What the Slack adapter is configured with; okrbot fills it from the environment (README, Configuration)."""

from __future__ import annotations

from dataclasses import dataclass

ACK_BUDGET_SECONDS = 2.0  # Slack waits 3 s for an acknowledgement; the core gets this much of it


@dataclass(frozen=True)
class SlackConfig:
    """One workspace: `bot_token`. Many workspaces through OAuth: `client_id` and `client_secret` (the
    installations live in the database). `app_token`: Socket Mode besides either."""

    signing_secret: str = ""
    bot_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    app_token: str | None = None
    api_url: str | None = None  # the Web API's base URL (tests, proxies, GovSlack); Slack's when None
    public_url: str | None = None  # where Slack sends an OAuth install back to
    ack_budget_seconds: float = ACK_BUDGET_SECONDS

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)
