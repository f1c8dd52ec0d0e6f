"""teams adapter (being built)."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application, ctx) -> None:
    """Register routes and the Messenger of this adapter on the shared web application."""
