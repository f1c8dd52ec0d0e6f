"""The REST API under /api/v1/: aiohttp routes over bot.api, answers in JSON, errors as RFC 9457 problems.

A sub-application of `okrbot serve` with its own middleware: every answer it gives, an unknown path and a
crash included, is JSON. Callers prove themselves with a bearer token, never a cookie, so the web guard's
Origin rule (against cross-site forms riding a session cookie) does not apply here; the Host rule against
DNS rebinding does, checked by the middleware below with the guard's own function.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from adapters.api.openapi import document
from adapters.web.access import ACCESS
from adapters.web.guard import hostname, served_name
from bot import i18n
from bot.api import keyresults
from bot.api.problems import Problem
from bot.api.ratelimit import RateLimiter
from bot.api.service import Answer, Api
from bot.runtime import Runtime

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
API = web.AppKey("okrbot_api", Api)
MAX_BODY = 64 * 1024
PROBLEM_TYPE = "application/problem+json"


def setup(app: web.Application, ctx: Runtime, requests_per_minute: float) -> None:
    """Mount the API on the shared application (after the dashboard, whose access settings it reads)."""
    api = web.Application(middlewares=[problems])
    api[API] = Api(ctx.sessions, ctx.clock.now, RateLimiter(requests_per_minute))
    api.router.add_get("/openapi.json", openapi)
    api.router.add_get("/orgs/{org}/key-results", list_key_results)
    api.router.add_get("/orgs/{org}/key-results/{code}", get_key_result)
    api.router.add_get("/orgs/{org}/key-results/{code}/checkins", list_checkins)
    api.router.add_post("/orgs/{org}/key-results/{code}/checkins", post_checkin)
    app.add_subapp(PREFIX, api)


def _problem(problem: Problem, request: web.Request) -> web.Response:
    """The problem worded in the language the caller's Accept-Language prefers, else its organization's, else
    English (Content-Language says which)."""
    with i18n.speaking(i18n.negotiate(request.headers.get("Accept-Language")) or problem.language) as language:
        body = problem.as_dict(request.path)
    return web.Response(text=json.dumps(body), status=problem.status,
                        headers={**problem.headers, "Content-Language": language}, content_type=PROBLEM_TYPE)


@web.middleware
async def problems(request: web.Request, handler):
    """Host check first (as the web guard does), then every failure as a problem, never a page or a trace."""
    try:
        access = request.config_dict.get(ACCESS)
        public_url = access.public_url if access is not None else None
        if access is not None and access.open and not served_name(request.headers.get("Host"), public_url):
            host = request.headers.get("Host", "")
            raise Problem(421, "wrong_host", {"given": hostname(host) or host[:80]})
        return await handler(request)
    except Problem as problem:
        return _problem(problem, request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        return _problem(Problem(exc.status, "no_route", {"method": request.method, "path": request.path[:200]}),
                        request)
    except DBAPIError:
        log.exception("%s %s: the database failed", request.method, request.path)
        return _problem(Problem(503, "unavailable", headers={"Retry-After": "60"}), request)
    except Exception:  # noqa: BLE001 - a bug: a problem answer, the trace in the log only
        log.exception("%s %s failed", request.method, request.path)
        return _problem(Problem(500, "internal"), request)


def _json(answer: Answer) -> web.Response:
    return web.Response(text=json.dumps(answer.body), status=answer.status, headers=answer.headers,
                        content_type="application/json")


def _secret(request: web.Request) -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(PREFIX))


async def _read(request: web.Request, work) -> web.Response:
    api = request.app[API]
    answer = await asyncio.to_thread(api.read, _secret(request), request.match_info["org"], work)
    return _json(answer)


async def list_key_results(request: web.Request) -> web.Response:
    query = dict(request.query)
    return await _read(request, lambda session, org, now: keyresults.list_key_results(session, org, query, now))


async def get_key_result(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    return await _read(request, lambda session, org, now: keyresults.key_result_dict(
        org, keyresults.find(session, org, code)))


async def list_checkins(request: web.Request) -> web.Response:
    code, query = request.match_info["code"], dict(request.query)
    return await _read(request, lambda session, org, now: keyresults.history(session, org, code, query))


async def post_checkin(request: web.Request) -> web.Response:
    api = request.app[API]
    if (request.content_length or 0) > MAX_BODY:
        raise Problem(413, "too_large", {"limit": MAX_BODY})
    body = await request.content.read(MAX_BODY + 1)  # the sub-application's client_max_size is not applied
    if len(body) > MAX_BODY:
        raise Problem(413, "too_large", {"limit": MAX_BODY})
    answer = await asyncio.to_thread(api.check_in, _secret(request), request.match_info["org"],
                                     request.match_info["code"], request.headers.get("Idempotency-Key"), body,
                                     request.path)
    return _json(answer)
