"""The dashboard's forms: the core's own Forms and buttons, on a page, for a signed-in person.

The dashboard has no rules of its own for what a form saves. A page asks the core for the very Form a chat
command opens (`/okr draft TEAM` opens the drafting form), draws it as the sandbox draws forms
(form.html.j2: each error by its field, what was typed kept) and sends what the person submitted, or the
button they pressed, to the same handler through the core: one transaction, the same refusals in the
person's language, and the inbox's key, so a double click saves once (bot.inbox). To the core the pages are
the browser platform, the sandbox's (its workspace is the organization, a person is their email).

Only the forms and buttons named in FORMS and ACTIONS can be sent from a page; each page's form carries
its metadata (as a Slack modal's private_metadata) and a key of its own drawing in its address.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from urllib.parse import urlencode

from aiohttp import web

from adapters.sandbox.platform import PLATFORM
from adapters.web.access import APP_CONTEXT, Viewer, chrome, switched_language, viewer
from adapters.web.html import page
from bot.model import Interaction, Reply
from bot.serialize import card_to_dict, form_to_dict

# The forms a page may send (form id -> the chat command that opens it), and the buttons of their replies a
# page may press; OPENERS are the buttons among them that open a form (so open it again with its errors).
FORMS = {"draft": "draft"}
ACTIONS = {"draft_open", "draft_submit", "draft_remove", "proposal_shortlist"}
OPENERS = {"draft_open"}
MAX_VALUE = 4000
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,43}$")


def _interaction(request: web.Request, who: Viewer, kind: str, **fields) -> Interaction:
    return Interaction(platform=PLATFORM.name, workspace=str(who.org.id), actor=who.person.email,
                       actor_email=who.person.email, actor_name=who.person.name, kind=kind,
                       actor_locale=switched_language(request), **fields)


async def _signed_in(request: web.Request) -> Viewer:
    """The person of this request; a visitor nobody signed in as is told how to sign in (401)."""
    who = await viewer(request)
    if who.person is None:
        raise web.HTTPUnauthorized(text=page("message.html.j2", chrome=chrome(request, who), reason="need_person"),
                                   content_type="text/html")
    return who


async def _ask(request: web.Request, who: Viewer, opener: str) -> Reply | None:
    """What opens a form, run again: "c|COMMAND" (one of FORMS') or "a|ACTION|VALUE" (one of OPENERS);
    None for anything else. Both only read: a form opens, nothing is saved."""
    kind, _, rest = opener.partition("|")
    if kind == "c" and rest.split(" ", 1)[0] in FORMS.values():
        return await _handle(request, _interaction(request, who, "command", text=rest))
    name, _, value = rest.partition("|")
    if kind == "a" and name in OPENERS:
        return await _handle(request, _interaction(request, who, "action", name=name, value=value))
    return None


async def _handle(request: web.Request, interaction: Interaction) -> Reply:
    return await asyncio.to_thread(request.app[APP_CONTEXT].core.handle, interaction)


def _answer(request: web.Request, who: Viewer, reply: Reply, back: str, opener: str, *, values=None,
            status: int = 200) -> web.Response:
    """The core's reply as a page: a form to fill in (with the errors of a refused one by their fields), or its
    card with working buttons."""
    form = form_to_dict(reply.form) if reply.form is not None else None
    action = ""
    if reply.form is not None:
        query = urlencode({"m": reply.form.metadata, "o": opener, "back": back, "k": secrets.token_urlsafe(16)})
        action = f"/forms/{reply.form.form_id}?{query}"
    body = page("reply.html.j2", chrome=chrome(request, who), form=form, action=action, values=values or {},
                errors=dict(reply.errors or {}), card=card_to_dict(reply.card) if reply.card is not None else None,
                buttons={"url": f"/act?{urlencode({'back': back})}", "message_id": ""}, back=back)
    return web.Response(text=body, status=status, content_type="text/html")


def _back(request: web.Request) -> str:
    """Where "back" goes: a page of this dashboard the form came from, else the dashboard."""
    back = request.query.get("back", "")
    return back if back.startswith("/") and not back.startswith("//") else "/"


async def open_form(request: web.Request, command: str, back: str) -> web.Response:
    """A page's form: the core's answer to the chat command that opens it (its form, or why not)."""
    who = await _signed_in(request)
    opener = f"c|{command}"
    reply = await _ask(request, who, opener)
    assert reply is not None, command  # a page opens only the commands of FORMS
    return _answer(request, who, reply, back, opener)


async def command(request: web.Request, text: str, back: str) -> web.Response:
    """A page's control that is a chat command (`proposals merge 4 into 2`): the core's answer on a page."""
    who = await _signed_in(request)
    reply = await _handle(request, _interaction(request, who, "command", text=text))
    return _answer(request, who, reply, back, "")


async def send_form(request: web.Request) -> web.Response:
    """A page's form sent: saved through the core, or drawn again with each error by its field (422)."""
    who = await _signed_in(request)
    form_id = request.match_info["form"]
    if form_id not in FORMS:
        raise web.HTTPNotFound(text="No such form.")
    data = await request.post()
    values = {name: str(value)[:MAX_VALUE] for name, value in data.items() if isinstance(value, str)}
    metadata, opener, nonce = (request.query.get(name, "")[:200] for name in ("m", "o", "k"))
    key = f"web:form:{who.org.id}:{who.person.id}:{nonce}" if _KEY.match(nonce) else None
    back = _back(request)
    reply = await _handle(request, _interaction(request, who, "submit", name=form_id, form=values, value=metadata,
                                                key=key))
    if not reply.errors:
        return _answer(request, who, reply, back, opener)
    # Nothing was saved: the same form again, each error by its field and what was typed kept.
    opened = await _ask(request, who, opener)
    if opened is None or opened.form is None:  # it no longer opens for them (or never did): say why
        return _answer(request, who, opened or Reply(errors=reply.errors), back, opener, status=422)
    return _answer(request, who, Reply(form=opened.form, errors=reply.errors), back, opener, values=values,
                   status=422)


async def press(request: web.Request) -> web.Response:
    """A button of a reply's card: the same action id and value a chat button carries."""
    who = await _signed_in(request)
    data = await request.post()
    name, value = str(data.get("action_id", ""))[:64], str(data.get("value", ""))[:200]
    if name not in ACTIONS:
        raise web.HTTPNotFound(text="No such button.")
    reply = await _handle(request, _interaction(request, who, "action", name=name, value=value))
    return _answer(request, who, reply, _back(request), f"a|{name}|{value}")


def mount(app: web.Application) -> None:
    app.router.add_post("/forms/{form}", send_form)
    app.router.add_post("/act", press)

