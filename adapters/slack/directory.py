"""Slack's people and channels for the core's set-up in chat (bot.directory.Directory).

The core calls these from its worker thread, so they use slack_sdk's synchronous WebClient with the
workspace's bot token (the installation's, or the one configured), one attempt per call like every
Slack call okrbot makes (adapters.slack.client). Scopes: `channels:read` and `groups:read`
(conversations.info, conversations.members), `users:read` and `users:read.email` (users.info,
users.list, users.lookupByEmail). A Slack error that means "no such thing" is None; anything else (a timeout, a
5xx, a 429) is a DirectoryError, so the core writes nothing and asks the person to try again.

A channel's people: a small channel is a users.info per member, a few at a time; a big one is read from
users.list in pages of 200 (stopping once every member is found), because a thousand users.info calls, even
eight at a time, would outlast Slack's three seconds and its Tier 4 rate limit, where users.list needs five.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine

from adapters.slack.client import TIMEOUT_SECONDS, api_url
from adapters.slack.config import SlackConfig
from bot.directory import ChannelInfo, DirectoryError, Profile

log = logging.getLogger(__name__)
NOT_FOUND = frozenset({"channel_not_found", "user_not_found", "users_not_found", "not_in_channel",
                       "user_not_visible", "method_not_supported_for_channel_type"})
MAX_MEMBERS = 1000  # a channel bigger than this is not a team; the first thousand are taken
PAGE = 200
BIG_CHANNEL = 40  # more members than this: users.list pages rather than a users.info each
LOOKUPS_AT_ONCE = 8
SLACKBOT = "USLACKBOT"
# The token of the request being handled (bolt's client has it): set by the listener before the core runs, so
# the directory never looks it up inside the core's transaction (a second connection would wait on SQLite's lock).
REQUEST_TOKEN: ContextVar[str | None] = ContextVar("slack_request_token", default=None)


def profile_of(user: dict[str, Any]) -> Profile:
    """A users.info / users.lookupByEmail user as a Profile (its email needs users:read.email)."""
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or user.get("name")
    return Profile(account_id=user["id"], name=str(name or user["id"]), email=profile.get("email") or None,
                   timezone=user.get("tz") or None)


def is_person(user: dict[str, Any]) -> bool:
    """A member who can be on a team: not a bot, not Slackbot, not deactivated."""
    return not (user.get("is_bot") or user.get("deleted") or user["id"] == SLACKBOT)


class SlackDirectory:
    """bot.directory.Directory over Slack's Web API."""

    def __init__(self, base_url: str | None, token: Callable[[str], str | None]) -> None:
        self.base_url = api_url(base_url)
        self.token = token

    def _call(self, workspace: str, method: str, **params: Any) -> dict[str, Any] | None:
        client = WebClient(token=REQUEST_TOKEN.get() or self.token(workspace), base_url=self.base_url,
                           timeout=TIMEOUT_SECONDS, retry_handlers=[])
        try:
            return client.api_call(method, http_verb="GET", params=params).data  # type: ignore[return-value]
        except SlackApiError as exc:
            error = (exc.response.data or {}).get("error") if isinstance(exc.response.data, dict) else None
            if error in NOT_FOUND:
                return None
            raise DirectoryError(f"{method}: {error or exc.response.status_code}") from exc
        except Exception as exc:  # a timeout, a reset connection
            raise DirectoryError(f"{method}: {type(exc).__name__}: {exc}") from exc

    def profile(self, workspace: str, account_id: str) -> Profile | None:
        answer = self._call(workspace, "users.info", user=account_id)
        user = (answer or {}).get("user")
        return profile_of(user) if user and is_person(user) else None

    def find_by_email(self, workspace: str, email: str) -> Profile | None:
        answer = self._call(workspace, "users.lookupByEmail", email=email)
        user = (answer or {}).get("user")
        return profile_of(user) if user and not user.get("deleted") else None

    def channel(self, workspace: str, channel_id: str) -> ChannelInfo | None:
        answer = self._call(workspace, "conversations.info", channel=channel_id)
        channel = (answer or {}).get("channel")
        if not channel:
            return None
        return ChannelInfo(channel["id"], channel.get("name") or channel["id"], bool(channel.get("is_member")))

    def members(self, workspace: str, channel_id: str) -> list[Profile]:
        ids: list[str] = []
        cursor = None
        while len(ids) < MAX_MEMBERS:
            params: dict[str, Any] = {"channel": channel_id, "limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            answer = self._call(workspace, "conversations.members", **params) or {}
            ids.extend(answer.get("members") or [])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        ids = ids[:MAX_MEMBERS]
        if len(ids) > BIG_CHANNEL:
            return self._listed(workspace, ids)
        token = REQUEST_TOKEN.get()  # the pool's threads start with an empty context: hand them the request's token
        with ThreadPoolExecutor(LOOKUPS_AT_ONCE) as pool:
            profiles = list(pool.map(lambda user: self._profile_with(token, workspace, user), ids))
        return [p for p in profiles if p is not None]

    def _profile_with(self, token: str | None, workspace: str, account_id: str) -> Profile | None:
        REQUEST_TOKEN.set(token)
        return self.profile(workspace, account_id)

    def _listed(self, workspace: str, ids: list[str]) -> list[Profile]:
        """The members' profiles from users.list pages, in the channel's order; stops when all are found."""
        wanted, found = set(ids), {}
        cursor = None
        while wanted - found.keys():
            params: dict[str, Any] = {"limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            answer = self._call(workspace, "users.list", **params) or {}
            for user in answer.get("members") or []:
                if user.get("id") in wanted and is_person(user):
                    found[user["id"]] = profile_of(user)
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return [found[user] for user in ids if user in found]

    def channels(self, workspace: str) -> list[ChannelInfo]:
        return []  # Slack's forms have a channel picker of their own (conversations_select)


def build_directory(config: SlackConfig, engine: Engine) -> SlackDirectory:
    """The directory with each workspace's token: its installation's (OAuth), else the configured one."""
    if config.oauth:
        store = SQLAlchemyInstallationStore(client_id=config.client_id or "", engine=engine, logger=log)

        def installed(workspace: str) -> str | None:
            bot = store.find_bot(enterprise_id=None, team_id=workspace)
            return bot.bot_token if bot else None

        return SlackDirectory(config.api_url, installed)
    token = config.bot_token
    return SlackDirectory(config.api_url, lambda _workspace: token)
