"""The Messenger port for Slack: how the rituals and the core post, reply, update and send directly.

Each call is made once and every failure leaves as one of bot.model's kinds: PermanentFailure (bot
not in the channel, channel gone or archived, token revoked, scope missing) carries Slack's reason
so the rituals engine can tell the team lead once; RetryAfter (a 429, or a 5xx naming a Retry-After)
carries Slack's wait; TransientFailure (another 5xx, a network error). The rituals' Deliverer decides
whether to try again, so nothing is lost and nothing is retried twice over.

A ritual message that a killed clock was sending may or may not have reached Slack. `find_post`
(the optional capability bot.rituals.worker asks for) looks for it in the channel's history, or in
its thread, before the message is sent again: one of our own bot's messages since the send began
that carries the same fallback text or the same first block. Reading history needs channels:history
and groups:history (which the wins threads need anyway) and, for direct messages, im:history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine

from adapters.slack import blocks
from adapters.slack.client import web_client
from adapters.slack.config import SlackConfig
from adapters.slack.identity import BotIdentity, Identities
from adapters.slack.platform import PLATFORM
from adapters.slack.stores import token_source
from bot.model import Card, Conversation, DeliveryError, MessageRef, PermanentFailure, RetryAfter, TransientFailure

TokenSource = Callable[[str], Awaitable[str | None]]

# Slack errors that no retry can fix; anything unlisted that Slack answers with HTTP 200 is a
# request Slack refused as such, so it is permanent too, except the few below that say "later".
PERMANENT = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "invalid_auth", "token_revoked",
    "account_inactive", "missing_scope", "not_authed", "team_access_not_granted", "user_not_found",
    "cannot_dm_bot", "restricted_action", "message_not_found", "cant_update_message", "not_installed",
})
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# How far back a lookup reads: a message in doubt was sent minutes ago, so a few pages of a busy channel
# are plenty. Slack caps history pages of apps outside its Marketplace that are not the workspace's own
# (since 2025); a page cut short only means more pages, and a message not found is sent again.
HISTORY_PAGE = 100
HISTORY_PAGES = 3


def delivery_error(exc: Exception) -> DeliveryError:
    """Slack's answer in the port's terms."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        data = response.data if isinstance(response.data, dict) else {}  # a 5xx may not be JSON
        reason = data.get("error") or f"http_{status}"
        retry_after = _retry_after(response.headers)
        if status == 429:
            return RetryAfter("ratelimited", retry_after)
        if status >= 500 or reason in TRANSIENT:
            return TransientFailure(reason) if retry_after is None else RetryAfter(reason, retry_after)
        return PermanentFailure(reason)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return TransientFailure(f"connection_failed: {type(exc).__name__}")
    raise exc


def _retry_after(headers: Any) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list | tuple) else value
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


class SlackMessenger:
    platform = PLATFORM.name

    def __init__(self, api_url: str | None, tokens: TokenSource, identities: Identities | None = None) -> None:
        """`api_url`: the Web API's base URL (Slack's when None); `tokens`: each workspace's bot token;
        `identities`: who the bot is per token (kept in memory only when not given)."""
        self.api_url = api_url
        self.tokens = tokens
        self.identities = identities or Identities()
        self._clients: dict[str, AsyncWebClient] = {}

    async def _client(self, workspace: str) -> AsyncWebClient:
        token = await self.tokens(workspace)
        if not token:
            raise PermanentFailure("not_installed")
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = web_client(self.api_url, token)
        return client

    async def _call(self, workspace: str, method: str, **arguments: Any) -> dict[str, Any]:
        client = await self._client(workspace)
        try:
            response = await client.api_call(method, json=arguments)
        except Exception as exc:  # noqa: BLE001 - translated, or re-raised when it is not Slack's doing
            raise delivery_error(exc) from exc
        return response.data  # type: ignore[return-value]

    async def _read(self, workspace: str, method: str, **arguments: Any) -> list[dict[str, Any]]:
        """The messages of a read method, following its cursor for at most HISTORY_PAGES pages. Read
        methods take form or query arguments, not JSON (Slack ignores a JSON body there)."""
        client = await self._client(workspace)
        params = {"limit": HISTORY_PAGE, **arguments}
        messages: list[dict[str, Any]] = []
        try:
            pages = 0
            async for page in await client.api_call(method, http_verb="GET", params=params):
                messages.extend(page.get("messages") or [])
                pages += 1
                if pages >= HISTORY_PAGES:
                    break
        except Exception as exc:  # noqa: BLE001 - translated, or re-raised when it is not Slack's doing
            raise delivery_error(exc) from exc
        return messages

    async def _identity(self, workspace: str) -> BotIdentity:
        token = await self.tokens(workspace) or ""
        return await self.identities.known(token) or await self.identities.remember(
            token, await self._call(workspace, "auth.test"))

    async def post(self, to: Conversation, card: Card) -> MessageRef:
        data = await self._call(to.workspace, "chat.postMessage", channel=to.channel_id, **blocks.message(card))
        return MessageRef(data["channel"], data["ts"])

    async def reply(self, to: Conversation, thread: MessageRef, card: Card) -> MessageRef:
        data = await self._call(
            to.workspace, "chat.postMessage", channel=thread.channel_id or to.channel_id,
            thread_ts=thread.message_id, **blocks.message(card),
        )
        return MessageRef(data["channel"], data["ts"], thread.message_id)

    async def update(self, to: Conversation, message: MessageRef, card: Card) -> None:
        await self._call(
            to.workspace, "chat.update", channel=message.channel_id or to.channel_id, ts=message.message_id,
            **blocks.message(card),
        )

    async def send_direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef:
        opened = await self._call(workspace, "conversations.open", users=platform_user_id)
        channel = opened["channel"]["id"]
        data = await self._call(workspace, "chat.postMessage", channel=channel, **blocks.message(card))
        return MessageRef(data["channel"], data["ts"])

    async def find_post(self, to: Conversation, since: datetime, card: Card,
                        thread: MessageRef | None = None) -> MessageRef | None:
        """Our message showing `card`, posted in `to` (or replied in `thread`) at `since` or later, if any."""
        if thread is None:
            found = await self._find(to.workspace, "conversations.history", since, card, channel=to.channel_id)
            return MessageRef(to.channel_id, found) if found else None
        channel = thread.channel_id or to.channel_id
        found = await self._find(to.workspace, "conversations.replies", since, card, channel=channel,
                                 ts=thread.message_id)
        return MessageRef(channel, found, thread.message_id) if found else None

    async def find_direct(self, platform_user_id: str, workspace: str, since: datetime,
                          card: Card) -> MessageRef | None:
        """The same for a direct message: looked for in the DM conversations.open gives (as send_direct posts)."""
        opened = await self._call(workspace, "conversations.open", users=platform_user_id)
        channel = opened["channel"]["id"]
        found = await self._find(workspace, "conversations.history", since, card, channel=channel)
        return MessageRef(channel, found) if found else None

    async def _find(self, workspace: str, method: str, since: datetime, card: Card, **where: str) -> str | None:
        """The ts of the newest of our messages matching `card` since `since`; a thread's parent is not a reply."""
        identity = await self._identity(workspace)
        wanted = blocks.message(card)
        messages = await self._read(workspace, method, oldest=f"{since.timestamp():.6f}", inclusive=True, **where)
        matches = [m["ts"] for m in messages
                   if m.get("ts") != where.get("ts") and identity.wrote(m) and _same_card(m, wanted)]
        return max(matches, key=float, default=None)


def _same_card(message: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """The fallback text is what we sent verbatim; the first block is compared too, in case Slack ever
    rewrites the text (the card itself may have been rendered again since, with newer numbers further on)."""
    if wanted["text"] and message.get("text") == wanted["text"]:
        return True
    ours = _block_text(wanted["blocks"][0]) if wanted["blocks"] else None
    theirs = _block_text(message["blocks"][0]) if message.get("blocks") else None
    return ours is not None and ours == theirs


def _block_text(block: dict[str, Any]) -> str | None:
    text = block.get("text")
    return text.get("text") if isinstance(text, dict) else None


def build_messenger(config: SlackConfig, engine: Engine) -> SlackMessenger:
    """The Slack Messenger alone: no bolt app, no route (all the clock needs)."""
    return SlackMessenger(config.api_url, token_source(config, engine), Identities(engine))


def transient(exc: Exception) -> bool:
    """A Slack call that failed for the moment (a 5xx, a 429, a network error): worth asking again later."""
    try:
        return not isinstance(delivery_error(exc), PermanentFailure)
    except Exception:  # noqa: BLE001 - delivery_error re-raises what is not Slack's doing
        return False
