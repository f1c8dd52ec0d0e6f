"""Who okrbot's bot is in Slack, and how bolt learns it without ever dropping a request for it.

slack_bolt's own authorization asks Slack's auth.test on a process's first request (one workspace) or
on every request (OAuth), and when Slack answers that call with a 503 or a 429 it drops the request: a
slash command is told "your installation is no longer available", a modal closes with nothing stored,
an event is acknowledged unread. okrbot authorizes requests itself (`Authorize`, `learn_identity`):

- OAuth: the installation holds the bot's token and ids (the install flow asked auth.test once); no call.
- One workspace: a command, a button or a form needs no bot identity (the token is configured and the
  signature proves the request), so it never waits for auth.test. An event does: bolt drops the bot's
  own events by those ids. The identity comes from memory, then the slack_identities table, then one
  auth.test per token whose answer is kept there for every process. While Slack fails that call the
  event is answered 503, and Slack delivers it again.

The messenger's "which messages are ours" (find_post) reads the same identities.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from storage.db import transaction
from storage.models import SlackIdentity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotIdentity:
    """auth.test's answer for a bot token: the workspace, and the bot's user and bot ids (its messages carry both)."""

    team_id: str | None
    enterprise_id: str | None
    user_id: str | None
    bot_id: str | None

    @classmethod
    def of(cls, auth_test: dict[str, Any]) -> BotIdentity:
        return cls(auth_test.get("team_id"), auth_test.get("enterprise_id"), auth_test.get("user_id"),
                   auth_test.get("bot_id"))

    def wrote(self, message: dict[str, Any]) -> bool:
        return bool(self.bot_id and message.get("bot_id") == self.bot_id
                    or self.user_id and message.get("user") == self.user_id)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Identities:
    """Each token's BotIdentity, once learned: in memory, and in the database when there is one (shared by
    every process and kept across restarts; a token always belongs to the same bot)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False) if engine is not None else None
        self._known: dict[str, BotIdentity] = {}

    def remembered(self, token: str) -> BotIdentity | None:
        """The identity in this process's memory, without asking the database."""
        return self._known.get(token)

    async def known(self, token: str) -> BotIdentity | None:
        identity = self._known.get(token)
        if identity is None and self._sessions is not None:
            identity = await asyncio.to_thread(self._read, _digest(token))
            if identity is not None:
                self._known[token] = identity
        return identity

    async def remember(self, token: str, auth_test: dict[str, Any]) -> BotIdentity:
        identity = self._known[token] = BotIdentity.of(auth_test)
        if self._sessions is not None:
            await asyncio.to_thread(self._write, _digest(token), identity)
        return identity

    def _read(self, digest: str) -> BotIdentity | None:
        with self._sessions() as session:  # type: ignore[misc]
            row = session.get(SlackIdentity, digest)
            return None if row is None else BotIdentity(row.team_id, row.enterprise_id, row.bot_user_id, row.bot_id)

    def _write(self, digest: str, identity: BotIdentity) -> None:
        try:
            with transaction(self._sessions) as session:  # type: ignore[arg-type]
                if session.get(SlackIdentity, digest) is None:
                    session.add(SlackIdentity(token_sha256=digest, team_id=identity.team_id,
                                              enterprise_id=identity.enterprise_id, bot_id=identity.bot_id,
                                              bot_user_id=identity.user_id))
        except IntegrityError:
            pass  # another process wrote the same answer first


class Authorize(AsyncAuthorize):
    """bolt's authorize step, from what okrbot already knows: never a call to Slack (see the module)."""

    def __init__(self, *, token: str | None = None, installations: AsyncInstallationStore | None = None,
                 identities: Identities) -> None:
        self.token, self.installations, self.identities = token, installations, identities

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **_actor: Any) -> AuthorizeResult | None:
        if self.installations is not None:
            bot = await self.installations.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=context.is_enterprise_install)
            if bot is None or not bot.bot_token:
                return None  # never installed, or uninstalled: bolt says so
            return AuthorizeResult(enterprise_id=bot.enterprise_id, team_id=bot.team_id, team=bot.team_name,
                                   bot_id=bot.bot_id, bot_user_id=bot.bot_user_id, bot_token=bot.bot_token,
                                   bot_scopes=bot.bot_scopes, user_id=user_id)
        # From memory only: an event's identity was read or learned just before (learn_identity), and a command,
        # a button or a form needs none. Reading the database here cost a transaction per request (on SQLite a
        # BEGIN IMMEDIATE queued with the writes), since a process that only ever sees commands never learns it.
        identity = self.identities.remembered(self.token or "")
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id if identity else enterprise_id,
            team_id=identity.team_id if identity else team_id, bot_token=self.token, user_id=user_id,
            bot_id=identity.bot_id if identity else None, bot_user_id=identity.user_id if identity else None)


def learn_identity(token: str, identities: Identities, transient: Callable[[Exception], bool]
                   ) -> Callable[..., Awaitable[BoltResponse | None]]:
    """bolt middleware before authorize (one workspace): an event needs the bot's identity, so the first one
    a token sees asks auth.test; when Slack fails that call for the moment the event gets a 503 (Slack
    delivers it again). A refusal that lasts (a revoked token) is logged and the event goes on without it."""

    async def learn(req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        if req.body.get("type") != "event_callback" or await identities.known(token) is not None:
            return await next()
        try:
            answer = await req.context.client.auth_test(token=token)
        except Exception as exc:  # noqa: BLE001 - classified: the event is delivered again, or goes on
            if transient(exc):
                log.warning("auth.test failed for the moment (%s); the event is answered 503", exc)
                return BoltResponse(status=503, body={"error": "Slack's auth.test failed; deliver again"})
            log.error("auth.test refused the bot token: %s", exc)
            return await next()
        await identities.remember(token, answer.data)  # type: ignore[arg-type]
        return await next()

    return learn
