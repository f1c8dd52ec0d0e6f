"""The Messenger port for Slack: how the rituals and the core post, reply, update and send directly.

Every failure leaves as a `DeliveryError`: a permanent one (bot not in the channel, channel gone or
archived, token revoked, scope missing) carries Slack's reason so the rituals engine can tell the
team lead once; a transient one (429 after the retry handler's waits, 5xx, network) carries the
Retry-After, so the run is tried again later and nothing is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.client import web_client
from bot.model import Card, Conversation, DeliveryError, MessageRef
from okrbot.settings import Settings

TokenSource = Callable[[str], Awaitable[str | None]]

# Slack errors that no retry can fix; anything unlisted that Slack answers with HTTP 200 is a
# request Slack refused as such, so it is permanent too, except the few below that say "later".
PERMANENT = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "invalid_auth", "token_revoked",
    "account_inactive", "missing_scope", "not_authed", "team_access_not_granted", "user_not_found",
    "cannot_dm_bot", "restricted_action", "message_not_found", "cant_update_message", "not_installed",
})
TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def delivery_error(exc: Exception) -> DeliveryError:
    """Slack's answer in the port's terms."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        data = response.data if isinstance(response.data, dict) else {}  # a 5xx may not be JSON
        reason = data.get("error") or f"http_{status}"
        if status == 429:
            return DeliveryError("ratelimited", permanent=False, retry_after=_retry_after(response.headers))
        if status >= 500 or reason in TRANSIENT:
            return DeliveryError(reason, permanent=False, retry_after=_retry_after(response.headers))
        return DeliveryError(reason, permanent=True)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return DeliveryError(f"connection_failed: {type(exc).__name__}", permanent=False)
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
    platform = "slack"

    def __init__(self, settings: Settings, tokens: TokenSource) -> None:
        self.settings = settings
        self.tokens = tokens
        self._clients: dict[str, AsyncWebClient] = {}

    async def _client(self, workspace: str) -> AsyncWebClient:
        token = await self.tokens(workspace)
        if not token:
            raise DeliveryError("not_installed", permanent=True)
        client = self._clients.get(token)
        if client is None:
            client = self._clients[token] = web_client(self.settings, token)
        return client

    async def _call(self, workspace: str, method: str, **arguments: Any) -> dict[str, Any]:
        client = await self._client(workspace)
        try:
            response = await client.api_call(method, json=arguments)
        except Exception as exc:  # noqa: BLE001 - translated, or re-raised when it is not Slack's doing
            raise delivery_error(exc) from exc
        return response.data  # type: ignore[return-value]

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
