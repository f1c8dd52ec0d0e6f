"""Slack requests in, Interactions to the core, Slack answers out.

bolt verifies every request (signature, 5-minute window) and drops the bot's own events before any
listener runs. The app runs with `process_before_response=True`: the HTTP answer leaves when the
listener returns, so a thread reply is stored before Slack hears "200" (a crash before that makes
Slack deliver it again, and the wins table stores a message id once), and a command's reply rides
in the ack itself, with no second request. The core is synchronous SQL, so it runs in a worker
thread; if it is ever slower than `ack_budget` the command is acked empty at once and its reply
follows through the response_url, well inside Slack's 3 seconds.

Slack never sends a slash command again, so one acked before its work is done must not be lost. A command
is keyed by its trigger_id and its work claims that key in its own transaction (bot.inbox). Work done
within the budget is committed before its ack, which carries the reply: one write transaction in all.
Work that is not done by then is told to give up (it rolls back when it gets to its commit), the command
is recorded in the inbox (committed before the empty ack), and it is done again from there; a process
that crashed before that leaves it for the next one to finish (`resume`, on start or the clock's sweep),
answering through the response_url. A signed command replayed within Slack's 5 minutes has the same
trigger_id and gets "already done". Modals are keyed by view id and hash, so a second Submit stores nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import Engine

from adapters.slack import blocks
from adapters.slack.client import web_client
from adapters.slack.config import ACK_BUDGET_SECONDS, SlackConfig
from adapters.slack.directory import REQUEST_TOKEN
from adapters.slack.platform import PLATFORM
from adapters.slack.stores import token_source
from bot import inbox
from bot.core import Core, duplicate_reply
from bot.model import Card, Form, Interaction, Reply, Text
from bot.render import render_error
from bot.serialize import interaction_from_dict, interaction_to_dict

log = logging.getLogger(__name__)

SLACK = PLATFORM.name
# A command not done within its budget is recorded in the inbox before its empty ack, and the ack must still
# leave by the ack budget, inside Slack's 3 seconds: so the work gets the ack budget less this much. A
# database too slow for the record (a long write holding SQLite's lock) gets "busy, nothing saved" rather than
# a promise.
RECORD_BUDGET_SECONDS = 1.0
INTAKE_THREADS = 4
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


def view_key(view: dict[str, Any]) -> str | None:
    """One sending of a modal: its id, and its hash, which changes whenever the view is updated (a next step)."""
    if not view.get("id"):
        return None
    return f"slack:view:{view['id']}:{view.get('hash') or ''}"


def command_key(command: dict[str, Any]) -> str | None:
    """One sending of a slash command: Slack's trigger_id, which a replay of the signed request repeats."""
    trigger = command.get("trigger_id")
    return f"slack:command:{trigger}"[:255] if trigger else None


def notice(error: str) -> Reply:
    message = render_error(error)
    return Reply(card=Card(None, (Text(message),), fallback=message))


class Intake:
    """Decides, once, whether a command's work (or its record) may still commit or the ack gave up waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: bool | None = None

    def keep(self) -> bool:
        """Asked by the working (recording) thread just before its commit."""
        with self._lock:
            if self._kept is None:
                self._kept = True
            return self._kept

    def give_up(self) -> bool:
        """Asked at the deadline; False when the record is committing already (it will be done at once)."""
        with self._lock:
            if self._kept is None:
                self._kept = False
            return not self._kept

    def run(self, handle: Callable[[Interaction, Callable[[], bool]], Reply], interaction: Interaction) -> Reply:
        """`handle(interaction, keep)`, unless the deadline passed while it waited for a thread: an overloaded
        process then does not do work that would only be rolled back."""
        if self._kept is False:
            raise inbox.GaveUp
        return handle(interaction, self.keep)


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


async def _quietly(work: asyncio.Future) -> None:
    """Wait for work whose result nobody wants any more (it gave up, or it was answered otherwise)."""
    with contextlib.suppress(Exception):  # inbox.GaveUp, or a failure the core has logged
        await work


def _team(body: dict[str, Any]) -> str:
    return body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""


class Bridge:
    """The listeners of the bolt app, each a translation between Slack's payloads and the core."""

    def __init__(self, core: Core, ack_budget: float = ACK_BUDGET_SECONDS,
                 clients: Callable[[str], Awaitable[AsyncWebClient]] | None = None) -> None:
        self.core = core
        self.ack_budget = ack_budget
        self.clients = clients  # a Web API client for a workspace, for finishing a command after a restart
        # Commands are recorded on threads of their own: a slow core holding every worker thread of the
        # default executor must not keep the next command from being recorded (and acked) in time.
        self._intake = ThreadPoolExecutor(INTAKE_THREADS, thread_name_prefix="okrbot-intake")
        self._late: set[asyncio.Task] = set()
        self._known: dict[tuple[str, str], float] = {}  # (workspace, user) -> remembered until (monotonic)

    def register(self, bolt: AsyncApp) -> None:
        bolt.command(ANY)(self.on_command)
        bolt.action(ANY)(self.on_action)
        bolt.view_submission(ANY)(self.on_view_submission)
        bolt.event("message")(self.on_message)
        bolt.event("app_home_opened")(self.on_home_opened)
        bolt.event("member_joined_channel")(self.on_member_channel)
        bolt.event("member_left_channel")(self.on_member_channel)
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

    async def profile(self, client: AsyncWebClient, user: str) -> tuple[str | None, str | None, str | None]:
        """(email, name, locale) from users.info; needs users:read.email. The locale (`es-CL`) is Slack's
        language setting of the person, "" when Slack has none or could not say (a linked account is then not
        asked again: they can choose with `/okr language`). Failure means "unknown", never a crash."""
        try:
            response = await client.users_info(user=user, include_locale=True)
        except Exception as exc:  # noqa: BLE001 - a stranger stays a stranger; the core tells them how to get added
            log.warning("users.info failed for %s: %s", user, exc)
            return None, None, ""
        person = response.get("user") or {}
        profile = person.get("profile") or {}
        name = profile.get("real_name") or person.get("real_name") or person.get("name")
        return profile.get("email"), name, str(person.get("locale") or "")

    async def email_if_unknown(self, client: AsyncWebClient, workspace: str, user: str) -> tuple[str | None, ...]:
        """Only a stranger's profile (email, name, locale) is fetched before the answer; a known account is
        remembered a while, saving a query a request. A linked account whose locale was never asked (linked in
        the import file) is asked once, after this answer, so its next one speaks the person's language."""
        key = (workspace, user)
        if self._known.get(key, 0.0) > time.monotonic():
            return None, None, None
        linked, locale_known = await asyncio.to_thread(self.core.knows_account, SLACK, workspace, user)
        if linked:
            if len(self._known) >= KNOWN_ACCOUNTS_MAX:
                self._known.clear()
            self._known[key] = time.monotonic() + KNOWN_ACCOUNT_SECONDS
            if not locale_known:
                self._later(self._learn_locale(client, workspace, user))
            return None, None, None
        return await self.profile(client, user)

    async def _learn_locale(self, client: AsyncWebClient, workspace: str, user: str) -> None:
        _email, _name, locale = await self.profile(client, user)
        with contextlib.suppress(Exception):  # the database is busy: asked again next time
            await asyncio.to_thread(self.core.remember_locale, SLACK, workspace, user, locale or "")

    async def answer(self, client: AsyncWebClient, interaction: Interaction, gate: Intake | None = None) -> Reply:
        REQUEST_TOKEN.set(client.token)  # for the directory, in the core's thread (to_thread copies the context)
        email, name, locale = await self.email_if_unknown(client, interaction.workspace, interaction.actor)
        if locale is not None:
            interaction = replace(interaction, actor_locale=locale)
        if email and interaction.kind in ("command", "action"):  # a stranger: perhaps the first of a new workspace
            await self.welcome(client, interaction.workspace, interaction.actor)
        if email:
            interaction = replace(interaction, actor_email=email, actor_name=name or interaction.actor_name)
        if gate is None:
            return await asyncio.to_thread(self.core.handle, interaction)
        return await asyncio.to_thread(gate.run, self.core.handle, interaction)

    async def welcome(self, client: AsyncWebClient, workspace: str, user: str) -> bool:
        """The set-up card for the installer of an empty organization (bot.services.setup), in a direct message
        and on their App Home; False when there is nothing to set up for them."""
        REQUEST_TOKEN.set(client.token)
        card = await asyncio.to_thread(self.core.welcome, SLACK, workspace, user)
        if card is None:
            return False
        try:
            await client.chat_postMessage(channel=user, **blocks.message(card))
        except SlackApiError as exc:
            log.warning("could not send the welcome to %s: %s", user, exc.response.data)
        await self.publish_home(client, workspace, user)
        return True

    async def on_member_channel(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """member_joined_channel / member_left_channel: teams that follow the channel follow (bot.services.setup)."""
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        joined = event.get("type") == "member_joined_channel"
        workspace = event.get("team") or _team(body)
        REQUEST_TOKEN.set(client.token)
        changed = await asyncio.to_thread(self.core.channel_member, SLACK, workspace, channel, user, joined)
        if changed:
            log.info("%s %s %s", user, "joined" if joined else "left", ", ".join(changed))

    async def record(self, interaction: Interaction, origin: Origin, trigger_id: str) -> bool | None:
        """Commit the command to the inbox before an empty ack: True recorded, False a replay (its trigger_id was
        seen), None when the database did not take it within RECORD_BUDGET_SECONDS (then it never will)."""
        payload = {"platform": SLACK, "interaction": interaction_to_dict(interaction), "channel": origin.channel,
                   "response_url": origin.response_url, "trigger_id": trigger_id}
        intake = Intake()
        record = partial(inbox.record, self.core.sessions, interaction.key, payload, self.core.clock.now(),
                         intake.keep)
        task = asyncio.get_running_loop().run_in_executor(self._intake, record)
        try:
            return await asyncio.wait_for(asyncio.shield(task), RECORD_BUDGET_SECONDS)
        except TimeoutError:
            if intake.give_up():
                log.warning("could not record a command within %ss; answered busy", RECORD_BUDGET_SECONDS)
                return None
            return await task

    async def resume(self, payload: dict[str, Any]) -> None:
        """Finish a recorded command a stopped process acknowledged but never did (okrbot.pending)."""
        interaction = interaction_from_dict(payload["interaction"])
        origin = Origin(payload.get("channel"), payload.get("response_url"))
        client = await self.clients(interaction.workspace) if self.clients else AsyncWebClient()
        reply = await self.answer(client, interaction)
        if not reply.duplicate:  # else another process finished it, and answered
            await self.answer_late(client, interaction.actor, origin, reply, payload.get("trigger_id") or "")

    async def answer_late(self, client: AsyncWebClient, user: str, origin: Origin, reply: Reply,
                          trigger_id: str) -> None:
        """A command's answer after its ack: a form opens while its trigger is still valid, else the person is
        told to run the command again; a card goes through the response_url."""
        if reply.form is not None:
            if not await self.open_form(client, trigger_id, reply.form, origin):
                await self.tell(client, user, origin, notice("form_late"))
        else:
            await self.tell(client, user, origin, reply)

    async def _within_budget(
        self, ack, work: Awaitable[Reply], finish: Callable[[Reply, Any], Awaitable[None]],
        budget: float | None = None,
    ) -> None:
        """finish(reply, ack) in time; when the core is slow, ack now and finish(reply, None) later."""
        task = asyncio.ensure_future(work)
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.ack_budget if budget is None else budget)
        except TimeoutError:
            await ack()
            self._later(self._finish_late(task, finish))
            return
        await finish(reply, ack)

    def _later(self, work: Awaitable[None]) -> None:
        """Run `work` after the ack; `drain` waits for it."""
        late = asyncio.ensure_future(work)
        self._late.add(late)
        late.add_done_callback(self._late.discard)

    @staticmethod
    async def _finish_late(task: asyncio.Future, finish: Callable[[Reply, Any], Awaitable[None]]) -> None:
        try:
            await finish(await task, None)
        except Exception:
            log.exception("a late Slack reply failed")

    def close(self) -> None:
        self._intake.shutdown(wait=False)

    async def drain(self) -> None:
        """Wait for replies still on their way (shutdown, tests)."""
        while self._late:
            await asyncio.gather(*list(self._late), return_exceptions=True)

    # ------------------------------------------------------------ answers

    async def open_form(self, client: AsyncWebClient, trigger_id: str, form: Form, origin: Origin,
                        push=False) -> bool:
        view = blocks.modal_view(form, encode_metadata(form, origin))
        try:
            if push:
                await client.views_push(trigger_id=trigger_id, view=view)
            else:
                await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("could not open the %s form: %s", form.form_id, exc.response.data)
            return False
        return True

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
        started = time.monotonic()
        interaction = Interaction(
            platform=SLACK, workspace=command.get("team_id", ""), actor=command["user_id"], kind="command",
            text=command.get("text") or "", conversation=command.get("channel_id"),
            actor_name=command.get("user_name"), key=command_key(command),
        )
        origin = Origin(command.get("channel_id"), command.get("response_url"))
        trigger_id = command.get("trigger_id") or ""

        async def finish(reply: Reply, ack_now) -> None:
            if ack_now is None:
                if not reply.duplicate:  # else another process finished it first, and answered
                    await self.answer_late(client, command["user_id"], origin, reply, trigger_id)
            elif reply.form is not None:
                await ack_now()
                await self.open_form(client, trigger_id, reply.form, origin)
            else:
                await ack_now(**ack_body(reply))

        if not interaction.key:
            await self._within_budget(ack, self.answer(client, interaction), finish)
            return
        gate = Intake()
        work = asyncio.ensure_future(self.answer(client, interaction, gate))
        budget = max(0.0, self.ack_budget - RECORD_BUDGET_SECONDS - (time.monotonic() - started))
        try:
            reply = await asyncio.wait_for(asyncio.shield(work), budget)
        except TimeoutError:
            if gate.give_up():
                await self._defer(ack, work, client, interaction, origin, trigger_id, finish)
                return
            reply = await work  # it is committing this moment
        await finish(reply, ack)

    async def _defer(self, ack, work: asyncio.Future, client: AsyncWebClient, interaction: Interaction,
                     origin: Origin, trigger_id: str, finish: Callable[[Reply, Any], Awaitable[None]]) -> None:
        """The command's work gave up (it rolls back): record the command, ack empty, and do it again from the
        record; answered late. A command the database cannot record in time is answered busy, nothing saved."""
        recorded = await self.record(interaction, origin, trigger_id)
        if not recorded:
            await ack(**ack_body(duplicate_reply() if recorded is False else notice("busy")))
            self._later(_quietly(work))
            return
        await ack()

        async def again() -> Reply:
            await _quietly(work)  # the first run rolls back before the second claims the record
            return await self.answer(client, interaction)

        self._later(self._finish_late(asyncio.ensure_future(again()), finish))

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
            key=view_key(view),
        )
        reply = await self.answer(client, interaction)
        if reply.duplicate:
            await ack()  # the same modal sent again (a double click, a retry): the first sending answered
        elif reply.errors:
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
        """The Home tab; a stranger opening it first in a workspace with an empty organization (a one-token
        install has no OAuth redirect to welcome them) is its installer: the welcome, which publishes it."""
        if event.get("tab", "home") != "home":
            return
        workspace, user = _team(body), event["user"]
        email, _name, _locale = await self.email_if_unknown(client, workspace, user)
        if email and await self.welcome(client, workspace, user):
            return
        await self.publish_home(client, workspace, user, email)

    async def publish_home(self, client: AsyncWebClient, workspace: str, user: str,
                           email: str | None = None) -> None:
        """`email`: the stranger's, when the caller asked Slack already."""
        if email is None:
            email, _name, _locale = await self.email_if_unknown(client, workspace, user)
        card = await asyncio.to_thread(self.core.home, SLACK, workspace, user, email)
        try:
            await client.views_publish(user_id=user, view=blocks.home_view(card))
        except SlackApiError as exc:
            log.warning("could not publish the App Home of %s: %s", user, exc.response.data)


def build_bridge(config: SlackConfig, core: Core, engine: Engine) -> Bridge:
    """The core's side of Slack's requests, apart from any route: `resume` finishes a command that a stopped
    process acknowledged (okrbot.pending), which the clock does too."""
    tokens = token_source(config, engine)

    async def client_for(workspace: str) -> AsyncWebClient:
        return web_client(config.api_url, await tokens(workspace))

    return Bridge(core, config.ack_budget_seconds, client_for)
