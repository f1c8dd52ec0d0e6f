"""The sandbox's pages: a pretend chat in the browser that goes through the same core as Slack and Teams.

Every action is a plain HTML form POST followed by a redirect, so it all works without JavaScript.
What the person typed or clicked becomes one `Interaction` (platform "sandbox", workspace = the
organization id, actor = the person's email); the `Reply` is stored as messages: ephemeral ones
for that person only, channel ones for everyone, a `Form` as a dialog on the channel page.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import func, or_, select

from adapters.sandbox import store
from adapters.sandbox.directory import SandboxDirectory
from adapters.sandbox.platform import PLATFORM
from adapters.web.access import (
    ACCESS,
    APP_CONTEXT,
    Viewer,
    chrome,
    install,
    see_other,
    set_session,
    speak_page,
    switched_language,
    unauthorized,
    viewer,
)
from adapters.web.config import WebConfig
from adapters.web.html import page
from bot import i18n
from bot.context import names, row_id, team_leads
from bot.model import Interaction, Reply
from bot.render import render_error, render_macro
from bot.rituals import catalog
from bot.runtime import Runtime
from bot.serialize import card_to_dict, form_to_dict
from bot.teams import primary_team
from storage.db import transaction
from storage.models import Organization, Person, SandboxMessage, Team, TeamMember

log = logging.getLogger(__name__)
PEOPLE_SHOWN = 200
TEAMS_SHOWN = 60
MAX_MESSAGE = 4000


def _demo_rituals() -> dict[str, str]:
    """The rituals a lead can run now from a channel page (name -> button label), from the catalog."""
    return {r.name: r.button for r in catalog.CATALOG.values() if r.button}


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html")


def _refused(status: type[web.HTTPException], reason: str) -> web.HTTPException:
    """A plain-text answer to a request the sandbox cannot serve (prompts/sandbox.j2), in the language of the
    page (the person's, once `viewer` knows them)."""
    return status(text=render_macro("sandbox", reason))


def channel_url(channel: str, **query: str | int) -> str:
    url = "/sandbox/c/" + quote("dm" if channel.startswith("dm:") else channel, safe="")
    return url + ("?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items()) if query else "")


async def posted(request: web.Request):
    """The form a browser posted; one that cannot be read (a broken multipart body) is the sender's mistake."""
    try:
        return await request.post()
    except ValueError as exc:
        raise _refused(web.HTTPBadRequest, "unreadable_form") from exc


def _channel(who: Viewer, name: str) -> str:
    """The stored channel id for a URL name: a team key, or "dm" for the viewer's own direct messages."""
    return store.dm_channel(who.person.id) if name == "dm" else name


# ------------------------------------------------------------------ choosing who you are


async def pick(request: web.Request) -> web.Response:
    """Local demo only: choose an organization and a person to be (no password: only this machine gets here)."""
    ctx = request.app[APP_CONTEXT]
    who = None
    org_hint = request.query.get("org", "")
    search = request.query.get("q", "").strip()[:100]

    def build() -> str:
        with ctx.sessions() as session:
            orgs = list(session.scalars(select(Organization).order_by(Organization.id).limit(50)))
            org = next((o for o in orgs if str(o.id) == org_hint), orgs[0] if orgs else None)
            speak_page(request, Viewer(org, None) if org else None)
            people = []
            if org is not None:
                query = select(Person).where(Person.org_id == org.id)
                if search:
                    needle = f"%{search.lower()}%"
                    query = query.where(or_(func.lower(Person.name).like(needle),
                                            func.lower(Person.email).like(needle)))
                people = list(session.scalars(query.order_by(Person.name, Person.id).limit(PEOPLE_SHOWN)))
            return page("pick.html.j2", chrome=chrome(request, who), orgs=orgs, org=org, people=people, q=search,
                        limit=PEOPLE_SHOWN)

    return _html(await asyncio.to_thread(build))


async def pick_submit(request: web.Request) -> web.Response:
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    speak_page(request, None)  # nobody yet: the language switch's, else English
    if not access.open:
        raise _refused(web.HTTPForbidden, "pick_local_only")
    data = await posted(request)
    raw = row_id(str(data.get("person", "")))

    def load() -> tuple[int, int, str] | None:
        with ctx.sessions() as session:
            person = session.get(Person, raw) if raw else None
            if person is None:
                return None
            team = primary_team(session, person.org_id, person.id)
            return person.org_id, person.id, team.key if team else "dm"

    found = await asyncio.to_thread(load)
    if found is None:
        raise web.HTTPSeeOther("/sandbox")
    org_id, person_id, first = found
    response = see_other(channel_url(first))
    set_session(request, response, org_id, person_id)
    return response


async def home(request: web.Request) -> web.Response:
    """/sandbox: on this machine, pick who you are (again with ?switch=1); with a session, your first channel."""
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    try:
        who = await viewer(request)
    except web.HTTPNotFound:  # no organization at all: on this machine, the page that starts one from nothing
        if access.open:
            return await pick(request)
        raise
    if access.open and (who.person is None or "switch" in request.query):
        return await pick(request)
    if who.person is None:
        raise unauthorized(request, "no_session")

    def first() -> str:
        with ctx.sessions() as session:
            team = primary_team(session, who.org.id, who.person.id)
            return team.key if team else "dm"

    raise web.HTTPSeeOther(channel_url(await asyncio.to_thread(first)))


async def start_empty(request: web.Request) -> web.Response:
    """A new, empty organization with you as its installer: the set-up walk of Slack and Teams, here (the
    welcome is in your direct messages). Local sandbox only, like choosing who you are."""
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    speak_page(request, None)
    if not access.open:
        raise _refused(web.HTTPForbidden, "start_local_only")
    data = await posted(request)
    email = str(data.get("email", "")).strip().lower()[:254] or "you@example.com"
    if "@" not in email:
        email = "you@example.com"

    def create() -> int:
        with transaction(ctx.sessions) as session:
            org = Organization(name=i18n.gettext("New organization"), timezone="UTC", created_at=ctx.clock.now())
            session.add(org)
            session.flush()
            return org.id

    org_id = await asyncio.to_thread(create)
    card = await asyncio.to_thread(ctx.core.welcome, PLATFORM.name, str(org_id), email)

    def welcome() -> int | None:
        with transaction(ctx.sessions) as session:
            person = session.scalar(select(Person).where(Person.org_id == org_id, Person.email == email))
            if person is not None and card is not None:
                store.add_message(session, org_id, store.dm_channel(person.id), ctx.clock.now(), text=card.fallback,
                                  card=card_to_dict(card), visible_to=person.id)
            return person.id if person else None

    person_id = await asyncio.to_thread(welcome)
    if person_id is None:
        raise web.HTTPSeeOther("/sandbox")
    response = see_other(channel_url("dm"))
    set_session(request, response, org_id, person_id)
    return response


# ------------------------------------------------------------------ a channel


async def channel(request: web.Request) -> web.Response:
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    name = request.match_info["channel"]
    chan = _channel(who, name)
    form_id = row_id(request.query.get("form", ""))

    def build() -> tuple[str, int]:
        with ctx.sessions() as session:
            team = None if chan.startswith("dm:") else store.channel_team(session, who.org.id, chan)
            if team is None and not chan.startswith("dm:"):
                return _render(session, who, chan, None, request, missing=name), 404
            dialog = None
            if form_id:
                dialog = _dialog(session, who, form_id, {}, {})
            return _render(session, who, chan, team, request, dialog=dialog), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


def _dialog(session, who: Viewer, message_id: int, values: dict, errors: dict) -> dict | None:
    row = store.find_message(session, who.org.id, who.person.id, message_id)
    form = (row.card or {}).get(store.FORM_KEY) if row is not None else None
    if row is None or form is None or row.visible_to_person_id != who.person.id:
        return None
    return {"id": row.id, "form": form, "typed": values, "errors": errors,
            "action": f"/sandbox/forms/{row.id}", "cancel": channel_url(row.channel_id)}


def _render(session, who: Viewer, chan: str, team: Team | None, request: web.Request, *, dialog=None,
            missing: str | None = None, notice: str | None = None) -> str:
    mine = list(session.scalars(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                                .where(TeamMember.person_id == who.person.id).order_by(Team.name)))
    others = list(session.scalars(select(Team).where(Team.org_id == who.org.id, Team.id.not_in([t.id for t in mine]))
                                  .order_by(Team.level, Team.name).limit(TEAMS_SHOWN)))
    messages = store.channel_messages(session, who.org.id, chan, who.person.id) if missing is None else []
    return page(
        "sandbox.html.j2", chrome=chrome(request, who), org=who.org, me=who.person, channel=chan, team=team,
        title=team.name if team else None, mine=mine, others=others, messages=messages,
        channel_url=channel_url, dialog=dialog, missing=missing, rituals=_demo_rituals(),
        notice=notice or request.query.get("notice", ""), open=request.app[ACCESS].open,
    )


# ------------------------------------------------------------------ talking to the core


def _interaction(request: web.Request, who: Viewer, chan: str, kind: str, **fields) -> Interaction:
    """What the person did, as an adapter tells the core; the language switch is the sandbox's platform
    locale (the person's own `/okr language` still wins, as over Slack's or Teams')."""
    return Interaction(platform=PLATFORM.name, workspace=str(who.org.id), actor=who.person.email,
                       actor_email=who.person.email, actor_name=who.person.name, kind=kind, conversation=chan,
                       actor_locale=switched_language(request), **fields)


def _store_reply(ctx, who: Viewer, chan: str, reply: Reply, thread: int | None = None) -> int | None:
    """Keep the core's answer as messages; returns the id of a form to open, if the reply is one."""
    with transaction(ctx.sessions) as session:
        now = ctx.clock.now()
        if reply.card is not None:
            ephemeral = reply.visibility == "ephemeral"
            store.add_message(session, who.org.id, chan, now, text=reply.card.fallback, card=card_to_dict(reply.card),
                              visible_to=who.person.id if ephemeral else None, thread_id=thread)
        if reply.form is not None:
            row = store.add_message(session, who.org.id, chan, now, text=reply.form.title,
                                    card={store.FORM_KEY: form_to_dict(reply.form)}, visible_to=who.person.id)
            return row.id
    return None


def _handle(ctx, interaction: Interaction) -> Reply:
    return ctx.core.handle(interaction)


def _command_text(text: str) -> str | None:
    """The command in what was typed: "/okr mine" or "@okrbot mine" -> "mine"; plain chat -> None."""
    words = text.split(maxsplit=1)
    if words and words[0].lower() in ("/okr", "@okrbot"):
        return words[1] if len(words) > 1 else ""
    return None


async def say(request: web.Request) -> web.Response:
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    chan = _channel(who, request.match_info["channel"])
    text = str((await posted(request)).get("text", "")).strip()[:MAX_MESSAGE]
    if not text:
        raise web.HTTPSeeOther(channel_url(chan))
    command = _command_text(text)

    def keep() -> bool:
        with transaction(ctx.sessions) as session:
            team = None if chan.startswith("dm:") else store.channel_team(session, who.org.id, chan)
            if team is None and not chan.startswith("dm:"):
                return False
            store.add_message(session, who.org.id, chan, ctx.clock.now(), text=text, author_id=who.person.id,
                              visible_to=who.person.id if command is not None else None)
            return True

    if not await asyncio.to_thread(keep):
        raise _refused(web.HTTPNotFound, "no_channel")
    form = None
    if command is not None:
        reply = await asyncio.to_thread(_handle, ctx, _interaction(request, who, chan, "command", text=command))
        form = await asyncio.to_thread(_store_reply, ctx, who, chan, reply)
    return _after(chan, form)


def _after(chan: str, form: int | None) -> web.Response:
    url = channel_url(chan, form=form) + "#dialog" if form else channel_url(chan) + "#latest"
    return see_other(url)


async def click(request: web.Request) -> web.Response:
    """A card's button: the same action id and value a Slack or Teams button would carry."""
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    chan = _channel(who, request.match_info["channel"])
    data = await posted(request)
    message = str(data.get("message_id", ""))
    message_row = row_id(message)

    def check() -> int | None:
        with ctx.sessions() as session:
            row = store.find_message(session, who.org.id, who.person.id, message_row) if message_row else None
            return row.thread_id if row is not None and row.channel_id == chan else -1

    thread = await asyncio.to_thread(check)
    if thread == -1:
        raise _refused(web.HTTPNotFound, "no_message")
    interaction = _interaction(request, who, chan, "action", name=str(data.get("action_id", ""))[:200],
                               value=str(data.get("value", ""))[:2000], message_id=message)
    reply = await asyncio.to_thread(_handle, ctx, interaction)
    form = await asyncio.to_thread(_store_reply, ctx, who, chan, reply, thread)
    return _after(chan, form)


async def submit(request: web.Request) -> web.Response:
    """A form: errors come back by their fields with what was typed kept; nothing is saved until all are right."""
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    message_id = row_id(request.match_info["message"])
    data = await posted(request)

    def load() -> tuple[dict, str] | None:
        with ctx.sessions() as session:
            found = _dialog(session, who, message_id, {}, {}) if message_id else None
            row = session.get(SandboxMessage, message_id) if found else None
            return (found, row.channel_id) if found and row else None

    def done() -> None:
        """Drawn as sent from now on (the inbox key, claimed with the saving, is what makes it save once)."""
        with transaction(ctx.sessions) as session:
            row = session.get(SandboxMessage, message_id, with_for_update=True)
            row.card = {**(row.card or {}), "done": True}

    loaded = await asyncio.to_thread(load)
    if loaded is None:
        raise _refused(web.HTTPNotFound, "no_form")
    dialog, chan = loaded
    form = dialog["form"]
    values = {f["name"]: str(data.get(f["name"], ""))[:MAX_MESSAGE] for f in form["fields"]}
    interaction = _interaction(request, who, chan, "submit", name=form["form_id"], form=values,
                               value=form.get("metadata", ""), key=f"sandbox:form:{message_id}")
    reply = await asyncio.to_thread(_handle, ctx, interaction)
    if reply.duplicate:  # a double click: the first POST saved it
        return see_other(channel_url(chan, notice=reply.card.fallback if reply.card else "") + "#latest")
    if reply.errors:  # nothing was saved: the form can be sent again, corrected

        def again() -> str:
            with ctx.sessions() as session:
                team = None if chan.startswith("dm:") else store.channel_team(session, who.org.id, chan)
                shown = _dialog(session, who, message_id, values, dict(reply.errors))
                return _render(session, who, chan, team, request, dialog=shown)

        return _html(await asyncio.to_thread(again), status=422)
    await asyncio.to_thread(done)
    opened = await asyncio.to_thread(_store_reply, ctx, who, chan, reply)
    return _after(chan, opened)


async def reply_in_thread(request: web.Request) -> web.Response:
    """A reply under a message; under a Friday wins post it is a win (the core decides)."""
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    chan = _channel(who, request.match_info["channel"])
    root = row_id(request.match_info["root"])
    text = str((await posted(request)).get("text", "")).strip()[:MAX_MESSAGE]

    def keep() -> int | None:
        with transaction(ctx.sessions) as session:
            row = store.find_message(session, who.org.id, who.person.id, root) if root else None
            if row is None or row.channel_id != chan or row.thread_id is not None:
                return None
            return store.add_message(session, who.org.id, chan, ctx.clock.now(), text=text, author_id=who.person.id,
                                     thread_id=row.id).id

    if not text:
        raise web.HTTPSeeOther(channel_url(chan))
    reply_id = await asyncio.to_thread(keep)
    if reply_id is None:
        raise _refused(web.HTTPNotFound, "no_thread")
    command = _command_text(text)
    kind, said = ("command", command) if command is not None else ("message", text)
    interaction = _interaction(request, who, chan, kind, text=said, thread_id=str(root), message_id=str(reply_id))
    reply = await asyncio.to_thread(_handle, ctx, interaction)
    form = await asyncio.to_thread(_store_reply, ctx, who, chan, reply, root)
    return see_other(channel_url(chan, form=form) + "#dialog" if form else channel_url(chan) + f"#m{root}")


async def run_ritual(request: web.Request) -> web.Response:
    """Demo: post a team's ritual now, through the rituals and the sandbox Messenger, as the clock would.

    Forced, so the demo can be repeated within a week; run_ritual never raises for bad input and says
    what happened, which is shown as a notice. Forcing posts into the team's channels on every platform
    it is bound to, so it is the team leads' call: anyone else is told who can."""
    who = await viewer(request, need_person=True)
    ctx = request.app[APP_CONTEXT]
    chan = _channel(who, request.match_info["channel"])
    ritual = str((await posted(request)).get("ritual", ""))
    label = _demo_rituals().get(ritual)
    if label is None or chan.startswith("dm:"):
        raise web.HTTPSeeOther(channel_url(chan))

    def refusal() -> str | None:
        with ctx.sessions() as session:
            team = store.channel_team(session, who.org.id, chan)
            if team is None:
                raise _refused(web.HTTPNotFound, "no_channel")
            leads = team_leads(session, team)
            if any(lead.id == who.person.id for lead in leads):
                return None
            return render_error("leads_only", team=team.name, leads=names(leads))

    refused = await asyncio.to_thread(refusal)
    if refused is not None:
        return see_other(channel_url(chan, notice=f"{label}: {refused}") + "#latest")
    from bot.rituals import run_ritual as run

    outcome = await run(ctx, chan, ritual, at=ctx.clock.now(), force=True, org_id=who.org.id)
    notice = f"{label}: {outcome.message}."
    return see_other(channel_url(chan, notice=notice) + "#latest")


def mount(app: web.Application, ctx: Runtime, config: WebConfig) -> None:
    """Register the sandbox's pages on the shared web application."""
    install(app, ctx, config)
    ctx.core.directories[PLATFORM.name] = SandboxDirectory()  # the set-up walk, on a pretend workspace
    app.router.add_get("/sandbox", home)
    app.router.add_post("/sandbox/as", pick_submit)
    app.router.add_post("/sandbox/new", start_empty)
    app.router.add_get("/sandbox/c/{channel}", channel)
    app.router.add_post("/sandbox/c/{channel}/messages", say)
    app.router.add_post("/sandbox/c/{channel}/actions", click)
    app.router.add_post("/sandbox/c/{channel}/threads/{root}", reply_in_thread)
    app.router.add_post("/sandbox/c/{channel}/rituals", run_ritual)
    app.router.add_post("/sandbox/forms/{message}", submit)
