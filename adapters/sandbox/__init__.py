"""The local sandbox: a third adapter beside Slack and Teams, a pretend chat in the browser.

Same core, same command language, same Messenger port: the rituals post here through
`SandboxMessenger` (ctx.messengers["sandbox"]) and the pages turn what a person types or clicks
into Interactions. On by default when no platform is configured (or with OKRBOT_SANDBOX=1).
"""

from __future__ import annotations

from aiohttp import web

from adapters.sandbox import routes
from adapters.sandbox.messenger import SandboxMessenger
from adapters.web import access


def setup(app: web.Application, ctx) -> None:
    """Register the sandbox's pages and its Messenger on the shared web application."""
    access.install(app, ctx)
    ctx.messengers["sandbox"] = SandboxMessenger(ctx.sessions, ctx.clock)
    app.router.add_get("/sandbox", routes.home)
    app.router.add_post("/sandbox/as", routes.pick_submit)
    app.router.add_get("/sandbox/c/{channel}", routes.channel)
    app.router.add_post("/sandbox/c/{channel}/messages", routes.say)
    app.router.add_post("/sandbox/c/{channel}/actions", routes.click)
    app.router.add_post("/sandbox/c/{channel}/threads/{root}", routes.reply_in_thread)
    app.router.add_post("/sandbox/c/{channel}/rituals", routes.run_ritual)
    app.router.add_post("/sandbox/forms/{message}", routes.submit)
