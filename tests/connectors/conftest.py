"""Local sources for the connectors: an aiohttp server on a random port, CSV files, a second database."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

SECRET = "s3cret-token-value"


def fixed(**response):
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(**response)

    return handler


class Source:
    """A local HTTP source whose answers a test can change; it counts every request per path."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {"total": 42, "nested": {"a/b": [1.5, "x"]}, "text": "many"}
        self.hits: dict[str, int] = {}
        self.never = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/json", self.json)
        app.router.add_get("/n/{n}", self.number)
        app.router.add_get("/private", self.private)
        app.router.add_get("/500", fixed(status=500, text="boom"))
        app.router.add_get("/html", fixed(text="<html>login</html>", content_type="text/html"))
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/kpi.csv", fixed(text="metric,value\nsignups,1234\n", content_type="text/csv"))
        return app

    def _hit(self, request: web.Request) -> None:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def json(self, request: web.Request) -> web.Response:
        self._hit(request)
        return web.json_response(self.values)

    async def number(self, request: web.Request) -> web.Response:
        self._hit(request)
        return web.json_response({"count": int(request.match_info["n"])})

    async def private(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {SECRET}":
            return web.Response(status=401, text="who are you")
        return web.json_response({"total_count": 7})

    async def slow(self, request: web.Request) -> web.Response:
        await self.never.wait()  # answers only after the caller's timeout
        return web.json_response({"total": 1})


@pytest.fixture
async def source():
    """(Source, base URL) of a local HTTP server."""
    src = Source()
    server = TestServer(src.app())
    await server.start_server()
    yield src, str(server.make_url("")).rstrip("/")
    src.never.set()
    await server.close()


@pytest.fixture
def warehouse(tmp_path) -> str:
    """A second SQLite database (not okrbot's) with a table to count, as a SQLAlchemy URL."""
    path = tmp_path / "warehouse.db"
    connection = sqlite3.connect(path)
    connection.executescript("CREATE TABLE signups (id INTEGER PRIMARY KEY, plan TEXT);"
                             "INSERT INTO signups (plan) VALUES ('pro'), ('pro'), ('free');")
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"
