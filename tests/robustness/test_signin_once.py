"""Sign-in links work once, sign-out ends the session on the server, and no token reaches the access log.

Through real HTTP on both databases: a used link is a 401 the second time (also after a restart, and
of two simultaneous uses exactly one signs in); a signed-out cookie replayed from a copy signs nobody
in; the access log line of a sign-in shows the path without the token.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp.test_utils import TestServer

from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings
from tests.sandbox.conftest import KEY, BrowserClient, link_for

PUBLIC = {"host": "0.0.0.0", "secret_key": KEY, "sandbox": True, "public_url": "https://okr.example.com"}


async def test_a_sign_in_link_works_once(public, org_id):
    ctx, client = public
    link = link_for(ctx, org_id)
    assert (await client.get(link, allow_redirects=False)).status == 303
    again = await client.get(link, allow_redirects=False)
    assert again.status == 401 and "okrbot_session" not in again.cookies
    assert "already used" in await again.text()


async def test_a_used_link_stays_used_after_a_restart(public, org_id, database_url, clock):
    ctx, client = public
    link = link_for(ctx, org_id)
    assert (await client.get(link, allow_redirects=False)).status == 303
    ctx2 = build_context(Settings(database_url=database_url, **PUBLIC), clock=clock, migrate=False)
    restarted = BrowserClient(TestServer(build_app(ctx2)))
    await restarted.start_server()
    try:
        assert (await restarted.get(link, allow_redirects=False)).status == 401
    finally:
        await restarted.close()
        ctx2.engine.dispose()


async def test_two_simultaneous_uses_sign_in_once(public, org_id):
    ctx, client = public
    link = link_for(ctx, org_id)
    responses = await asyncio.gather(*(client.get(link, allow_redirects=False) for _ in range(4)))
    assert sorted(r.status for r in responses) == [303, 401, 401, 401]


async def test_sign_out_ends_the_session_on_the_server(public, org_id):
    ctx, client = public
    response = await client.get(link_for(ctx, org_id), allow_redirects=False)
    cookie = {"okrbot_session": response.cookies["okrbot_session"].value}
    assert (await client.get("/", cookies=cookie)).status == 200
    out = await client.post("/signout", cookies=cookie, allow_redirects=False)
    assert out.status == 303
    # A copy of the cookie (another tab, a stolen one) no longer signs anyone in.
    assert (await client.get("/", cookies=cookie)).status == 401
    assert (await client.get("/sandbox/c/rd-efficiency", cookies=cookie)).status == 401
    # A fresh link still works.
    assert (await client.get(link_for(ctx, org_id), allow_redirects=False)).status == 303


async def test_sign_out_on_this_machine_ends_the_session_too(app, sessions):
    from tests.sandbox.conftest import sign_in_as, visible_text

    _ctx, client = app
    await sign_in_as(client, sessions, "engineer@example.com")
    cookie = {"okrbot_session": client.session.cookie_jar.filter_cookies(client.make_url("/"))["okrbot_session"].value}
    await client.post("/signout", allow_redirects=False)
    page = visible_text(await (await client.get("/", cookies=cookie)).text())
    assert "Signed in as" not in page


async def test_the_access_log_never_shows_a_sign_in_token(database_url, clock, org_id, caplog):
    """okrbot's own access log line (okrbot.observe; `okrbot serve` turns aiohttp's off) has no query string."""
    ctx = build_context(Settings(database_url=database_url, **PUBLIC), clock=clock, migrate=False)
    client = BrowserClient(TestServer(build_app(ctx)))
    await client.start_server()
    try:
        link = link_for(ctx, org_id)
        token = link.split("t=", 1)[1]
        with caplog.at_level(logging.INFO, logger="okrbot.access"):
            await client.get(link, allow_redirects=False, headers={"Referer": f"https://okr.example.com{link}"})
            await client.get("/slack/oauth_redirect?code=SECRETCODE&state=SECRETSTATE")
        records = [r for r in caplog.records if r.name == "okrbot.access"]
        lines = [r.getMessage() + " " + str(vars(r)) for r in records]
        assert any(r.getMessage().startswith("GET /signin ") for r in records), lines
        assert not any(token in line or token[:20] in line for line in lines), lines
        assert not any("SECRETCODE" in line or "SECRETSTATE" in line for line in lines), lines
    finally:
        await client.close()
        ctx.engine.dispose()
