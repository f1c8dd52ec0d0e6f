"""Which adapters run, built from the settings: their messengers first, their routes only for a web server.

`build_platforms` is all `okrbot clock` needs (the messengers the rituals post through, and the finishers
of work a stopped server acknowledged); `okrbot serve` then mounts each running adapter's routes with
`mount_platforms`. Adapters get their own small configuration, never okrbot's Settings, and each is
imported only when it runs (slack-bolt and botbuilder load nothing for a sandbox-only server).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from okrbot.app import AppContext


@dataclass
class Platforms:
    """What `build_platforms` built that the routes need too."""

    slack_bridge: Any = None  # adapters.slack.listeners.Bridge: Slack's requests to the core


def build_platforms(ctx: AppContext) -> Platforms:
    """Every running platform's Messenger in `ctx.messengers` (and finisher in `ctx.finishers`); no route."""
    settings, built = ctx.settings, Platforms()
    if settings.slack_enabled:
        from adapters.slack.listeners import build_bridge
        from adapters.slack.messenger import build_messenger
        from adapters.slack.platform import PLATFORM

        config = settings.slack_config()
        ctx.messengers[PLATFORM.name] = build_messenger(config, ctx.engine)
        built.slack_bridge = build_bridge(config, ctx.core, ctx.engine)
        # Slash commands acknowledged by a process that stopped before doing them (okrbot.pending).
        ctx.finishers[PLATFORM.name] = built.slack_bridge.resume
    if settings.teams_enabled:
        from adapters.teams.messenger import build_messenger
        from adapters.teams.platform import PLATFORM

        ctx.messengers[PLATFORM.name] = build_messenger(settings.teams_config(), ctx.sessions)
    if settings.sandbox_enabled:
        from adapters.sandbox.messenger import build_messenger
        from adapters.sandbox.platform import PLATFORM

        ctx.messengers[PLATFORM.name] = build_messenger(ctx.sessions, ctx.clock)
    return built


def mount_platforms(app: web.Application, ctx: AppContext, built: Platforms) -> None:
    """The routes of every running platform, and the dashboard's, on the web server's application."""
    settings = ctx.settings
    if settings.slack_enabled:
        from adapters.slack import routes as slack

        slack.mount(app, settings.slack_config(), ctx.engine, built.slack_bridge)
    if settings.teams_enabled:
        from adapters.teams import endpoint as teams
        from adapters.teams.platform import PLATFORM

        teams.mount(app, settings.teams_config(), ctx.core, ctx.clock, ctx.messengers[PLATFORM.name])
    web_config = settings.web_config()
    if settings.sandbox_enabled:
        from adapters.sandbox import routes as sandbox

        sandbox.mount(app, ctx, web_config)
    from adapters.web import routes as dashboard

    dashboard.mount(app, ctx, web_config)
