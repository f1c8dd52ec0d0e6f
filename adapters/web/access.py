"""Who may see the dashboard (and use the sandbox), and as whom.

Served on the loopback interface (the default), pages are open: only someone at this machine can
reach them. Served on any other interface, every page needs a session: `/okr dashboard` in a chat
hands out a signed, expiring sign-in link (bot.signin) and `/signin` turns it into a signed session
cookie (HttpOnly, SameSite=Lax). A session names one person of one organization and shows nothing
else. Without SECRET_KEY nothing can be signed that outlives the process, so a public dashboard
stays locked and says why.

A page speaks the signed-in person's own language (`/okr language`), else the one its language switch
chose (`?lang=es`, remembered in a cookie), else the organization's (bot.i18n).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapters.web.config import WebConfig
from adapters.web.html import page
from bot import i18n
from bot.context import row_id
from bot.runtime import Runtime
from bot.signin import SESSION_LIFETIME, Identity, session_token, verify
from storage.db import insert_ignoring_conflicts, transaction
from storage.models import Organization, Person, SpentToken

COOKIE = "okrbot_session"
LANGUAGE_COOKIE = "okrbot_language"  # the language switch's choice (not a secret, readable by pages)
LANGUAGE_LIFETIME = 365 * 24 * 3600
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass(frozen=True)
class Access:
    key: str  # SECRET_KEY, or a key of this process only (local use, sessions end with the process)
    open: bool  # loopback: no sign-in needed
    signed_links: bool  # SECRET_KEY is set, so `/okr dashboard` can hand out sign-in links
    secure_cookie: bool
    sandbox: bool
    public_url: str | None = None  # PUBLIC_URL: the other name the pages answer to, the origin forms come from


ACCESS = web.AppKey("okrbot_access", Access)
APP_CONTEXT = web.AppKey("okrbot_web_context", Runtime)


def install(app: web.Application, ctx: Runtime, config: WebConfig) -> None:
    """Shared by the dashboard and the sandbox, whichever is set up first."""
    if APP_CONTEXT not in app:
        from adapters.web.errors import friendly_errors
        from adapters.web.guard import guard, unstorable_input

        app[APP_CONTEXT] = ctx
        app[ACCESS] = make_access(config)
        app.middlewares.append(guard)
        app.middlewares.append(unstorable_input)
        app.middlewares.append(friendly_errors)
        app.middlewares.append(remember_language)


def is_loopback(host: str) -> bool:
    """Whether a host name or address can only be this machine (the one rule for open mode, the Host
    guard and /metrics)."""
    host = host.strip().lower()
    return host in LOOPBACK or host.startswith("127.")


def open_locally(config: WebConfig) -> bool:
    """Open only when nothing but this machine can reach the pages: a loopback HOST is not enough when
    a PUBLIC_URL elsewhere points at it (a reverse proxy on this host forwards the internet to it)."""
    public = urlsplit(config.public_url or "").hostname
    return is_loopback(config.host) and (public is None or is_loopback(public))


def make_access(config: WebConfig) -> Access:
    return Access(
        key=config.secret_key or secrets.token_urlsafe(32),
        open=open_locally(config),
        signed_links=bool(config.secret_key),
        secure_cookie=(config.public_url or "").startswith("https://"),
        sandbox=config.sandbox,
        public_url=config.public_url,
    )


@dataclass(frozen=True)
class Viewer:
    """The organization a page is about and the person looking (None: an anonymous local visitor)."""

    org: Organization
    person: Person | None


def session_identity(request: web.Request) -> Identity | None:
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    return verify(access.key, "session", request.cookies.get(COOKIE, ""), ctx.clock.now())


def resolve(session: Session, identity: Identity | None, org_hint: str | None, anonymous_ok: bool) -> Viewer | None:
    """The viewer in `session`: the session's person in their own organization, else (local and
    anonymous) the organization the `org` parameter names, or the first one. A session whose person
    is gone is anonymous where anonymous visitors are welcome, and nobody elsewhere."""
    if identity is not None and session.get(SpentToken, identity.digest) is not None:  # signed out
        if not anonymous_ok:
            return None
        identity = None
    if identity is not None:
        person = session.scalar(select(Person).where(
            Person.id == identity.person_id, Person.org_id == identity.org_id))
        org = session.get(Organization, identity.org_id) if person else None
        if org and person:
            return Viewer(org, person)
        if not anonymous_ok:
            return None
    query = select(Organization).order_by(Organization.id).limit(1)
    if org_hint and (hinted := row_id(org_hint)):
        query = select(Organization).where(Organization.id == hinted)
    org = session.scalar(query)
    return Viewer(org, None) if org else None


def _load(ctx: Runtime, identity: Identity | None, org_hint: str | None, anonymous_ok: bool) -> Viewer | None:
    with ctx.sessions() as session:
        return resolve(session, identity, org_hint, anonymous_ok)


def admit(request: web.Request) -> Identity | None:
    """The request's session, or 401 when this server is public and there is none."""
    identity = session_identity(request)
    if identity is None and not request.app[ACCESS].open:
        raise unauthorized(request, "no_session")
    return identity


def no_organization(request: web.Request) -> web.HTTPNotFound:
    speak_page(request, None)
    return web.HTTPNotFound(text=page("message.html.j2", chrome=chrome(request, None), reason="empty"),
                            content_type="text/html")


async def viewer(request: web.Request, *, need_person: bool = False) -> Viewer:
    """The viewer of this request, or an HTTP 401 page that says how to get in.

    A session always wins and pins the organization; the `org` query parameter only chooses among
    organizations for an anonymous local visitor.
    """
    ctx = request.app[APP_CONTEXT]
    identity = admit(request)
    found = await asyncio.to_thread(_load, ctx, identity, request.query.get("org"), request.app[ACCESS].open)
    if found is None and identity is not None and not request.app[ACCESS].open:
        raise unauthorized(request, "no_session")
    if found is None:
        raise no_organization(request)
    if need_person and found.person is None:
        raise web.HTTPSeeOther("/sandbox")
    speak_page(request, found)
    return found


def switched_language(request: web.Request) -> str | None:
    """The language the pages' switch chose: `?lang=` on this request, else the cookie an earlier one left."""
    return i18n.supported(request.query.get("lang")) or i18n.supported(request.cookies.get(LANGUAGE_COOKIE))


def page_language(request: web.Request, who: Viewer | None) -> str:
    """The person's own choice, else the switch's, else the organization's (bot.i18n.choose)."""
    person = who.person if who else None
    return i18n.choose(person.language if person else None, switched_language(request),
                       who.org.language if who else None)


def speak_page(request: web.Request, who: Viewer | None) -> str:
    """Speak the page's language for the rest of this request (a worker thread's own copy of the context
    when called there), so the page and everything built for it (chart labels, dates) speak it."""
    i18n.set_speaking(page_language(request, who))
    return i18n.current()


@web.middleware
async def remember_language(request: web.Request, handler):
    """`?lang=` on any page is remembered for the next ones (a redirect included)."""
    chosen = i18n.supported(request.query.get("lang"))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if chosen:
            exc.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_LIFETIME, samesite="Lax", path="/")
        raise
    if chosen and isinstance(response, web.StreamResponse) and not response.prepared:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_LIFETIME, samesite="Lax", path="/")
    return response


def chrome(request: web.Request, who: Viewer | None) -> dict:
    """What every page's header needs: who is signed in, and the language switch (each shipped language with
    the address of this page in it; a form's result page switches on its channel's page)."""
    access = request.app[ACCESS]
    person = who.person if who else None
    here = request.rel_url if request.method == "GET" else request.rel_url.with_query({})
    if request.method != "GET" and request.path.startswith("/sandbox/forms/"):
        here = here.with_path("/sandbox")
    spoken = i18n.catalog_of(i18n.current())
    languages = [(tag, name, str(here.update_query(lang=tag)), i18n.catalog_of(tag) == spoken)
                 for tag, name in i18n.languages()]
    return {"sandbox": access.sandbox, "me": person.name if person else None,
            "org": who.org.name if who else "", "language": i18n.current(), "languages": languages}


def unauthorized(request: web.Request, reason: str) -> web.HTTPUnauthorized:
    access = request.app[ACCESS]
    speak_page(request, None)
    body = page("message.html.j2", chrome=chrome(request, None),
                reason=reason if access.signed_links else "no_secret_key")
    return web.HTTPUnauthorized(text=body, content_type="text/html")


def see_other(location: str) -> web.Response:
    """A redirect after a POST, as a plain response so cookies can be set on it."""
    return web.Response(status=303, headers={"Location": location})


def set_session(request: web.Request, response: web.StreamResponse, org_id: int, person_id: int) -> None:
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    response.set_cookie(
        COOKIE, session_token(access.key, org_id, person_id, ctx.clock.now()), max_age=int(
            SESSION_LIFETIME.total_seconds()), httponly=True, samesite="Lax", secure=access.secure_cookie, path="/")


def spend(session: Session, identity: Identity, purpose: str, now) -> bool:
    """Mark a token used (a link) or ended (a session) until it expires; False when it already was.

    One INSERT on the token's digest, the primary key: of two simultaneous uses exactly one inserts, on
    SQLite and PostgreSQL alike, and the record survives a restart. Expired records are swept here."""
    session.execute(delete(SpentToken).where(SpentToken.expires_at < now))
    inserted = session.scalar(insert_ignoring_conflicts(session, SpentToken).values(
        digest=identity.digest, org_id=identity.org_id, purpose=purpose, expires_at=identity.expires,
    ).on_conflict_do_nothing(index_elements=["digest"]).returning(SpentToken.digest))
    return inserted is not None


def _redeem(ctx: Runtime, identity: Identity) -> Viewer | None:
    """The link's person, once: the link is spent in the same transaction that finds them."""
    with transaction(ctx.sessions) as session:
        found = resolve(session, identity, None, False)
        if found is None or found.person is None or not spend(session, identity, "link", ctx.clock.now()):
            return None
        return found


async def signin(request: web.Request) -> web.StreamResponse:
    """Turn a signed link from `/okr dashboard` into a session; a forged, stale or used link gets 401."""
    access, ctx = request.app[ACCESS], request.app[APP_CONTEXT]
    identity = verify(access.key, "link", request.query.get("t", ""), ctx.clock.now()) if access.signed_links else None
    found = await asyncio.to_thread(_redeem, ctx, identity) if identity else None
    if found is None:
        raise unauthorized(request, "bad_link")
    response = see_other("/")
    set_session(request, response, found.org.id, found.person.id)
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    """End the session on the server too: a copy of the cookie kept elsewhere no longer signs anyone in."""
    ctx = request.app[APP_CONTEXT]
    identity = session_identity(request)
    if identity is not None:

        def end() -> None:
            with transaction(ctx.sessions) as session:
                spend(session, identity, "session", ctx.clock.now())

        await asyncio.to_thread(end)
    response = see_other("/sandbox" if request.app[ACCESS].sandbox and request.app[ACCESS].open else "/")
    response.del_cookie(COOKIE, path="/")
    return response
