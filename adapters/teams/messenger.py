"""The Messenger port for Teams: new threads in channels, thread replies, updates, direct messages.

Everything goes through a ConversationReference stored in SQL (adapters.teams.references), so a
restarted process posts exactly where the last one did. A new channel thread is
`adapter.create_conversation(..., ConversationParameters(is_group=True, channel_data={"channel":
{"id": CHANNEL}}, activity=...), "msteams", service_url, None)`: TeamsInfo's
send_message_to_teams_channel fails on CloudAdapter 4.17.1 ("service_url is required"). Teams
answers with the reply chain id "CHANNEL;messageid=ROOT" and the root activity id; MessageRef keeps
both (message_id = ROOT, thread_id = the chain id).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationServiceClientCredentialFactory
from botbuilder.schema import ConversationParameters, ConversationReference, ResourceResponse
from botframework.connector.auth import AuthenticationConstants
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams import references
from adapters.teams.activities import THREAD_MARK, reference_from
from adapters.teams.auth import auth_configuration
from adapters.teams.bot import card_activity
from adapters.teams.clients import KeptClients
from adapters.teams.config import TeamsConfig
from adapters.teams.credentials import KeptCredentials
from adapters.teams.delivery import Delivery
from adapters.teams.history import GRAPH_SCOPE, ChannelHistory, card_first_text
from adapters.teams.platform import PLATFORM as TEAMS
from bot.model import Card, Conversation, MessageRef, PermanentFailure, Platform

CHANNEL_ID = "msteams"


class TeamsMessenger:
    platform: Platform = TEAMS.name

    def __init__(self, adapter: CloudAdapter, app_id: str, sessions: sessionmaker[Session], delivery: Delivery,
                 history: ChannelHistory | None = None):
        self.adapter = adapter
        self.app_id = app_id
        self.sessions = sessions
        self.delivery = delivery
        self.history = history  # Graph's view of the channels: where a post in doubt is looked for

    async def _reference(self, workspace: str, kind: references.Kind, key: str) -> ConversationReference:
        data = await asyncio.to_thread(references.load, self.sessions, workspace, kind, key)
        if data is None:
            where = "channel or chat" if kind == "channel" else "person"
            hint = "add okrbot to it" if kind == "channel" else "they need to open a chat with okrbot once"
            raise PermanentFailure(f"okrbot has never been in this Teams {where} ({key}): {hint}")
        return reference_from(data)

    @staticmethod
    def _tenant(reference: ConversationReference, workspace: str) -> str:
        return getattr(reference.conversation, "tenant_id", None) or workspace

    async def _continue(self, reference: ConversationReference, act, *, thread: str, tenant: str, where: str):
        """Run `act(turn_context)` in the referenced conversation, within the limits, with retries."""
        result: dict[str, Any] = {}

        async def callback(turn_context: TurnContext) -> None:
            result["value"] = await act(turn_context)

        async def call() -> None:
            await self.adapter.continue_conversation(reference, callback, self.app_id)

        await self.delivery.send(call, thread=thread, tenant=tenant, where=where)
        return result.get("value")

    async def post(self, to: Conversation, card: Card) -> MessageRef:
        reference = await self._reference(to.workspace, "channel", to.channel_id)
        tenant = self._tenant(reference, to.workspace)
        if (reference.conversation.conversation_type or "channel") != "channel":
            return await self._send(reference, to.channel_id, to.channel_id, card, tenant, where=f"post to {to}")
        made: dict[str, str] = {}

        async def callback(turn_context: TurnContext) -> None:
            made["thread"] = turn_context.activity.conversation.id
            made["root"] = turn_context.activity.id

        parameters = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            channel_data={"channel": {"id": to.channel_id}, "tenant": {"id": tenant}},
            tenant_id=tenant,
            activity=card_activity(card),
        )

        async def call() -> None:
            await self.adapter.create_conversation(
                self.app_id, callback, parameters, CHANNEL_ID, reference.service_url, None
            )

        await self.delivery.send(call, thread=to.channel_id, tenant=tenant, where=f"new thread in {to.channel_id}")
        thread = made.get("thread") or f"{to.channel_id}{THREAD_MARK}{made.get('root', '')}"
        root = made.get("root") or thread.split(THREAD_MARK, 1)[-1]
        return MessageRef(channel_id=to.channel_id, message_id=root, thread_id=thread)

    async def _send(self, reference: ConversationReference, conversation: str, channel: str, card: Card,
                    tenant: str, *, where: str) -> MessageRef:
        reference.conversation.id = conversation
        reference.activity_id = None

        async def act(turn_context: TurnContext) -> ResourceResponse:
            # send_to_conversation, not TurnContext.send_activity: that would reply to the synthetic
            # continuation activity's id, which Teams never saw.
            activity = TurnContext.apply_conversation_reference(card_activity(card), reference)
            activity.reply_to_id = None
            connector = turn_context.turn_state[self.adapter.BOT_CONNECTOR_CLIENT_KEY]
            return await connector.conversations.send_to_conversation(conversation, activity)

        response = await self._continue(reference, act, thread=conversation, tenant=tenant, where=where)
        message_id = getattr(response, "id", None) or ""
        thread = conversation if THREAD_MARK in conversation else None
        return MessageRef(channel_id=channel, message_id=message_id, thread_id=thread)

    async def reply(self, to: Conversation, thread: MessageRef, card: Card) -> MessageRef:
        reference = await self._reference(to.workspace, "channel", to.channel_id)
        tenant = self._tenant(reference, to.workspace)
        chain = thread.thread_id or f"{to.channel_id}{THREAD_MARK}{thread.message_id}"
        return await self._send(reference, chain, to.channel_id, card, tenant, where=f"reply in {chain}")

    async def update(self, to: Conversation, message: MessageRef, card: Card) -> None:
        reference = await self._reference(to.workspace, "channel", to.channel_id)
        tenant = self._tenant(reference, to.workspace)
        conversation = message.thread_id or to.channel_id
        reference.conversation.id = conversation
        reference.activity_id = None

        async def act(turn_context: TurnContext) -> None:
            activity = card_activity(card)
            activity.id = message.message_id
            await turn_context.update_activity(activity)

        await self._continue(reference, act, thread=conversation, tenant=tenant,
                             where=f"update {message.message_id} in {conversation}")

    async def find_post(self, to: Conversation, since: datetime, card: Card,
                        thread: MessageRef | None = None) -> MessageRef | None:
        """Our message showing `card` in the channel `to` (a new thread, or a reply in `thread`) since `since`,
        as Microsoft Graph lists it (adapters.teams.history); raises when Graph cannot tell (PermanentFailure:
        it never will)."""
        data = await asyncio.to_thread(references.load, self.sessions, to.workspace, "channel", to.channel_id)
        group = (data or {}).get(references.GROUP)
        if self.history is None or not group:
            raise PermanentFailure(f"cannot read {to.channel_id} through Graph: its team's group id is unknown")
        bot = reference_from(data).bot
        app_id = self.app_id or (bot.id if bot else "").removeprefix("28:")
        root = (thread.message_id if thread else None)
        found = await self.history.find(group, to.channel_id, app_id, since, card.fallback or None,
                                        card_first_text(card_activity(card).attachments[0].content), root)
        if found is None:
            return None
        if thread is not None:
            return MessageRef(to.channel_id, found, thread.thread_id or f"{to.channel_id}{THREAD_MARK}{root}")
        return MessageRef(to.channel_id, found, f"{to.channel_id}{THREAD_MARK}{found}")

    async def send_direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef:
        reference = await self._reference(workspace, "person", platform_user_id)
        tenant = self._tenant(reference, workspace)
        conversation = reference.conversation.id
        return await self._send(reference, conversation, conversation, card, tenant,
                                where=f"direct message to {platform_user_id}")


def build_messenger(config: TeamsConfig, sessions: sessionmaker[Session]) -> TeamsMessenger:
    """The Teams Messenger on a CloudAdapter of its own; no route (the clock needs none; `endpoint.mount`
    serves /api/messages on this messenger's adapter)."""
    configuration = auth_configuration(config)
    credentials = KeptCredentials(ConfigurationServiceClientCredentialFactory(configuration))
    adapter = CloudAdapter(KeptClients(configuration, credentials_factory=credentials))

    async def graph_token() -> str | None:
        """The bot's token for Graph (kept and refreshed like its Bot Connector token); None: auth off."""
        if not config.app_id:
            return None
        kept = await credentials.create_credentials(
            config.app_id, GRAPH_SCOPE, AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX, True)
        return kept.get_access_token()

    return TeamsMessenger(adapter, config.app_id, sessions, Delivery(), ChannelHistory(config.graph_url, graph_token))
