"""`okrbot manifest slack`: a manifest Slack accepts, consistent with what the adapter listens to."""

from __future__ import annotations

import json

import yaml

from okrbot.cli import main


def test_manifest_points_everything_at_the_server(capsys):
    assert main(["manifest", "slack", "--url", "https://okr.example.com/"]) == 0
    manifest = yaml.safe_load(capsys.readouterr().out)
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/okr" and command["url"] == "https://okr.example.com/slack/events"
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == "https://okr.example.com/slack/events"
    assert settings["interactivity"] == {"is_enabled": True, "request_url": "https://okr.example.com/slack/events"}
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "message.channels", "message.groups", "app_uninstalled", "tokens_revoked",
        "member_joined_channel", "member_left_channel"}
    assert manifest["oauth_config"]["redirect_urls"] == ["https://okr.example.com/slack/oauth_redirect"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # what the adapter calls: commands, chat.postMessage, users.info email, thread history, conversations.open,
    # and for teams set up from channels conversations.info and conversations.members
    assert {"commands", "chat:write", "users:read", "users:read.email", "channels:history", "groups:history",
            "im:write", "channels:read", "groups:read"} <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_manifest_needs_no_url(capsys):
    assert main(["manifest", "slack", "--socket-mode", "--format", "json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "url" not in manifest["features"]["slash_commands"][0]


def test_a_missing_or_plain_http_url_is_explained(capsys, monkeypatch):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    assert main(["manifest", "slack"]) == 2
    assert "--url https://" in capsys.readouterr().err
    assert main(["manifest", "slack", "--url", "http://okr.example.com"]) == 2
    assert "not an HTTPS URL" in capsys.readouterr().err
