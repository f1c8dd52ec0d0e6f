"""Requests a browser was tricked into sending are refused before any page or form handler runs.

One middleware, two checks, for every path but the machine endpoints (Slack, Teams and the health
check prove themselves with signatures and tokens, or change nothing):

- DNS rebinding: a page on attacker.example can make its name resolve to 127.0.0.1 and then read and
  post to an open (loopback) okrbot as if it were its own site. The browser still names the host it
  thinks it talks to, so an open server answers only to loopback names (localhost, 127.0.0.1, [::1],
  any port) and to PUBLIC_URL's host; any other name gets 421 Misdirected Request.
- Cross-site forms: a page elsewhere can post a form here with the visitor's cookie. Every
  state-changing request must say it comes from one of this server's own pages: its Origin (or, when
  a browser sends none, its Referer) must name the host the request was sent to, or PUBLIC_URL.
  Anything else, no header at all included, gets 403. Browsers send Origin on every form POST.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from adapters.web.access import ACCESS, chrome, is_loopback, speak_page
from adapters.web.html import page
from bot.storable import has_unstorable

# The REST API (adapters.api) proves itself with bearer tokens and checks the Host itself, in JSON.
MACHINE_PATHS = ("/slack/", "/api/messages", "/api/v1/", "/healthz")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def hostname(netloc: str) -> str | None:
    """The host name of a Host header or URL authority, lowercased, without port or brackets."""
    try:
        return urlsplit("//" + netloc).hostname
    except ValueError:  # an unbalanced bracket, a port that is no number
        return None


def served_name(host: str | None, public_url: str | None) -> bool:
    """Whether an open server answers to this Host header."""
    if not host:
        return True  # no Host header at all: no browser sent it, so no rebinding
    name = hostname(host)
    if name is None:
        return False
    public = urlsplit(public_url or "").hostname
    return is_loopback(name) or (public is not None and name == public)


def same_origin(request: web.Request, public_url: str | None) -> bool:
    """Whether the request's Origin (else Referer) is the server the request was sent to, or PUBLIC_URL."""
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    if source in ("", "null"):
        return False
    try:
        parts = urlsplit(source)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    host = request.headers.get("Host", "").lower()
    if host and parts.netloc.lower() == host:
        return True
    public = urlsplit(public_url or "")
    return bool(public.netloc) and (parts.scheme, parts.netloc.lower()) == (public.scheme, public.netloc.lower())


def _refusal(request: web.Request, status: type[web.HTTPException], reason: str, **context: object
             ) -> web.HTTPException:
    speak_page(request, None)
    body = page("message.html.j2", chrome=chrome(request, None), reason=reason, **context)
    return status(text=body, content_type="text/html")


@web.middleware
async def guard(request: web.Request, handler):
    if request.path.startswith(MACHINE_PATHS):
        return await handler(request)
    public_url = request.app[ACCESS].public_url
    if request.app[ACCESS].open and not served_name(request.headers.get("Host"), public_url):
        raise _refusal(request, web.HTTPMisdirectedRequest, "wrong_host",
                       given=hostname(request.headers.get("Host", "")) or request.headers.get("Host", ""))
    if request.method not in SAFE_METHODS and not same_origin(request, public_url):
        raise _refusal(request, web.HTTPForbidden, "cross_site")
    return await handler(request)


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@web.middleware
async def unstorable_input(request: web.Request, handler):
    """A NUL byte or a lone surrogate in a page's address, query or form can be neither stored nor looked up
    (bot.storable): such a request is refused here, once for every page, with a page saying what to do."""
    if request.path.startswith(MACHINE_PATHS):
        return await handler(request)
    texts = [request.path, *request.query.keys(), *request.query.values()]
    if request.method == "POST" and request.content_type in FORMS:
        try:
            form = await request.post()  # parsed once: the handler's own request.post() gets the same
        except ValueError:  # a broken body: the handler refuses it in its own words
            form = {}
        texts += [*form.keys(), *(value for value in form.values() if isinstance(value, str))]
    if any(has_unstorable(text) for text in texts):
        raise _refusal(request, web.HTTPBadRequest, "unstorable")
    return await handler(request)
