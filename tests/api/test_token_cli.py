"""`okrbot token create|list|revoke`: the printed token works over HTTP, is stored hashed, and stops when revoked."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.api.tokens import digest
from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings
from storage.models import ApiToken
from tests.api.conftest import ApiClient
from tests.cli.helpers import okrbot


async def test_create_list_use_revoke(monkeypatch, capsys, database_url, clock, org_id, sessions):
    code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "create", "--org", str(org_id),
                            "--name", "jira-sync", "--scope", "write")
    assert code == 0, err
    secret = out.strip()
    assert secret.startswith("okr_") and len(secret) > 40 and "not shown again" in err
    with sessions() as s:
        token = s.scalar(select(ApiToken))
        assert token.digest == digest(secret) and secret not in (token.hint, token.name) and token.scope == "write"
    ctx = build_context(Settings(database_url=database_url), clock=clock, migrate=False)
    client = ApiClient(TestServer(build_app(ctx)), secret)
    await client.start_server()
    try:
        assert (await client.get(f"/api/v1/orgs/{org_id}/key-results")).status == 200
        code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "list")
        assert code == 0 and "jira-sync" in out and "write" in out and "active" in out and secret not in out
        assert secret[:10] in out and "never" not in out.splitlines()[1]  # last use recorded
        code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "revoke", str(token.id))
        assert code == 0 and "revoked" in out
        assert (await client.get(f"/api/v1/orgs/{org_id}/key-results")).status == 401
        assert "revoked" in okrbot(monkeypatch, capsys, database_url, "token", "list")[1]
    finally:
        await client.close()
        ctx.engine.dispose()


def test_bad_arguments_say_what_is_wrong(monkeypatch, capsys, database_url, org_id):
    code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "create", "--org", "999", "--name", "x")
    assert code == 1 and out == "" and "no organization 999" in err and "Traceback" not in err
    code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "create", "--org", str(org_id), "--name", " ")
    assert code == 1 and "name" in err
    code, out, err = okrbot(monkeypatch, capsys, database_url, "token", "revoke", "42")
    assert code == 1 and "no token 42" in err
    assert "no API tokens yet" in okrbot(monkeypatch, capsys, database_url, "token", "list")[1]
