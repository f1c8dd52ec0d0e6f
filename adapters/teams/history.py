"""Whether a ritual post in doubt reached a Teams channel: asked of Microsoft Graph, never guessed.

A post is in doubt when the Bot Connector carried it out but its answer was lost (a timeout, a cut
connection, a 502 after the fact) or when the clock sending it died before recording it. The Bot
Connector cannot be asked: for Teams it has no read of a conversation's activities, and nothing in a
POST makes it idempotent (each POST is a new message with an id Teams chooses). Microsoft Graph can:
with the resource-specific permission ChannelMessage.Read.Group, which okrbot's manifest asks for and
a team owner grants when adding the app, the bot's own app token reads that team's channel messages:

- new threads: GET /teams/{group}/channels/{channel}/messages/delta?$filter=lastModifiedDateTime gt T
  (the one listing Graph filters by date; pages followed until its deltaLink);
- replies in a thread: GET /teams/{group}/channels/{channel}/messages/{root}/replies ($top 50, pages).

A message is ours when `from.application.id` is the bot's app id, it was created at `since` or later,
and it shows the same card: the same summary (the card's fallback text, which okrbot sets on every
card it posts) or the same first text. The team is addressed by its Azure AD group id, which Teams
puts in every channel activity (channelData.team.aadGroupId) and okrbot keeps with the channel's
reference (adapters.teams.references.GROUP).

`find` answers None only when Graph said the message is not there. Graph refusing (no consent: 403)
raises PermanentFailure, Graph failing (5xx, 429, no answer) GraphUnavailable: bot.rituals.worker asks
again a few times after the latter, then sends again (at least once, never lost).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.model import PermanentFailure

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com"
PAGES = 5  # a message in doubt was sent minutes ago: a few pages of a channel's changes are plenty
TIMEOUT = aiohttp.ClientTimeout(total=10)

Token = Callable[[], Awaitable[str | None]]


class GraphUnavailable(RuntimeError):
    """Graph could not tell this time (an outage, a 429): the caller may ask again, and conclude nothing."""


class ChannelHistory:
    """Reads a Teams channel's messages through Graph with the bot's own token (`token()`; None: no auth,
    local tests only)."""

    def __init__(self, graph_url: str | None, token: Token) -> None:
        self.graph_url = (graph_url or GRAPH_URL).rstrip("/")
        self.token = token

    async def find(self, group: str, channel: str, app_id: str, since: datetime, summary: str | None,
                   first_text: str | None, root: str | None = None) -> str | None:
        """The id of our newest message since `since` showing the card (a new thread, or a reply to `root`)."""
        base = f"{self.graph_url}/teams/{group}/channels/{channel}/messages"
        if root is None:
            url, params = f"{base}/delta", {"$filter": f"lastModifiedDateTime gt {_iso(since)}"}
        else:
            url, params = f"{base}/{root}/replies", {"$top": "50"}
        found: list[tuple[str, str]] = []
        headers = {}
        if (token := await self.token()) is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as http:
            for _ in range(PAGES):
                page = await _get(http, url, params)
                found += [(m.get("createdDateTime") or "", m["id"]) for m in page.get("value") or ()
                          if _ours(m, app_id, since) and _same_card(m, summary, first_text)]
                url, params = page.get("@odata.nextLink"), None
                if not url:
                    break
        return max(found)[1] if found else None


async def _get(http: aiohttp.ClientSession, url: str, params: dict[str, str] | None) -> dict[str, Any]:
    try:
        async with http.get(url, params=params) as response:
            if response.status in (401, 403, 404):  # no consent (RSC not granted), or no such team or channel
                raise PermanentFailure(f"Graph refused ({response.status}) to list {url.split('?')[0]}")
            if response.status != 200:
                raise GraphUnavailable(f"Graph answered {response.status} for {url.split('?')[0]}")
            return await response.json()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise GraphUnavailable(f"Graph did not answer: {type(error).__name__}") from error


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ours(message: dict[str, Any], app_id: str, since: datetime) -> bool:
    application = (message.get("from") or {}).get("application") or {}
    created = message.get("createdDateTime") or ""
    try:
        at = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return False
    return application.get("id") == app_id and at >= since and not message.get("deletedDateTime")


def _same_card(message: dict[str, Any], summary: str | None, first_text: str | None) -> bool:
    if summary and message.get("summary") == summary:
        return True
    for attachment in message.get("attachments") or ():
        try:
            content = json.loads(attachment.get("content") or "null")
        except ValueError:
            continue
        if first_text and card_first_text(content) == first_text:
            return True
    return False


def card_first_text(node: Any) -> str | None:
    """The first TextBlock's text of an Adaptive Card (its title in every ritual card)."""
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            return node["text"]
        for key in ("body", "items", "columns"):
            for child in node.get(key) or ():
                if (text := card_first_text(child)) is not None:
                    return text
    return None
