"""The real aiohttp application (sandbox + dashboard) on a test server, over each real database."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings


def make_client(database_url: str, clock, **settings):
    ctx = build_context(Settings(database_url=database_url, **settings), clock=clock, migrate=False)
    return ctx, TestClient(TestServer(build_app(ctx)))


@pytest.fixture
async def app(database_url, clock, org_id):
    """A local sandbox (127.0.0.1, no SECRET_KEY), as `make run` serves it."""
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    yield ctx, client
    await client.close()
    ctx.engine.dispose()


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
