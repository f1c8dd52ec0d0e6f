"""Slack's routes: a slack-bolt AsyncApp mounted on okrbot's aiohttp server at /slack/events.

Modes, from the adapter's SlackConfig:
- one workspace: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET;
- many workspaces: SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_SIGNING_SECRET; installations and
  OAuth states live in okrbot's database (slack_sdk's SQLAlchemy stores), /slack/install starts an
  install, and each workspace is an organization of its own (bot.context.resolve_organization);
- Socket Mode besides either, when SLACK_APP_TOKEN is set, for hosts with no public URL.
Every request arrives at POST /slack/events; bolt checks its signature before anything else.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from adapters.slack.client import web_client
from adapters.slack.config import SlackConfig
from adapters.slack.directory import build_directory
from adapters.slack.identity import Authorize, Identities, learn_identity
from adapters.slack.listeners import Bridge
from adapters.slack.manifest import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH
from adapters.slack.messenger import transient
from adapters.slack.platform import PLATFORM
from adapters.slack.stores import InstallationStore, OAuthStateStore

log = logging.getLogger(__name__)
INSTALL_PATH = "/slack/install"
BOLT = web.AppKey("slack_bolt", AsyncApp)
BRIDGE = web.AppKey("slack_bridge", Bridge)


def build_bolt(config: SlackConfig, engine: Engine, bridge: Bridge | None = None) -> AsyncApp:
    """The bolt app for the configured mode (with the OAuth flow when installing through OAuth). Requests are
    authorized from what okrbot knows, never by a call to Slack per request (adapters/slack/identity.py). A
    completed install sends its installer the set-up welcome (`bridge.welcome`) before Slack's success page."""
    identities = Identities(engine)
    if config.oauth:
        installations = InstallationStore(config.client_id or "", engine)

        async def installed(args: AsyncSuccessArgs) -> BoltResponse:
            done = args.installation
            if bridge is not None and done.user_id and done.team_id:
                try:
                    await bridge.welcome(web_client(config.api_url, done.bot_token), done.team_id, done.user_id)
                except Exception:  # the install itself succeeded; the welcome shows on their App Home later
                    log.exception("could not welcome the installer of %s", done.team_id)
            return await args.default.success(args)
        oauth = AsyncOAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=config.public_url + REDIRECT_PATH if config.public_url else None,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=installations,
            state_store=OAuthStateStore(engine),
            callback_options=AsyncCallbackOptions(success=installed, failure=_failed),
        )
        bolt = AsyncApp(
            name="okrbot", client=web_client(config.api_url), signing_secret=config.signing_secret,
            oauth_settings=oauth, installation_store=installations, process_before_response=True,
            authorize=Authorize(installations=installations, identities=identities),
        )
        bolt.enable_token_revocation_listeners()  # an uninstall deletes the workspace's tokens
        return bolt
    token = config.bot_token or ""
    bolt = AsyncApp(
        name="okrbot", client=web_client(config.api_url, token), signing_secret=config.signing_secret,
        process_before_response=True, before_authorize=learn_identity(token, identities, transient),
        authorize=Authorize(token=token, identities=identities),
    )
    for event in ("app_uninstalled", "tokens_revoked"):  # the token is in the environment: nothing to delete
        bolt.event(event)(_ignore)
    return bolt


async def _failed(args: AsyncFailureArgs) -> BoltResponse:
    return await args.default.failure(args)


async def _ignore() -> None:
    """Acknowledged, nothing to do."""


def signed(verifier: SignatureVerifier, body: bytes, headers) -> bool:
    """Slack's signature and 5-minute window; a timestamp that is not a number is no signature at all."""
    try:
        return verifier.is_valid_request(body, headers)
    except ValueError:
        return False


def ssl_check(body: bytes) -> bool:
    """Slack's certificate probe for slash commands comes unsigned; bolt answers it 200 before verifying."""
    return parse_qs(body.decode("utf-8", "replace")).get("ssl_check") == ["1"]


def mount(app: web.Application, config: SlackConfig, engine: Engine, bridge: Bridge) -> None:
    """Mount /slack/events (and the OAuth pages) with `bridge` behind them; start Socket Mode if asked."""
    bolt = build_bolt(config, engine, bridge)
    bridge.register(bolt)
    bridge.core.directories[PLATFORM.name] = build_directory(config, engine)
    app[BOLT] = bolt
    app[BRIDGE] = bridge

    verifier = SignatureVerifier(config.signing_secret)

    async def events(request: web.Request) -> web.Response:
        """The signature first: bolt parses the body before it checks it, and a garbage body or timestamp
        would be a 500 there; a forged request is a 401 and a signed but unreadable one a 400."""
        body = await request.read()
        if not signed(verifier, body, request.headers) and not ssl_check(body):
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
            response = await bolt.async_dispatch(bolt_request)
        except Exception as exc:  # noqa: BLE001 - bad JSON, not UTF-8, a payload bolt itself cannot read
            log.warning("an unreadable Slack request: %s: %s", type(exc).__name__, exc, exc_info=exc)
            return web.json_response({"error": "the body is not a Slack request"}, status=400)
        return await to_aiohttp_response(response)

    app.router.add_post(EVENTS_PATH, events)
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(INSTALL_PATH, install)
        app.router.add_get(REDIRECT_PATH, redirect)

    async def finish_replies(_app: web.Application) -> None:
        await bridge.drain()

    async def close(_app: web.Application) -> None:
        bridge.close()

    app.on_shutdown.append(finish_replies)
    app.on_cleanup.append(close)
    if config.app_token:
        _socket_mode(app, bolt, config.app_token)


def _socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    """Slack opens a WebSocket to us instead of calling /slack/events: no public URL needed."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)

    async def connect(_app: web.Application) -> None:
        await handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def disconnect(_app: web.Application) -> None:
        await handler.close_async()

    app.on_startup.append(connect)
    app.on_cleanup.append(disconnect)
