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
