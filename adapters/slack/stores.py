"""Installations and OAuth states in okrbot's own database, through slack_sdk's SQLAlchemy stores.

slack_sdk also ships asyncio variants of these stores, but they need an async engine and driver
(aiosqlite / asyncpg) beside ours. Wrapping the synchronous stores keeps one engine, one connection
pool and one set of SQLite settings (WAL, busy timeout, BEGIN IMMEDIATE), and runs their short
queries in a worker thread so the event loop never blocks. The tables come from migration 0002.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from logging import Logger

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from adapters.slack.config import SlackConfig

log = logging.getLogger(__name__)
STATE_LIFETIME_SECONDS = 600


class InstallationStore(AsyncInstallationStore):
    def __init__(self, client_id: str, engine: Engine) -> None:
        self.store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)

    @property
    def logger(self) -> Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.store.find_bot, enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.store.find_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.store.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


class OAuthStateStore(AsyncOAuthStateStore):
    def __init__(self, engine: Engine, expiration_seconds: int = STATE_LIFETIME_SECONDS) -> None:
        self.store = SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine, logger=log)

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args, **kwargs) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def token_source(config: SlackConfig, engine: Engine) -> Callable[[str], Awaitable[str | None]]:
    """Where each workspace's bot token comes from: its installation (OAuth), else the one configured token."""
    if config.oauth:
        installations = InstallationStore(config.client_id or "", engine)

        async def installed_token(workspace: str) -> str | None:
            bot = await installations.async_find_bot(enterprise_id=None, team_id=workspace)
            return bot.bot_token if bot else None

        return installed_token
    token = config.bot_token

    async def single_token(_workspace: str) -> str | None:
        return token

    return single_token
