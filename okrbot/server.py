"""`okrbot serve`: one aiohttp application for Slack, Teams, the sandbox and the dashboard."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.rituals.refresh import PostRefresher
from okrbot.app import AppContext
from okrbot.observe import add_metrics_route, observe
from okrbot.wiring import build_platforms, mount_platforms
from storage.db import ping

log = logging.getLogger(__name__)
CONTEXT = web.AppKey("okrbot", AppContext)
POSTS = web.AppKey("posts", PostRefresher)
# The start-up pass over the inbox (okrbot.pending), kept so a caller can wait until it has looked.
FINISHING = web.AppKey("finishing", asyncio.Task)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; load balancers and `make run` poll it."""
    ctx = request.app[CONTEXT]
    try:
        await asyncio.to_thread(ping, ctx.engine)
    except Exception as exc:  # noqa: BLE001 - any database failure is "unhealthy", never a 500 trace
        log.warning("health check failed: %s", exc)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def build_app(ctx: AppContext) -> web.Application:
    app = web.Application(client_max_size=1024**2, middlewares=[observe])  # outermost: sees every answer
    app[CONTEXT] = ctx
    app.router.add_get("/healthz", healthz)
    add_metrics_route(app, ctx.settings)
    mount_platforms(app, ctx, build_platforms(ctx))
    from adapters.api import setup as setup_api

    # After the dashboard: it reads the dashboard's access settings (Host rule).
    setup_api(app, ctx, ctx.settings.api_requests_per_minute)
    if ctx.finishers:
        app.cleanup_ctx.append(_finish_pending)
    refresher = app[POSTS] = PostRefresher(ctx.sessions, ctx.messengers, ctx.clock.now)
    ctx.core.posts_changed = refresher.kick
    app.cleanup_ctx.append(_redraw_posts)
    return app


async def _redraw_posts(app: web.Application):
    """Ritual posts marked stale (a priority done, a win) are redrawn in place in the background while the
    server runs, those a previous process left marked first (bot.rituals.refresh)."""
    app[POSTS].start()
    yield
    await app[POSTS].stop()


async def _finish_pending(app: web.Application):
    """On start, finish the commands a crashed process acknowledged but never did (in the background:
    the server answers at once); on stop, let that finish."""
    from okrbot.pending import finish_pending

    task = app[FINISHING] = asyncio.create_task(finish_pending(app[CONTEXT]))
    yield
    await asyncio.gather(task, return_exceptions=True)
