"""DNS rebinding and cross-site forms (adapters.web.guard), through real HTTP on both databases.

An open (loopback) okrbot answers only to loopback names: a page on attacker.example whose name was
pointed at 127.0.0.1 gets 421 and reads nothing, signs in as nobody, stores nothing. And every
state-changing form, in every mode, must come from one of okrbot's own pages (Origin, else Referer).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import CheckIn, SandboxMessage
from tests.sandbox.conftest import link_for, person_id, sign_in_as, visible_text

ATTACKER = "attacker.example:3000"


def _count(sessions, model) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path", ["/", "/?team=rd-efficiency", "/advice", "/sandbox", "/sandbox/c/rd-efficiency"])
async def test_a_rebound_name_reads_nothing(app, path):
    _ctx, client = app
    response = await client.get(path, headers={"Host": ATTACKER}, allow_redirects=False)
    text = visible_text(await response.text())
    assert response.status == 421, text
    assert "JD Retail" not in text and "Zhou Qiang" not in text
    assert "attacker.example" in text and "PUBLIC_URL" in text


async def test_a_rebound_name_signs_in_as_nobody_and_stores_nothing(app, sessions):
    ctx, client = app
    rebound = {"Host": ATTACKER, "Origin": f"http://{ATTACKER}"}
    response = await client.post("/sandbox/as", data={"person": str(person_id(sessions, "engineer@example.com"))},
                                  headers=rebound, allow_redirects=False)
    assert response.status == 421 and "okrbot_session" not in response.cookies
    # Even with a session cookie the browser holds for that name, nothing is stored.
    await sign_in_as(client, sessions, "engineer@example.com")
    before = (_count(sessions, SandboxMessage), _count(sessions, CheckIn))
    response = await client.post("/sandbox/c/rd-efficiency/messages", data={"text": "/okr confidence 1 2 pwned"},
                                 headers=rebound, allow_redirects=False)
    assert response.status == 421
    assert (_count(sessions, SandboxMessage), _count(sessions, CheckIn)) == before


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST", "127.0.0.2"])
async def test_loopback_names_with_any_port_are_served(app, host):
    _ctx, client = app
    for name in (host, f"{host}:{client.port}"):
        response = await client.get("/", headers={"Host": name})
        assert response.status == 200, name
        # A form from a page of that name is its own origin.
        form = await client.post("/sandbox/as", data={"person": "nobody"}, allow_redirects=False,
                                 headers={"Host": name, "Origin": f"http://{name}"})
        assert form.status == 303, name


CROSS_SITE = [{"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": ""},
              {"Origin": "", "Referer": "http://evil.example/page"}, {"Origin": "http://127.0.0.1:1"},
              {"Origin": "javascript:alert(1)"}, {"Origin": "http://[::1"}]


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_a_form_from_another_site_changes_nothing(app, sessions, headers):
    _ctx, client = app
    await sign_in_as(client, sessions, "engineer@example.com")
    before = (_count(sessions, SandboxMessage), _count(sessions, CheckIn))
    for path, data in [("/sandbox/c/rd-efficiency/messages", {"text": "/okr confidence 1 2 csrf"}),
                       ("/sandbox/c/rd-efficiency/rituals", {"ritual": "friday"}),
                       ("/sandbox/as", {"person": str(person_id(sessions, "ceo@example.com"))}),
                       ("/signout", {})]:
        response = await client.post(path, data=data, headers=headers, allow_redirects=False)
        assert response.status == 403, (path, headers)
        assert "another site" in visible_text(await response.text())
        assert "okrbot_session" not in response.cookies
    assert (_count(sessions, SandboxMessage), _count(sessions, CheckIn)) == before
    page = visible_text(await (await client.get("/")).text())
    assert "Signed in as Zhou Qiang" in page


async def test_a_form_with_only_a_same_site_referer_goes_through(app, sessions):
    """Some browsers or privacy settings send no Origin; the page's own Referer is enough."""
    _ctx, client = app
    await sign_in_as(client, sessions, "engineer@example.com")
    response = await client.post("/sandbox/c/rd-efficiency/messages", data={"text": "/okr confidence 1 7 ok"},
                                 headers={"Origin": "", "Referer": f"{client.origin}/sandbox/c/rd-efficiency"})
    assert response.status == 200 and "Confidence 5 → 7 /10" in visible_text(await response.text())


async def test_a_public_server_refuses_cross_site_sign_out_and_allows_its_own(public, org_id):
    ctx, client = public
    response = await client.get(link_for(ctx, org_id), allow_redirects=False)
    cookies = {"okrbot_session": response.cookies["okrbot_session"].value}
    refused = await client.post("/signout", cookies=cookies, headers={"Origin": "https://evil.example"},
                                allow_redirects=False)
    assert refused.status == 403 and "okrbot_session" not in refused.cookies
    # Behind the proxy the browser names PUBLIC_URL, not the address the proxy forwards to.
    ok = await client.post("/signout", cookies=cookies, headers={"Origin": "https://okr.example.com"},
                           allow_redirects=False)
    assert ok.status == 303


async def test_slack_and_health_need_no_origin(everything):
    """Machine endpoints prove themselves otherwise (signatures, tokens) and are not browser forms."""
    client = everything.client
    assert (await client.get("/healthz", headers={"Host": ATTACKER})).status == 200
    client.session.headers.pop("Origin")  # Slack's servers send none
    status, _ = await everything.slack.command("/okr mine")
    assert status == 200
