"""POST /api/messages: authenticate first, then run the bot.

CloudAdapter.process raises (an HTTP 500) on a malformed bearer token and on a missing
Content-Type, so this handler does the steps itself: parse the activity (400 when it is not one),
authenticate it with the SDK's BotFrameworkAuthentication (any failure at all is 401, and nothing
runs or is stored; 503 at once while the signing keys cannot be fetched: signing_keys.py), then hand
the authenticated request to `process_activity`; an invoke's response (a dialog) goes back in the
HTTP body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from adapters.teams.bot import OkrTeamsBot
from adapters.teams.config import TeamsConfig
from adapters.teams.directory import TeamsDirectory
from adapters.teams.messenger import TeamsMessenger
from adapters.teams.platform import PLATFORM
from adapters.teams.signing_keys import KeysUnavailable
from bot.core import Core
from bot.timesource import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TeamsEndpoint:
    adapter: CloudAdapter
    bot: OkrTeamsBot


TEAMS = web.AppKey("teams", TeamsEndpoint)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def messages(request: web.Request) -> web.Response:
    endpoint = request.app[TEAMS]
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "expected an Activity as application/json")
    try:
        body = await request.json()
        activity = Activity().deserialize(body) if isinstance(body, dict) else None
    except Exception:  # noqa: BLE001 - any unreadable body is the sender's mistake
        activity = None
    if activity is None or not activity.type:
        return _problem(400, "the body is not a Bot Framework Activity")
    header = request.headers.get("Authorization") or None  # None: "no token", which only auth-off accepts
    try:
        authenticated = await endpoint.adapter.bot_framework_authentication.authenticate_request(activity, header)
    except KeysUnavailable as exc:  # the Bot Connector retries a 503; a forger learns nothing from it
        log.warning("refused a Teams activity: %s", exc)
        return web.json_response({"error": "cannot check tokens right now; try again"}, status=503,
                                 headers={"Retry-After": str(exc.retry_after)})
    except Exception as exc:  # noqa: BLE001 - missing, malformed, expired, forged: all the same to us
        log.info("rejected a Teams activity: %s: %s", type(exc).__name__, exc)
        return _problem(401, "unauthorized")
    try:
        invoke = await endpoint.adapter.process_activity(authenticated, activity, endpoint.bot.on_turn)
    except Exception:
        log.exception("could not process a Teams %s activity", activity.type)
        return _problem(503, "okrbot could not process this activity; try again")
    if invoke is None:
        return web.Response(status=201)
    if invoke.status >= 500:
        # botbuilder says 501 for an invoke okrbot has no handler for, and nothing at all (501 again) when the
        # handler failed (OkrTeamsBot.on_turn logged it): the sender asked for something we cannot do.
        log.info("a Teams %s invoke got no answer (%s)", activity.name, invoke.status)
        return _problem(400, f"okrbot cannot handle the invoke {activity.name!r} as sent")
    body = invoke.body
    try:
        if body is not None and not isinstance(body, dict | list | str | int | float | bool):
            body = serializer_helper(body)  # a model the handler returned as is; TeamsActivityHandler serialises
    except Exception:  # noqa: BLE001 - botbuilder's own error answers carry an Exception it cannot serialise
        log.info("a Teams %s invoke answer could not be serialised", activity.name, exc_info=True)
        return _problem(invoke.status if 400 <= invoke.status < 500 else 400, "the invoke is malformed")
    return web.json_response(body, status=invoke.status)


def mount(app: web.Application, config: TeamsConfig, core: Core, clock: Clock, messenger: TeamsMessenger) -> None:
    """Serve /api/messages on the shared web application, on the messenger's CloudAdapter and Delivery (one
    pace for replies and ritual posts)."""
    if not config.app_id:
        log.warning(
            "\n%s\nTEAMS AUTHENTICATION IS OFF: MicrosoftAppId is not set, so /api/messages accepts activities\n"
            "from anyone. This is for local testing only; never expose this server.\n%s", "!" * 78, "!" * 78
        )
    app[TEAMS] = TeamsEndpoint(messenger.adapter, OkrTeamsBot(core, clock, messenger.delivery, messenger.app_id))
    core.directories[PLATFORM.name] = TeamsDirectory()
    app.router.add_post("/api/messages", messages)
