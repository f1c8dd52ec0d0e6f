"""Teams' people and channels for the core's set-up in chat (bot.directory.Directory).

Teams answers these questions only inside a conversation the bot is in (the Bot Connector's roster and
channel list, asked with the conversation's service URL and the bot's token), so the directory asks
through the turn being handled: `OkrTeamsBot` puts it in `TURN` before the core runs, and the core's
worker thread hands each call back to the event loop. In a team, a channel's members are the team's
roster (standard channels have no membership of their own) and okrbot is in every channel of a team it
was added to; in a personal chat there is no team to ask, and the channel list is empty.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import quote

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.directory import ChannelInfo, DirectoryError, Profile

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
T = TypeVar("T")
# The turn being handled and its event loop, set by the bot before the core runs (to_thread copies it).
TURN: ContextVar[tuple[TurnContext, asyncio.AbstractEventLoop] | None] = ContextVar("teams_turn", default=None)


def hold_turn(turn_context: TurnContext) -> None:
    TURN.set((turn_context, asyncio.get_running_loop()))


def profile_of(member: Any) -> Profile:
    """A TeamsChannelAccount as a Profile, keyed by its AAD object id like every Teams person in okrbot."""
    return Profile(account_id=member.aad_object_id or member.id, name=member.name or member.id,
                   email=member.email or member.user_principal_name or None)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) or getattr(response, "status", None)


class TeamsDirectory:
    """bot.directory.Directory over the Bot Connector, through the turn in TURN."""

    def _run(self, ask: Callable[[TurnContext], Awaitable[T]]) -> T | None:
        turn = TURN.get()
        if turn is None:
            raise DirectoryError("no Teams conversation to ask in")
        turn_context, loop = turn
        try:
            return asyncio.run_coroutine_threadsafe(ask(turn_context), loop).result(TIMEOUT_SECONDS)
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise DirectoryError(f"{type(exc).__name__}: {exc}") from exc

    def profile(self, workspace: str, account_id: str) -> Profile | None:
        member = self._run(lambda tc: TeamsInfo.get_member(tc, account_id))
        if member is None:
            return None
        turn = TURN.get()
        activity = turn[0].activity if turn else None
        zone = getattr(activity, "local_timezone", None)
        actor = activity.from_property if activity else None
        mine = actor is not None and account_id in (actor.id, actor.aad_object_id)
        found = profile_of(member)
        return Profile(found.account_id, found.name, found.email, zone if mine and zone else None)

    def find_by_email(self, workspace: str, email: str) -> Profile | None:
        wanted = email.strip().lower()
        for member in self._run(TeamsInfo.get_members) or []:
            if wanted in ((member.email or "").lower(), (member.user_principal_name or "").lower()):
                return profile_of(member)
        return None

    def members(self, workspace: str, channel_id: str) -> list[Profile]:
        if channel_id not in {c.id for c in self.channels(workspace)}:
            return []
        return [profile_of(m) for m in self._run(TeamsInfo.get_members) or []]

    def channel(self, workspace: str, channel_id: str) -> ChannelInfo | None:
        return next((c for c in self.channels(workspace) if c.id == channel_id), None)

    def channels(self, workspace: str) -> list[ChannelInfo]:
        turn = TURN.get()
        if turn is None or not TeamsInfo.get_team_id(turn[0]):
            return []
        return self._run(_team_channels) or []


async def _team_channels(turn_context: TurnContext) -> list[ChannelInfo]:
    """GET /v3/teams/{team}/conversations with the turn's connector client (its async pipeline and token: the
    SDK's own TeamsInfo.get_team_channels makes a blocking call on the event loop)."""
    team_id = TeamsInfo.get_team_id(turn_context)
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    url = f"{turn_context.activity.service_url.rstrip('/')}/v3/teams/{quote(team_id, safe='')}/conversations"
    response = await client._client.async_send(client._client.get(url))  # noqa: SLF001 - no public async call
    if response.status_code == 404:
        return []
    if response.status_code >= 400:
        raise DirectoryError(f"team channels: HTTP {response.status_code}")
    data = json.loads(response.text() or "{}")
    return [ChannelInfo(c["id"], c.get("name") or "General") for c in data.get("conversations") or []]
