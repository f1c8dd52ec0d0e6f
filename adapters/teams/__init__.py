"""Microsoft Teams: the Bot Framework CloudAdapter at POST /api/messages and the Teams Messenger.

Every botbuilder import of okrbot lives in this folder: the Bot Framework SDK is archived, and
moving to the Microsoft 365 Agents SDK must stay a one-folder change.
"""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


def setup(app: web.Application, ctx) -> None:
    """Register /api/messages and ctx.messengers["teams"] on the shared web application."""
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
        ConfigurationServiceClientCredentialFactory,
    )

    from adapters.teams.auth import auth_configuration
    from adapters.teams.bot import OkrTeamsBot
    from adapters.teams.credentials import KeptCredentials
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
    configuration = auth_configuration(settings)
    credentials = KeptCredentials(ConfigurationServiceClientCredentialFactory(configuration))
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration, credentials_factory=credentials))
    delivery = Delivery()
    bot = OkrTeamsBot(ctx.core, ctx.clock, delivery)
    app[TEAMS] = TeamsEndpoint(adapter, bot)
    app.router.add_post("/api/messages", messages)
    ctx.messengers["teams"] = TeamsMessenger(adapter, app_id, ctx.sessions, delivery)
