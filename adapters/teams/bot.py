"""The Teams activity handler: activities in, `Interaction`s to the core, Adaptive Cards out.

- Messages: `@okrbot <command>` in channels and group chats, plain commands in a personal chat.
  A reply in a channel thread that is not a command is a thread message (a win, if the thread is a
  Friday wins thread; the core decides). With the RSC permission ChannelMessage.Read.Group Teams
  also sends replies that do not mention the bot: they are thread messages too, never commands.
- Buttons are task/fetch invokes: the core's answer opens a dialog (a Form) or shows a card.
- Forms: submitted from a dialog (task/submit) or from a card in the chat (a message whose value
  carries the form); a refused value comes back in the same form with the error by its field.
- installationUpdate / conversationUpdate / every message: the conversation's reference is stored
  in SQL (channel and person), so rituals and direct messages reach it after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationParameters
from botbuilder.schema.teams import (
    ChannelInfo,
    TaskModuleContinueResponse,
    TaskModuleRequest,
    TaskModuleResponse,
    TaskModuleTaskInfo,
    TeamInfo,
)

from adapters.teams import activities as act
from adapters.teams import references
from adapters.teams.cards import CONTENT_TYPE, DATA_KEY, render_card, render_form
from adapters.teams.delivery import Delivery
from adapters.teams.directory import hold_turn
from adapters.teams.platform import PLATFORM
from bot import i18n
from bot.commands import UsageError, parse
from bot.core import Core
from bot.directory import DirectoryError
from bot.model import Card, Form, Interaction, Reply
from bot.render import render_error
from bot.serialize import form_from_dict
from bot.services import setup
from bot.timesource import Clock

log = logging.getLogger(__name__)
EMAILS_CACHED = 10_000


def card_activity(card: Card) -> Activity:
    activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=render_card(card)))
    activity.summary = card.fallback or None
    return activity


def _form_values(data: dict[str, Any]) -> dict[str, str]:
    """What the person typed: every key of the submit data except Teams' and ours, as text."""
    values = {}
    for key, value in data.items():
        if key in (DATA_KEY, "msteams"):
            continue
        values[key] = "" if value is None else str(value)
    return values


class OkrTeamsBot(TeamsActivityHandler):
    def __init__(self, core: Core, clock: Clock, delivery: Delivery, app_id: str = "") -> None:
        self.core = core
        self.app_id = app_id  # the bot's own, for a conversation it opens (the installer's welcome)
        self.sessions = core.sessions
        self.clock = clock
        self.delivery = delivery
        self._emails: OrderedDict[tuple[str, str], str | None] = OrderedDict()  # a cache; SQL holds the links
        self._seen: dict[tuple[str, str, str], dict] = {}  # references this process stored already

    # ------------------------------------------------------------ plumbing

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Nothing escapes: an unexpected failure is logged and the person gets an apology, never a trace."""
        try:
            await super().on_turn(turn_context)
        except Exception:
            log.exception("Teams %s activity failed", turn_context.activity.type)
            if turn_context.activity.type == ActivityTypes.message:
                apology = render_error("internal")
                try:
                    await turn_context.send_activity(MessageFactory.text(apology))
                except Exception:  # noqa: BLE001 - the connector is down too; the log has it
                    log.warning("could not send the apology either")

    async def _send(self, turn_context: TurnContext, activity: Activity) -> None:
        conversation = turn_context.activity.conversation.id
        await self.delivery.send(lambda: turn_context.send_activity(activity), where=f"reply in {conversation}")

    async def _update(self, turn_context: TurnContext, activity_id: str | None, activity: Activity) -> None:
        if not activity_id:
            await self._send(turn_context, activity)
            return
        activity.id = activity_id
        conversation = turn_context.activity.conversation.id
        await self.delivery.send(lambda: turn_context.update_activity(activity), where=f"update in {conversation}")

    async def _remember(self, activity: Activity, kind: references.Kind, key: str | None,
                        conversation: str | None = None) -> None:
        """Store the reference when this process has not stored it as it is (SQL is the truth; this skips rewrites)."""
        tenant = act.tenant_id(activity)
        if not key or not tenant:
            return
        reference = act.reference_to(activity, conversation)
        if kind == "channel":
            reference.pop("user", None)  # who spoke last is no part of the way back to a channel
            if group := act.team_group_id(activity):
                reference[references.GROUP] = group
        if self._seen.get((tenant, kind, key)) == reference:
            return  # unchanged since this process stored it (a new service URL is stored again)
        await asyncio.to_thread(references.save, self.sessions, tenant, kind, key, reference, self.clock.now())
        self._seen[(tenant, kind, key)] = reference

    async def _remember_conversation(self, activity: Activity) -> None:
        if act.conversation_type(activity) == "personal":
            await self._remember(activity, "person", act.actor_id(activity))
        else:
            channel = act.channel_id(activity)
            await self._remember(activity, "channel", channel, channel)

    async def _email(self, turn_context: TurnContext) -> str | None:
        """The sender's email, so an account the core has not linked yet is found by address.

        An answer is cached (an account without an email too); a failed look-up is not, so a passing
        503 or 429 costs one message an "I don't know you yet", not every message until a restart."""
        activity = turn_context.activity
        key = (act.tenant_id(activity), act.actor_id(activity))
        if key in self._emails:
            return self._emails[key]
        try:
            member = await TeamsInfo.get_member(turn_context, activity.from_property.id)
        except Exception as exc:  # noqa: BLE001 - no email just means the core asks who they are
            log.info("could not read the Teams member %s: %s", activity.from_property.id, exc)
            return None
        email = member.email or member.user_principal_name
        self._emails[key] = email
        while len(self._emails) > EMAILS_CACHED:
            self._emails.popitem(last=False)
        return email

    async def _interaction(self, turn_context: TurnContext, kind: str, **fields: Any) -> Interaction:
        hold_turn(turn_context)  # the core's set-up asks Teams through this turn (adapters.teams.directory)
        activity = turn_context.activity
        return Interaction(
            platform=PLATFORM.name,
            workspace=act.tenant_id(activity),
            actor=act.actor_id(activity),
            actor_name=activity.from_property.name if activity.from_property else None,
            actor_email=await self._email(turn_context),
            actor_locale=activity.locale or "",  # Teams sends the client's locale on every activity
            kind=kind,  # type: ignore[arg-type]
            conversation=act.channel_id(activity),
            **fields,
        )

    async def _ask(self, interaction: Interaction) -> Reply:
        return await asyncio.to_thread(self.core.handle, interaction)

    # ------------------------------------------------------------ messages

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if not act.tenant_id(activity):
            return  # not from a Teams tenant (e.g. the Web Chat test pane): nothing to resolve against
        await self._remember_conversation(activity)
        if isinstance(activity.value, dict) and isinstance(activity.value.get(DATA_KEY), dict):
            await self._card_submit(turn_context, activity.value)
            return
        in_channel = act.conversation_type(activity) != "personal"
        mentioned = act.mentions_bot(activity)
        root = act.thread_root(activity) if act.conversation_type(activity) == "channel" else None
        text = act.command_text(activity)
        if root and not (mentioned and not isinstance(parse(text), UsageError)):
            interaction = await self._interaction(
                turn_context, "message", text=act.message_text(activity), thread_id=root, message_id=activity.id
            )
            await self._answer(turn_context, await self._ask(interaction))
            return
        if in_channel and not mentioned:
            return  # RSC delivers every channel message; only @mentions are commands
        # Keyed by the activity: one the Bot Connector delivers again (okrbot's answer was slow or lost) is done once.
        interaction = await self._interaction(turn_context, "command", text=text, message_id=activity.id,
                                              key=_activity_key(activity))
        await self._answer(turn_context, await self._ask(interaction))

    async def on_teams_message_edit(self, turn_context: TurnContext) -> None:
        await self._thread_change(turn_context, "message_edited")

    async def on_teams_message_soft_delete(self, turn_context: TurnContext) -> None:
        await self._thread_change(turn_context, "message_deleted")

    async def _thread_change(self, turn_context: TurnContext, kind: str) -> None:
        activity = turn_context.activity
        root = act.thread_root(activity)
        if root and act.tenant_id(activity):
            text = act.message_text(activity) if activity.text else ""
            await self._ask(await self._interaction(turn_context, kind, text=text, thread_id=root,
                                                    message_id=activity.id))

    async def _answer(self, turn_context: TurnContext, reply: Reply) -> None:
        if reply.form is not None:
            await self._send(turn_context, _form_activity(reply.form))
        elif reply.card is not None:
            await self._send(turn_context, card_activity(reply.card))

    async def _card_submit(self, turn_context: TurnContext, data: dict[str, Any]) -> None:
        """A form drawn in the chat was submitted: errors redraw it in place, success replaces it."""
        form = _form_of(data)
        if form is None:
            return
        values = _form_values(data)
        reply = await self._ask(await self._interaction(
            turn_context, "submit", name=form.form_id, form=values, value=form.metadata,
            key=_submit_key(data, turn_context.activity)))
        card_id = turn_context.activity.reply_to_id
        if reply.duplicate:
            return  # sent twice: the first sending replaced the card already
        if reply.errors:
            await self._update(turn_context, card_id, _form_activity(form, values, reply.errors, _token(data)))
        elif reply.form is not None:
            await self._update(turn_context, card_id, _form_activity(reply.form))
        elif reply.card is not None:
            await self._update(turn_context, card_id, card_activity(reply.card))

    # ------------------------------------------------------------ dialogs

    async def on_teams_task_module_fetch(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse:
        await self._remember_conversation(turn_context.activity)
        data = task_module_request.data if isinstance(task_module_request.data, dict) else {}
        ours = data.get(DATA_KEY) if isinstance(data.get(DATA_KEY), dict) else {}
        interaction = await self._interaction(
            turn_context, "action", name=str(ours.get("action") or ""), value=str(ours.get("value") or "")
        )
        return await self._dialog(turn_context, await self._ask(interaction))

    async def on_teams_task_module_submit(
        self, turn_context: TurnContext, task_module_request: TaskModuleRequest
    ) -> TaskModuleResponse | None:
        data = task_module_request.data if isinstance(task_module_request.data, dict) else {}
        form = _form_of(data)
        if form is None:
            return _dialog_card(render_card(Card(None, fallback=render_error("stale_action"))), "okrbot")
        values = _form_values(data)
        reply = await self._ask(await self._interaction(
            turn_context, "submit", name=form.form_id, form=values, value=form.metadata,
            key=_submit_key(data, turn_context.activity)))
        if reply.errors:  # the same form, corrected, keeps its token: its claim was released with the refusal
            return _dialog_card(render_form(form, values, reply.errors, _token(data)), form.title)
        return await self._dialog(turn_context, reply)

    async def _dialog(self, turn_context: TurnContext, reply: Reply) -> TaskModuleResponse | None:
        """A form opens (or stays) in the dialog; a card for everyone is posted and the dialog closes."""
        if reply.form is not None:
            return _dialog_card(render_form(reply.form, token=_new_token()), reply.form.title)
        if reply.card is None:
            return None
        if reply.visibility == "channel":
            await self._send(turn_context, card_activity(reply.card))
            return None
        return _dialog_card(render_card(reply.card), reply.card.title or "okrbot")

    # ------------------------------------------------------------ installation and membership

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._remember_conversation(turn_context.activity)

    async def on_teams_members_added(
        self, teams_members_added: list, team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added_bot = any(getattr(member, "id", None) == bot_id for member in teams_members_added)
        if act.conversation_type(activity) == "personal":
            await self._remember(activity, "person", act.actor_id(activity))
        elif added_bot:
            channel = act.channel_id(activity) or (team_info.id if team_info else None)
            await self._remember(activity, "channel", channel, channel)
        if added_bot:
            await self._welcome(turn_context)
        else:
            await self._follow(turn_context, teams_members_added, joined=True)

    async def on_teams_members_removed(
        self, teams_members_removed: list, team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        await self._follow(turn_context, teams_members_removed, joined=False)

    async def _welcome(self, turn_context: TurnContext) -> None:
        """okrbot was added: the set-up card for an empty organization's installer (bot.services.setup), who is
        the activity's sender. In a personal chat it is the answer; added to a team, it goes to the installer in a
        direct message (a 1:1 okrbot opens: a bot in a team may write to its members) and the channel gets a short
        hello instead, so the steps are not in front of the whole team. A direct message Teams refuses leaves the
        card in the channel, where only the installer's clicks are taken."""
        activity = turn_context.activity
        tenant = act.tenant_id(activity)
        if not tenant:
            return
        hold_turn(turn_context)
        card = await asyncio.to_thread(self.core.welcome, PLATFORM.name, tenant, act.actor_id(activity))
        if card is None:
            return
        if act.conversation_type(activity) == "personal":
            await self._send(turn_context, card_activity(card))
            return
        if not await self._direct(turn_context, card):
            await self._send(turn_context, card_activity(card))
            return
        installer = activity.from_property.name if activity.from_property else ""
        with i18n.speaking(activity.locale):
            hello = setup.team_hello(installer or "", PLATFORM.prefix)
        await self._send(turn_context, card_activity(hello))

    async def _direct(self, turn_context: TurnContext, card: Card) -> bool:
        """`card` in a new 1:1 with the activity's sender, whose reference is stored for later direct messages;
        False when Teams refused (the installer then finds the card where they added okrbot)."""
        activity = turn_context.activity
        tenant, person = act.tenant_id(activity), act.actor_id(activity)
        parameters = ConversationParameters(
            is_group=False, bot=activity.recipient, members=[activity.from_property], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}})

        async def callback(direct: TurnContext) -> None:
            reference = act.reference_to(direct.activity)
            reference["user"] = activity.from_property.serialize()
            await asyncio.to_thread(references.save, self.sessions, tenant, "person", person, reference,
                                    self.clock.now())
            # send_to_conversation: send_activity would reply to the synthetic activity's id, which Teams never saw
            message = TurnContext.apply_conversation_reference(
                card_activity(card), TurnContext.get_conversation_reference(direct.activity))
            message.reply_to_id = None
            connector = direct.turn_state[direct.adapter.BOT_CONNECTOR_CLIENT_KEY]
            await connector.conversations.send_to_conversation(direct.activity.conversation.id, message)

        async def call() -> None:
            await turn_context.adapter.create_conversation(
                self.app_id, callback, parameters, activity.channel_id, activity.service_url, None)

        try:
            await self.delivery.send(call, tenant=tenant, where=f"welcome to {person}")
        except Exception as exc:  # noqa: BLE001 - refused or unreachable: the channel shows the card instead
            log.warning("could not open a direct message with the installer %s: %s", person, exc)
            return False
        return True

    async def _follow(self, turn_context: TurnContext, members: list, joined: bool) -> None:
        """People added to or removed from a team: teams bound to its channels that follow them follow."""
        activity = turn_context.activity
        tenant = act.tenant_id(activity)
        bot_id = activity.recipient.id if activity.recipient else None
        people = [m.aad_object_id or m.id for m in members if getattr(m, "id", None) not in (None, bot_id)]
        if not tenant or not people or act.conversation_type(activity) == "personal":
            return
        hold_turn(turn_context)

        def follow() -> None:
            directory = self.core.directories.get(PLATFORM.name)
            try:
                channels = [c.id for c in directory.channels(tenant)] if directory else []
            except DirectoryError as exc:
                log.warning("could not list the team's channels to follow %s: %s", people, exc)
                return
            for channel in channels or [act.channel_id(activity)]:
                for person in people:
                    self.core.channel_member(PLATFORM.name, tenant, channel, person, joined)

        await asyncio.to_thread(follow)

    async def on_teams_channel_created(
        self, channel_info: ChannelInfo, team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        """A bot installed in a team may post in every channel of it: remember the new one at once."""
        if channel_info and channel_info.id:
            await self._remember(turn_context.activity, "channel", channel_info.id, channel_info.id)


def _form_of(data: dict[str, Any]) -> Form | None:
    ours = data.get(DATA_KEY)
    raw = ours.get("form") if isinstance(ours, dict) else None
    if not isinstance(raw, dict):
        return None
    try:
        return form_from_dict(raw)
    except (TypeError, ValueError, KeyError):
        return None


def _new_token() -> str:
    return secrets.token_urlsafe(16)


def _token(data: dict[str, Any]) -> str | None:
    ours = data.get(DATA_KEY)
    token = ours.get("token") if isinstance(ours, dict) else None
    return token if isinstance(token, str) and token else None


def _submit_key(data: dict[str, Any], activity: Activity) -> str | None:
    """One sending of a form: the token drawn into it (a double click sends it twice with two activity ids);
    a card drawn before tokens existed falls back to the activity id (a redelivery of the same activity)."""
    token = _token(data)
    if token:
        return f"teams:form:{token[:200]}"
    return _activity_key(activity)


def _activity_key(activity: Activity) -> str | None:
    """One activity, however often it is delivered: its id."""
    return f"teams:activity:{activity.id[:200]}" if activity.id else None


def _form_activity(form: Form, values=None, errors=None, token: str | None = None) -> Activity:
    activity = MessageFactory.attachment(
        Attachment(content_type=CONTENT_TYPE, content=render_form(form, values, errors, token or _new_token())))
    activity.summary = form.title
    return activity


def _dialog_card(card: dict[str, Any], title: str) -> TaskModuleResponse:
    info = TaskModuleTaskInfo(title=title, card=Attachment(content_type=CONTENT_TYPE, content=card),
                              width="medium", height="large")
    return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))
