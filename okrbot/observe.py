"""Seeing inside a running okrbot: a request id and one log line per HTTP request, and /metrics.

`observe` is the outermost middleware of `okrbot serve`: it gives each request an id (the caller's
X-Request-Id when it is a sane one, else a new one), sent back in the X-Request-Id header and stamped
on every log line of the work (bot.requestid), then counts the request by route pattern (never the
raw path, so the metric's size is bounded by the routes) and status, and logs one line: method,
route, path (without the query string, where sign-in tokens travel), status and time.

/metrics (Prometheus text format) is served when METRICS=1 or METRICS_TOKEN is set. With a token it
asks for `Authorization: Bearer TOKEN`; without one it answers only a server that nothing but this
machine can reach (HOST on loopback), and says on a public interface that METRICS_TOKEN is needed.
Each process serves its own figures: the web server on its port (all workers' summed, see
bot.metrics), the clock on METRICS_PORT when that is set (`clock_metrics`); Prometheus scrapes both.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import time
import uuid

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from adapters.web.access import is_loopback
from bot import metrics
from bot.requestid import REQUEST_ID
from okrbot.settings import Settings

access_log = logging.getLogger("okrbot.access")
log = logging.getLogger(__name__)
HEADER = "X-Request-Id"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id(given: str | None) -> str:
    """The caller's id (a proxy's or load balancer's) when it is short and plain, else a new one."""
    return given if given and SANE_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def route_of(request: web.Request) -> str:
    """The route's pattern (/sandbox/c/{channel}); 'unmatched' for a path no route serves (a 404)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler) -> web.StreamResponse:
    rid = request_id(request.headers.get(HEADER))
    token = REQUEST_ID.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[HEADER] = rid
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[HEADER] = rid
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away
        raise
    finally:
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else "OTHER"
        metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(elapsed)
        access_log.info("%s %s %d %.1f ms", method, request.path, status, elapsed * 1000,
                        extra={"method": method, "route": route, "path": request.path, "status": status,
                               "duration_ms": round(elapsed * 1000, 2)})
        REQUEST_ID.reset(token)


def registry() -> CollectorRegistry:
    """This process's metrics, or every worker's summed when several share the port (multiprocess mode)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    summed = CollectorRegistry()
    multiprocess.MultiProcessCollector(summed)
    return summed


def local_only(settings: Settings) -> bool:
    return is_loopback(settings.host)


def metrics_handler(settings: Settings):
    async def serve_metrics(request: web.Request) -> web.Response:
        if settings.metrics_token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
                return web.Response(status=401, text="/metrics needs Authorization: Bearer METRICS_TOKEN\n",
                                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        elif not local_only(settings):
            return web.Response(status=401, text="/metrics on a public interface needs METRICS_TOKEN set; "
                                                 "then send Authorization: Bearer TOKEN\n",
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body = await asyncio.to_thread(generate_latest, registry())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return serve_metrics


def add_metrics_route(app: web.Application, settings: Settings) -> None:
    if settings.metrics:
        app.router.add_get("/metrics", metrics_handler(settings))


async def clock_metrics(settings: Settings) -> web.AppRunner | None:
    """The clock's own small /metrics server on HOST:METRICS_PORT, when metrics are on and a port is set."""
    if not (settings.metrics and settings.metrics_port):
        return None
    app = web.Application(middlewares=[observe])
    add_metrics_route(app, settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.metrics_port).start()
    log.info("clock metrics on http://%s:%s/metrics", settings.host, settings.metrics_port)
    return runner
