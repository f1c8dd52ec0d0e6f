"""MicrosoftAppType: SingleTenant by default, UserAssignedMSI and MultiTenant accepted, gaps refused at start-up."""

from __future__ import annotations

import pytest

from okrbot.cli import main
from okrbot.server import build_app
from okrbot.settings import ConfigurationError, Settings

APP_ID = "00000000-0000-0000-0000-00000000b07d"
TENANT_ID = "11111111-0000-0000-0000-000000000001"


def test_single_tenant_is_the_default(monkeypatch):
    for name in ("MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().teams_app_type == "SingleTenant"


@pytest.mark.parametrize("app_type,password,tenant,sdk_type", [
    ("SingleTenant", "secret", TENANT_ID, "SingleTenant"),
    ("singletenant", "secret", TENANT_ID, "SingleTenant"),
    ("UserAssignedMSI", None, TENANT_ID, "UserAssignedMSI"),  # a managed identity has no password
    ("MultiTenant", "secret", None, "MultiTenant"),  # bots created before 2025-07-31
])
def test_each_supported_app_type_starts(tmp_path, monkeypatch, clock, app_type, password, tenant, sdk_type):
    from adapters.teams.auth import auth_configuration
    from okrbot.app import build_context

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'okrbot.db'}", teams_app_id=APP_ID,
                        teams_app_password=password, teams_app_type=app_type, teams_tenant_id=tenant)
    assert sdk_type == auth_configuration(settings.teams_config()).APP_TYPE
    ctx = build_context(settings, clock=clock, migrate=True)
    try:
        app = build_app(ctx)
        assert "teams" in ctx.messengers
        assert any(route.resource.canonical == "/api/messages" for route in app.router.routes())
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("app_type,password,tenant,missing", [
    ("SingleTenant", "secret", None, "MicrosoftAppTenantId"),
    ("SingleTenant", None, TENANT_ID, "MicrosoftAppPassword"),
    ("UserAssignedMSI", None, None, "MicrosoftAppTenantId"),
    ("MultiTenant", None, None, "MicrosoftAppPassword"),
])
def test_a_missing_setting_is_named(app_type, password, tenant, missing):
    settings = Settings(teams_app_id=APP_ID, teams_app_password=password, teams_app_type=app_type,
                        teams_tenant_id=tenant)
    with pytest.raises(ConfigurationError, match=f"MicrosoftAppType=.* needs {missing}"):
        settings.teams_app_type_checked()


def test_serve_refuses_to_start_with_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'okrbot.db'}")
    monkeypatch.setenv("MicrosoftAppId", APP_ID)
    monkeypatch.setenv("MicrosoftAppPassword", "secret")
    for name in ("MicrosoftAppType", "MicrosoftAppTenantId", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("okrbot serve: MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId (the Directory "
                           "(tenant) ID the bot's app registration is in); see README, Teams set-up")


def test_an_unknown_app_type_is_refused_not_taken_for_multi_tenant():
    settings = Settings(teams_app_id=APP_ID, teams_app_password="secret", teams_app_type="SingelTenant")
    with pytest.raises(ConfigurationError, match="is not one of SingleTenant, UserAssignedMSI, MultiTenant"):
        settings.teams_app_type_checked()
