"""`okrbot signin-link EMAIL`: the way into a server on HOST=0.0.0.0, and the link it prints really signs in."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.cli.helpers import okrbot
from tests.sandbox.conftest import KEY, make_client

SERVER = {"HOST": "0.0.0.0", "PORT": "3999", "SECRET_KEY": KEY}


async def test_the_printed_link_signs_in_once_on_a_public_server(monkeypatch, capsys, database_url, clock, org_id):
    for name, value in SERVER.items():
        monkeypatch.setenv(name, value)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "signin-link", "Engineer@Example.com")
    assert code == 0, err
    url = urlsplit(out.strip())
    assert (url.scheme, url.netloc, url.path) == ("http", "localhost:3999", "/signin")
    assert "Zhou Qiang (JD Retail)" in err and "works once" in err and "another machine" in err
    ctx, client = make_client(database_url, clock, host="0.0.0.0", secret_key=KEY, sandbox=True)
    await client.start_server()
    try:
        response = await client.get(f"/signin?{url.query}", allow_redirects=False)
        assert response.status == 303
        cookies = {"okrbot_session": response.cookies["okrbot_session"].value}
        assert (await client.get("/sandbox/c/rd-efficiency", cookies=cookies)).status == 200
        assert (await client.get(f"/signin?{url.query}", allow_redirects=False)).status == 401
    finally:
        await client.close()
        ctx.engine.dispose()


def test_without_secret_key_it_says_so_in_one_line(monkeypatch, capsys, database_url, org_id):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "signin-link", "engineer@example.com")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "SECRET_KEY" in err and "Traceback" not in err


def test_an_unknown_email_or_org_is_one_line(monkeypatch, capsys, database_url, org_id):
    monkeypatch.setenv("SECRET_KEY", KEY)
    code, _out, err = okrbot(monkeypatch, capsys, database_url, "signin-link", "nobody@example.com")
    assert code == 1 and "nobody has the email nobody@example.com" in err
    code, _out, err = okrbot(monkeypatch, capsys, database_url, "signin-link", "engineer@example.com",
                             "--org", str(org_id + 1))
    assert code == 1 and f"in organization {org_id + 1}" in err

