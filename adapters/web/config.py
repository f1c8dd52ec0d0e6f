"""What the web pages (dashboard, sandbox) are configured with; okrbot fills it from the environment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    public_url: str | None = None
    secret_key: str | None = None  # signs sign-in links and sessions; a random one per process without it
    sandbox: bool = False  # the sandbox's pages are served (okrbot.settings: on when no platform is)
