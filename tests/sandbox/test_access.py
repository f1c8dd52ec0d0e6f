"""Served on a public interface, every page needs a session from a signed `/okr dashboard` link.

Forged, altered, expired or repurposed tokens get 401 and see nothing; a session shows its own
organization only, whatever ids or keys are put in the URL.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.importer import import_text
from bot.model import Interaction
from bot.signin import session_token
from storage.db import transaction
from storage.models import KeyResult
from tests.conftest import EXAMPLE
from tests.sandbox.conftest import KEY, link_for, make_client, visible_text

PAGES = ["/", "/?team=rd-efficiency", "/advice", "/sandbox", "/sandbox/c/rd-efficiency"]


async def test_every_page_needs_a_session_and_says_how_to_get_one(public):
    _ctx, client = public
    for path in PAGES:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 401, path
        assert "/okr dashboard" in visible_text(await response.text())
    assert (await client.post("/sandbox/as", data={"person": "1"})).status == 403


async def test_signed_link_signs_in_with_a_safe_cookie(public, org_id):
    ctx, client = public
    response = await client.get(link_for(ctx, org_id), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    session = response.cookies["okrbot_session"].value
    for path in PAGES:
        page = await client.get(path, cookies={"okrbot_session": session})
        assert page.status == 200, (path, await page.text())
    assert "Signed in as Zhou Qiang (JD Retail)" in visible_text(await (await client.get(
        "/", cookies={"okrbot_session": session})).text())


async def test_expired_link_is_refused(public, org_id, clock):
    ctx, client = public
    link = link_for(ctx, org_id)
    clock.advance(minutes=16)
    response = await client.get(link, allow_redirects=False)
    assert response.status == 401 and "okrbot_session" not in response.cookies
    assert "expired" in visible_text(await response.text())


async def test_forged_or_altered_links_and_cookies_are_refused(public, org_id, clock):
    ctx, client = public
    link = link_for(ctx, org_id)
    token = link.split("t=", 1)[1]
    payload, mac = token.split(".")
    other_payload = link_for(ctx, org_id, "ceo@example.com").split("t=", 1)[1].split(".")[0]
    for forged in (f"{other_payload}.{mac}", f"{payload}.{mac[:-2]}AA", "", "garbage",
                   session_token("another key", org_id, 1, clock.now())):
        response = await client.get(f"/signin?t={forged}", allow_redirects=False)
        assert response.status == 401, forged
    for cookie in (token, session_token("another key", org_id, 1, clock.now()), "x.y"):
        assert (await client.get("/", cookies={"okrbot_session": cookie})).status == 401
    stale = session_token(KEY, org_id, 1, clock.now())
    clock.advance(hours=13)
    assert (await client.get("/", cookies={"okrbot_session": stale})).status == 401


async def test_a_session_sees_its_own_organization_only(public, org_id, sessions, clock):
    ctx, client = public
    text = EXAMPLE.read_text().replace("name: JD Retail\n  timezone", "name: Other Corp\n  timezone", 1)
    with transaction(sessions) as s:
        other = import_text(s, text, clock.now()).organization_id
        s.execute(update(KeyResult).where(KeyResult.org_id == other, KeyResult.key == "rd-o1-kr3")
                  .values(title="Secret of Other Corp"))
    response = await client.get(link_for(ctx, org_id), allow_redirects=False)
    cookies = {"okrbot_session": response.cookies["okrbot_session"].value}
    for path in ["/", f"/?org={other}", "/?team=rd-efficiency", f"/?team=rd-efficiency&org={other}",
                 f"/advice?org={other}", "/sandbox/c/rd-efficiency"]:
        html = await (await client.get(path, cookies=cookies)).text()
        assert "Secret of Other Corp" not in html and "Other Corp" not in html, path
    # A person of one organization cannot be named with another organization's id.
    with sessions() as s:
        outsider = s.scalar(select(KeyResult.owner_person_id).where(KeyResult.org_id == other).limit(1))
    forged = session_token(KEY, org_id, outsider, clock.now())
    assert (await client.get("/", cookies={"okrbot_session": forged})).status == 401


async def test_public_without_secret_key_stays_locked_and_says_why(database_url, clock, org_id):
    ctx, client = make_client(database_url, clock, host="0.0.0.0", sandbox=False)
    await client.start_server()
    try:
        response = await client.get("/")
        assert response.status == 401 and "SECRET_KEY" in visible_text(await response.text())
        reply = ctx.core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor="engineer@example.com",
                                            actor_email="engineer@example.com", kind="command", text="dashboard"))
        assert "signin" not in str(reply.card)
    finally:
        await client.close()
        ctx.engine.dispose()


async def test_loopback_behind_a_reverse_proxy_is_public(database_url, clock, org_id):
    """HOST=127.0.0.1 with a PUBLIC_URL elsewhere: a proxy on this host forwards the internet to the pages."""
    ctx, client = make_client(database_url, clock, secret_key=KEY, sandbox=True, public_url="https://okr.example.com")
    await client.start_server()
    try:
        for path in PAGES:
            assert (await client.get(path, allow_redirects=False)).status == 401, path
        assert (await client.get(link_for(ctx, org_id), allow_redirects=False)).status == 303
    finally:
        await client.close()
        ctx.engine.dispose()


async def test_local_dashboard_is_open_and_its_link_needs_no_key(client, app, org_id):
    ctx, _ = app
    assert (await client.get("/")).status == 200
    reply = ctx.core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor="engineer@example.com",
                                        actor_email="engineer@example.com", kind="command", text="dashboard"))
    assert "opens without a sign-in only on the machine okrbot runs on" in reply.card.elements[0].markdown


async def test_local_session_of_a_removed_person_falls_back_to_choosing_again(client, sessions):
    from sqlalchemy import delete

    from storage.models import Person
    from tests.sandbox.conftest import sign_in_as

    await sign_in_as(client, sessions, "engineer@example.com")
    with transaction(sessions) as s:
        s.execute(delete(Person).where(Person.email == "engineer@example.com"))
    response = await client.get("/")
    assert response.status == 200 and "Signed in as" not in visible_text(await response.text())
    response = await client.get("/sandbox/c/rd-efficiency")
    assert response.status == 200 and "Sign in as" in visible_text(await response.text())
