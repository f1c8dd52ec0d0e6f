"""Sign-in tokens and session cookies of any encoding get a 401 (or, where pages are open, an anonymous page),
never a 500: a non-ASCII character used to reach hmac.compare_digest and str.encode("ascii") and raise."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import visible_text

NON_ASCII = ["é", "é.é", "eyJvIjoxfQ.é", "Zm9v.YmFy\u200b", "\u4e2d\u6587.\u4e2d\u6587", "%FF.%FE"]


@pytest.mark.parametrize("token", NON_ASCII)
async def test_a_non_ascii_sign_in_link_is_a_401(public, token):
    _ctx, client = public
    response = await client.get("/signin", params={"t": token}, allow_redirects=False)
    assert response.status == 401, await response.text()
    assert "okrbot_session" not in response.cookies


@pytest.mark.parametrize("cookie", NON_ASCII)
async def test_a_non_ascii_session_cookie_is_a_401_on_a_public_server(public, cookie):
    _ctx, client = public
    for path in ("/", "/advice", "/sandbox"):
        response = await client.get(path, headers={"Cookie": f"okrbot_session={cookie}"}, allow_redirects=False)
        assert response.status == 401, (path, await response.text())
        assert "/okr dashboard" in visible_text(await response.text())


@pytest.mark.parametrize("cookie", NON_ASCII)
async def test_a_non_ascii_session_cookie_is_anonymous_on_this_machine(app, cookie):
    _ctx, client = app
    response = await client.get("/", headers={"Cookie": f"okrbot_session={cookie}"})
    assert response.status == 200 and "Signed in as" not in visible_text(await response.text())
