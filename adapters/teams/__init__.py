"""Microsoft Teams: the Bot Framework CloudAdapter at POST /api/messages and the Teams Messenger.

Every botbuilder import of okrbot lives in this folder: the Bot Framework SDK is archived, and
moving to the Microsoft 365 Agents SDK must stay a one-folder change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthConfiguration:
    """What ConfigurationBotFrameworkAuthentication reads, from okrbot's Settings."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


def setup(app: web.Application, ctx) -> None:
    """Register /api/messages and ctx.messengers["teams"] on the shared web application."""
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    from adapters.teams.bot import OkrTeamsBot
    from adapters.teams.delivery import Delivery
    from adapters.teams.endpoint import TEAMS, TeamsEndpoint, messages
    from adapters.teams.messenger import TeamsMessenger

    settings = ctx.settings
    app_id = settings.teams_app_id or ""
    if not app_id:
        log.warning(
            "\n%s\nTEAMS AUTHENTICATION IS OFF: MicrosoftAppId is not set, so /api/messages accepts activities\n"
            "from anyone. This is for local testing only; never expose this server.\n%s", "!" * 78, "!" * 78
        )
    configuration = AuthConfiguration(
        app_id, settings.teams_app_password or "", settings.teams_app_type, settings.teams_tenant_id
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))
    delivery = Delivery()
    bot = OkrTeamsBot(ctx.core, ctx.clock, delivery)
    app[TEAMS] = TeamsEndpoint(adapter, bot)
    app.router.add_post("/api/messages", messages)
    ctx.messengers["teams"] = TeamsMessenger(adapter, app_id, ctx.sessions, delivery)
