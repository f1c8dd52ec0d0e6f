"""The real aiohttp application (sandbox + dashboard) on a test server, over each real database."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urlparse

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.model import Interaction
from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings


class BrowserClient(TestClient):
    """A test client that sends what a browser sends with every form: an Origin naming the server it posts
    to (adapters.web.guard refuses state-changing requests without one)."""

    async def start_server(self) -> None:
        await super().start_server()
        self.session.headers["Origin"] = self.origin

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


def make_client(database_url: str, clock, **settings):
    ctx = build_context(Settings(database_url=database_url, **settings), clock=clock, migrate=False)
    return ctx, BrowserClient(TestServer(build_app(ctx)))


@pytest.fixture
async def app(database_url, clock, org_id):
    """A local sandbox (127.0.0.1, no SECRET_KEY), as `make run` serves it."""
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    yield ctx, client
    await client.close()
    ctx.engine.dispose()


KEY = "test secret key, long and random enough"


@pytest.fixture
async def public(database_url, clock, org_id):
    """A server anyone can reach (HOST=0.0.0.0 behind https://okr.example.com), with a SECRET_KEY."""
    ctx, client = make_client(database_url, clock, host="0.0.0.0", secret_key=KEY, sandbox=True,
                              public_url="https://okr.example.com")
    await client.start_server()
    yield ctx, client
    await client.close()
    ctx.engine.dispose()


def link_for(ctx, org_id: int, email: str = "engineer@example.com") -> str:
    """Ask the core for a link the way Slack or Teams would, and keep its path and query."""
    reply = ctx.core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor=email, actor_email=email,
                                        kind="command", text="dashboard"))
    [button] = [b for e in reply.card.elements if hasattr(e, "buttons") for b in e.buttons]
    url = urlparse(button.url)
    assert url.scheme == "https" and url.netloc == "okr.example.com"
    return f"{url.path}?{url.query}"


@pytest.fixture
def client(app):
    return app[1]


def person_id(sessions, email: str) -> int:
    from sqlalchemy import select

    from storage.models import Person

    with sessions() as s:
        return s.scalar(select(Person.id).where(Person.email == email))


async def sign_in_as(client, sessions, email: str) -> None:
    response = await client.post("/sandbox/as", data={"person": str(person_id(sessions, email))},
                                 allow_redirects=False)
    assert response.status == 303, await response.text()


async def say(client, channel: str, text: str):
    """Type in a channel and follow the redirect to the channel page, as a browser does."""
    return await client.post(f"/sandbox/c/{channel}/messages", data={"text": text})


def visible_text(html: str) -> str:
    """The page's words without tags, whitespace squeezed, for readable assertions."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return html_lib.unescape(re.sub(r"\s+", " ", text))


async def statements(engine, client, path: str) -> int:
    """How many SQL statements one GET of `path` runs (it must answer 200): the pages' no-N+1 measure."""
    from sqlalchemy import event

    counter = {"n": 0}

    def count(*_args) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert (await client.get(path)).status == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counter["n"]
