"""The Slack app okrbot needs, as a manifest Slack's "Create an app > From a manifest" accepts.

Each scope is here for one reason (README, "Slack set-up", says the same to admins):
- commands: the /okr command;
- chat:write: ritual posts, replies, direct messages; the bot must be invited to a channel, which
  it needs anyway to hear the replies in the Friday wins threads;
- users:read, users:read.email: match a Slack user to a person of the OKR file by email;
- channels:history, groups:history: the replies in wins threads (public, private channels), and
  whether a ritual post a stopped clock was sending arrived, before it is posted again;
- im:write: open a direct message (reminders, failed ritual notices to the team lead);
- im:history: the same check for a ritual's direct message (the bot's own conversation with a person);
- channels:read, groups:read: a team set up from a channel takes its name and members, and follows its
  joins and leaves (member_joined_channel, member_left_channel) when its lead wants.
app_uninstalled and tokens_revoked need no scope: they let okrbot forget a workspace's tokens.

The descriptions (prompts/manifests.j2) are drawn in the one language being spoken (English by default): a Slack
manifest holds one text per description and has no translations of them, unlike Teams' localizationInfo.
"""

from __future__ import annotations

from typing import Any

from bot.render import render_macro

COMMAND = "/okr"
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "channels:history",
    "groups:history",
    "im:write",
    "im:history",
    "channels:read",
    "groups:read",
)
BOT_EVENTS = ("app_home_opened", "message.channels", "message.groups", "app_uninstalled", "tokens_revoked",
              "member_joined_channel", "member_left_channel")


def slack_manifest(url: str | None, socket_mode: bool = False, name: str = "okrbot") -> dict[str, Any]:
    """The manifest for an okrbot served at `url` (HTTPS), or over Socket Mode (no public URL)."""
    base = (url or "").rstrip("/")
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": render_macro("manifests", "slack_command"),
        "usage_hint": render_macro("manifests", "slack_usage_hint"),
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if not socket_mode:
        command["url"] = events["request_url"] = interactivity["request_url"] = base + EVENTS_PATH
        oauth["redirect_urls"] = [base + REDIRECT_PATH]
    return {
        "display_information": {
            "name": name,
            "description": render_macro("manifests", "slack_description"),
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
