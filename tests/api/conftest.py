"""The real `okrbot serve` application on a test server, over each real database, with real API tokens."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.api.tokens import create_token
from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings
from storage.db import transaction


def make_token(sessions, org_id: int, scope: str = "write", name: str = "ci", now=None) -> str:
    from datetime import UTC, datetime

    with transaction(sessions) as session:
        return create_token(session, org_id, name, scope, now or datetime.now(UTC))[1]


class ApiClient(TestClient):
    """A client that calls the API as a program does: a bearer token, no cookie, no Origin."""

    def __init__(self, server: TestServer, token: str | None = None) -> None:
        super().__init__(server)
        self.token = token

    def _request(self, method, path, **kwargs):  # noqa: D401 - TestClient's hook
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return super()._request(method, path, headers=headers, **kwargs)


@pytest.fixture
def api_settings() -> dict:
    return {}


@pytest.fixture
async def api(database_url, clock, org_id, api_settings):
    """(ctx, client with a write token of the example organization)."""
    ctx = build_context(Settings(database_url=database_url, **api_settings), clock=clock, migrate=False)
    client = ApiClient(TestServer(build_app(ctx)), make_token(ctx.sessions, org_id))
    await client.start_server()
    yield ctx, client
    await client.close()
    ctx.engine.dispose()
