"""The web dashboard: the organization's OKRs as a tree, each team's four-square, wins and the method's advice.

Open on the loopback interface; on any other interface every page needs a session from a signed
`/okr dashboard` link (adapters.web.access).
"""

from __future__ import annotations

from aiohttp import web

from adapters.web import access, routes


def setup(app: web.Application, ctx) -> None:
    """Register the dashboard's routes on the shared web application."""
    access.install(app, ctx)
    app.router.add_get("/", routes.dashboard)
    app.router.add_get("/kr/{code}", routes.key_result)
    app.router.add_get("/report", routes.report)
    app.router.add_get("/advice", routes.advice)
    app.router.add_get("/signin", access.signin)
    app.router.add_post("/signout", access.signout)
