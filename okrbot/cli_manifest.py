"""`okrbot manifest PLATFORM`: print the app definition an admin pastes into the platform's console.

One `register_<platform>` and one `cmd_manifest_<platform>` per platform; `register` lists them.
"""

from __future__ import annotations

import argparse
import json
import sys

from okrbot.settings import Settings


def register(sub) -> None:
    """Add this module's subcommands to the `okrbot` parser."""
    manifest = sub.add_parser("manifest", help="print an app manifest for Slack or Teams")
    platforms = manifest.add_subparsers(dest="platform", required=True, metavar="PLATFORM")
    register_slack(platforms)
    register_teams(platforms)


# ------------------------------------------------------------------ Slack


def register_slack(platforms) -> None:
    p = platforms.add_parser(
        "slack",
        help="a Slack app manifest (api.slack.com/apps > Create New App > From an app manifest)",
        description="Print the manifest of the okrbot Slack app: the /okr command, the bot scopes, the "
        "events, interactivity and the App Home tab, all pointing at URL/slack/events. "
        "Paste it into api.slack.com/apps > Create New App > From an app manifest.",
    )
    p.add_argument("--url", help="public HTTPS base URL of `okrbot serve`, like https://okr.example.com "
                   "(default: PUBLIC_URL)")
    p.add_argument("--socket-mode", action="store_true",
                   help="for a host without a public URL: Slack connects over Socket Mode (SLACK_APP_TOKEN)")
    p.add_argument("--name", default="okrbot", help="the app's name in Slack (default okrbot)")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help="yaml (default) or json")
    p.set_defaults(func=cmd_manifest_slack)


def cmd_manifest_slack(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import slack_manifest

    url = (args.url or Settings.from_env().public_url or "").rstrip("/")
    if not args.socket_mode:
        if not url:
            print("Give the public URL of okrbot, like: okrbot manifest slack --url https://okr.example.com\n"
                  "(or --socket-mode when the server has no public URL)", file=sys.stderr)
            return 2
        if not url.startswith("https://"):
            print(f"{url} is not an HTTPS URL; Slack only calls https:// addresses. "
                  "Put okrbot behind HTTPS, or use --socket-mode.", file=sys.stderr)
            return 2
    manifest = slack_manifest(url or None, socket_mode=args.socket_mode, name=args.name)
    if args.format == "json":
        print(json.dumps(manifest, indent=2))
    else:
        import yaml

        print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")
    return 0


# ------------------------------------------------------------------ Teams


def register_teams(platforms) -> None:
    p = platforms.add_parser(
        "teams",
        help="a Teams app package (zip) to upload in Teams admin centre or Teams > Apps > Manage your apps",
        description="Write the okrbot Teams app package: manifest.json (the bot in team, personal and group "
        "chat scopes, its command lists, the RSC permission ChannelMessage.Read.Group) and its two icons, "
        "zipped. Upload it as is: Teams admin centre > Teams apps > Manage apps > Upload new app.",
    )
    p.add_argument("--app-id", default=None, help="the bot's Microsoft App ID, a GUID (default: MicrosoftAppId)")
    p.add_argument("--out", default="okrbot-teams.zip", help="where to write the package (default okrbot-teams.zip)")
    p.add_argument("--name", default="okrbot", help="the app's name in Teams (default okrbot)")
    p.add_argument("--version", default="1.0.0", help="the package version; raise it to update an uploaded app")
    p.set_defaults(func=cmd_manifest_teams)


def cmd_manifest_teams(args: argparse.Namespace) -> int:
    from pathlib import Path

    from adapters.teams.manifest import package

    app_id = args.app_id or Settings.from_env().teams_app_id
    if not app_id:
        print("Give the bot's Microsoft App ID, like: okrbot manifest teams --app-id "
              "00000000-0000-0000-0000-000000000000 (Azure portal > your Azure Bot > Configuration)", file=sys.stderr)
        return 2
    try:
        data = package(app_id, name=args.name, version=args.version)
    except ValueError as error:
        print(f"{error}. Copy it from Azure portal > your Azure Bot > Configuration > Microsoft App ID.",
              file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as error:
        print(f"cannot write {out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {out}: upload it in Teams admin centre > Teams apps > Manage apps > Upload new app")
    return 0
