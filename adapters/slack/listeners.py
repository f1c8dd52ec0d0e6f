"""Slack requests in, Interactions to the core, Slack answers out.

bolt verifies every request (signature, 5-minute window) and drops the bot's own events before any
listener runs. The app runs with `process_before_response=True`: the HTTP answer leaves when the
listener returns, so a thread reply is stored before Slack hears "200" (a crash before that makes
Slack deliver it again, and the wins table stores a message id once), and a command's reply rides
in the ack itself, with no second request. The core is synchronous SQL, so it runs in a worker
thread; if it is ever slower than `ack_budget` the command is acked empty at once and its reply
follows through the response_url, well inside Slack's 3 seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import blocks
from bot.core import Core
from bot.model import Form, Interaction, Reply
from bot.render import render_error

log = logging.getLogger(__name__)

SLACK = "slack"
ACK_BUDGET_SECONDS = 2.0
# A linked account stays linked; remembering that for a while saves a query on every request. If it
# is unlinked meanwhile, the core still refuses the stranger; the email is looked up after this time.
KNOWN_ACCOUNT_SECONDS = 600.0
KNOWN_ACCOUNTS_MAX = 50_000
ANY = re.compile(r".*")
MENTION_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # Slack escapes these three in message text


@dataclass(frozen=True)
class Origin:
    """Where a form was opened from, so its result can be told there after the modal closes."""

    channel: str | None = None
    response_url: str | None = None


def encode_metadata(form: Form, origin: Origin) -> str:
    return json.dumps({"m": form.metadata, "c": origin.channel, "r": origin.response_url}, separators=(",", ":"))


def decode_metadata(text: str) -> tuple[str, Origin]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return text, Origin()
    return str(data.get("m") or ""), Origin(data.get("c"), data.get("r"))


def unescape(text: str) -> str:
    for entity, character in MENTION_ENTITIES:
        text = text.replace(entity, character)
    return text


def thread_message(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(interaction kind, the message) for a person's reply inside a thread; None for anything else."""
    subtype = event.get("subtype")
    if subtype in (None, "thread_broadcast", "file_share"):
        kind, message = "message", event
    elif subtype == "message_changed":
        kind, message = "message_edited", event.get("message") or {}
    elif subtype == "message_deleted":
        kind, message = "message_deleted", {**(event.get("previous_message") or {}), "ts": event.get("deleted_ts")}
    else:
        return None
    if message.get("bot_id") or message.get("subtype") == "bot_message" or not message.get("user"):
        return None
    if not message.get("thread_ts") or message.get("thread_ts") == message.get("ts"):
        return None  # not a reply: a thread root or a plain channel message
    return kind, message


def ack_body(reply: Reply) -> dict[str, Any]:
    if reply.card is None:
        return {}
    response_type = "in_channel" if reply.visibility == "channel" else "ephemeral"
    return {**blocks.message(reply.card), "response_type": response_type}


def _team(body: dict[str, Any]) -> str:
    return body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""


class Bridge:
    """The listeners of the bolt app, each a translation between Slack's payloads and the core."""

    def __init__(self, core: Core, ack_budget: float = ACK_BUDGET_SECONDS) -> None:
        self.core = core
        self.ack_budget = ack_budget
        self._late: set[asyncio.Task] = set()
        self._known: dict[tuple[str, str], float] = {}  # (workspace, user) -> remembered until (monotonic)

    def register(self, bolt: AsyncApp) -> None:
        bolt.command(ANY)(self.on_command)
        bolt.action(ANY)(self.on_action)
        bolt.view_submission(ANY)(self.on_view_submission)
        bolt.event("message")(self.on_message)
        bolt.event("app_home_opened")(self.on_home_opened)
        bolt.error(self.on_error)

    @staticmethod
    async def on_error(error: Exception, request) -> BoltResponse:
        """bolt answers a failed listener or middleware with a 500; a person gets an apology instead (a slash
        command shows its answer), and Slack a 400 for a payload we could not read. The trace goes to the log."""
        log.error("a Slack request failed: %s", error, exc_info=error)
        body = getattr(request, "body", None)
        if isinstance(body, dict) and body.get("command"):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": render_error("internal")})
        return BoltResponse(status=400, body={"error": "okrbot could not handle this request"})

    # ------------------------------------------------------------ the core

    async def profile(self, client: AsyncWebClient, user: str) -> tuple[str | None, str | None]:
        """(email, name) from users.info; needs users:read.email. Failure means "unknown", never a crash."""
        try:
            response = await client.users_info(user=user)
        except Exception as exc:  # noqa: BLE001 - a stranger stays a stranger; the core tells them how to get added
            log.warning("users.info failed for %s: %s", user, exc)
            return None, None
        person = response.get("user") or {}
        profile = person.get("profile") or {}
        return profile.get("email"), profile.get("real_name") or person.get("real_name") or person.get("name")

    async def email_if_unknown(self, client: AsyncWebClient, workspace: str, user: str) -> tuple[str | None, ...]:
        """Only a stranger's email is fetched; a known account is remembered a while, saving a query a request."""
        key = (workspace, user)
        if self._known.get(key, 0.0) > time.monotonic():
            return None, None
        if await asyncio.to_thread(self.core.knows_account, SLACK, workspace, user):
            if len(self._known) >= KNOWN_ACCOUNTS_MAX:
                self._known.clear()
            self._known[key] = time.monotonic() + KNOWN_ACCOUNT_SECONDS
            return None, None
        return await self.profile(client, user)

    async def answer(self, client: AsyncWebClient, interaction: Interaction) -> Reply:
        email, name = await self.email_if_unknown(client, interaction.workspace, interaction.actor)
        if email:
            interaction = replace(interaction, actor_email=email, actor_name=name or interaction.actor_name)
        return await asyncio.to_thread(self.core.handle, interaction)

    async def _within_budget(
        self, ack, work: Awaitable[Reply], finish: Callable[[Reply, Any], Awaitable[None]]
    ) -> None:
        """finish(reply, ack) in time; when the core is slow, ack now and finish(reply, None) later."""
        task = asyncio.ensure_future(work)
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.ack_budget)
        except TimeoutError:
            await ack()
            late = asyncio.ensure_future(self._finish_late(task, finish))
            self._late.add(late)
            late.add_done_callback(self._late.discard)
            return
        await finish(reply, ack)

    @staticmethod
    async def _finish_late(task: asyncio.Future, finish: Callable[[Reply, Any], Awaitable[None]]) -> None:
        try:
            await finish(await task, None)
        except Exception:
            log.exception("a late Slack reply failed")

    async def drain(self) -> None:
        """Wait for replies still on their way (shutdown, tests)."""
        while self._late:
            await asyncio.gather(*list(self._late), return_exceptions=True)

    # ------------------------------------------------------------ answers

    async def open_form(self, client: AsyncWebClient, trigger_id: str, form: Form, origin: Origin, push=False) -> None:
        view = blocks.modal_view(form, encode_metadata(form, origin))
        try:
            if push:
                await client.views_push(trigger_id=trigger_id, view=view)
            else:
                await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("could not open the %s form: %s", form.form_id, exc.response.data)

    async def tell(self, client: AsyncWebClient, user: str, origin: Origin, reply: Reply) -> None:
        """A card after the ack: through the response_url when there is one, else as a direct message."""
        if reply.card is None:
            return
        body = ack_body(reply)
        try:
            if origin.response_url:
                sent = await AsyncWebhookClient(origin.response_url).send(
                    text=body["text"], blocks=body["blocks"], response_type=body["response_type"],
                    replace_original=False,
                )
                if sent.status_code == 200:
                    return
                log.warning("response_url answered %s; sending a direct message instead", sent.status_code)
            if reply.visibility == "channel" and origin.channel:
                await client.chat_postMessage(channel=origin.channel, text=body["text"], blocks=body["blocks"])
            else:
                await client.chat_postMessage(channel=user, text=body["text"], blocks=body["blocks"])
        except Exception:
            log.exception("could not tell %s the result", user)

    # ------------------------------------------------------------ listeners

    async def on_command(self, ack, command: dict[str, Any], client: AsyncWebClient) -> None:
        interaction = Interaction(
            platform=SLACK, workspace=command.get("team_id", ""), actor=command["user_id"], kind="command",
            text=command.get("text") or "", conversation=command.get("channel_id"),
            actor_name=command.get("user_name"),
        )
        origin = Origin(command.get("channel_id"), command.get("response_url"))

        async def finish(reply: Reply, ack_now) -> None:
            if reply.form is not None:
                if ack_now:
                    await ack_now()
                await self.open_form(client, command["trigger_id"], reply.form, origin)
            elif ack_now:
                await ack_now(**ack_body(reply))
            else:
                await self.tell(client, command["user_id"], origin, reply)

        await self._within_budget(ack, self.answer(client, interaction), finish)

    async def on_action(self, ack, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        name = blocks.action_name(action.get("action_id", ""))
        if name.startswith(blocks.LINK_PREFIX):
            await ack()  # a link button: the browser opened it, nothing for the core to do
            return
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        value = action.get("value") or ((action.get("selected_option") or {}).get("value")) or ""
        interaction = Interaction(
            platform=SLACK, workspace=_team(body), actor=user, kind="action", name=name, value=value,
            conversation=channel,
        )
        origin = Origin(channel, body.get("response_url"))
        surface = (body.get("view") or {}).get("type")

        async def finish(reply: Reply, ack_now) -> None:
            if ack_now:
                await ack_now()
            if reply.form is not None:
                await self.open_form(client, body["trigger_id"], reply.form, origin, push=surface == "modal")
            elif surface == "home":
                await self.publish_home(client, interaction.workspace, user)  # the tab itself shows the change
            else:
                await self.tell(client, user, origin, reply)

        await self._within_budget(ack, self.answer(client, interaction), finish)

    async def on_view_submission(self, ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient):
        metadata, origin = decode_metadata(view.get("private_metadata") or "")
        user = body["user"]["id"]
        interaction = Interaction(
            platform=SLACK, workspace=view.get("team_id") or _team(body), actor=user, kind="submit",
            name=view.get("callback_id", ""), value=metadata,
            form=blocks.submitted_values((view.get("state") or {}).get("values") or {}), conversation=origin.channel,
        )
        reply = await self.answer(client, interaction)
        if reply.errors:
            await ack(response_action="errors", errors=blocks.view_errors(dict(reply.errors), view))
        elif reply.form is not None:
            await ack(response_action="update", view=blocks.modal_view(reply.form, encode_metadata(reply.form, origin)))
        else:
            await ack()
            await self.tell(client, user, origin, reply)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        found = thread_message(event)
        if found is None:
            return
        kind, message = found
        interaction = Interaction(
            platform=SLACK, workspace=_team(body), actor=message["user"], kind=kind,  # type: ignore[arg-type]
            text=unescape(message.get("text") or ""), conversation=event.get("channel"),
            message_id=message.get("ts"), thread_id=message.get("thread_ts"),
        )
        await self.answer(client, interaction)

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await self.publish_home(client, _team(body), event["user"])

    async def publish_home(self, client: AsyncWebClient, workspace: str, user: str) -> None:
        email, _name = await self.email_if_unknown(client, workspace, user)
        card = await asyncio.to_thread(self.core.home, SLACK, workspace, user, email)
        try:
            await client.views_publish(user_id=user, view=blocks.home_view(card))
        except SlackApiError as exc:
            log.warning("could not publish the App Home of %s: %s", user, exc.response.data)
