"""`okrbot manifest PLATFORM`: print the app definition an admin pastes into the platform's console.

One `register_<platform>` and one `cmd_manifest_<platform>` per platform; `register` lists them.
"""

from __future__ import annotations

import argparse
import json
import sys

from okrbot.cli import helped, say
from okrbot.settings import Settings


def register(sub) -> None:
    """Add this module's subcommands to the `okrbot` parser."""
    manifest = sub.add_parser("manifest", help=helped("manifest"))
    platforms = manifest.add_subparsers(dest="platform", required=True, metavar="PLATFORM")
    register_slack(platforms)
    register_teams(platforms)


# ------------------------------------------------------------------ Slack


def register_slack(platforms) -> None:
    p = platforms.add_parser(
        "slack",
        help=helped("manifest", "slack"),
        description=helped("manifest", "slack (about)"),
    )
    p.add_argument("--url", help=helped("manifest", "slack --url"))
    p.add_argument("--socket-mode", action="store_true",
                   help=helped("manifest", "slack --socket-mode"))
    p.add_argument("--name", default="okrbot", help=helped("manifest", "slack --name"))
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help=helped("manifest", "slack --format"))
    p.set_defaults(func=cmd_manifest_slack)


def cmd_manifest_slack(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import slack_manifest

    url = (args.url or Settings.from_env().public_url or "").rstrip("/")
    if not args.socket_mode:
        if not url:
            print(say("slack_needs_url"), file=sys.stderr)
            return 2
        if not url.startswith("https://"):
            print(say("slack_needs_https", url=url), file=sys.stderr)
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
        help=helped("manifest", "teams"),
        description=helped("manifest", "teams (about)"),
    )
    p.add_argument("--app-id", default=None, help=helped("manifest", "teams --app-id"))
    p.add_argument("--out", default="okrbot-teams.zip", help=helped("manifest", "teams --out"))
    p.add_argument("--name", default="okrbot", help=helped("manifest", "teams --name"))
    p.add_argument("--version", default="1.0.0", help=helped("manifest", "teams --version"))
    p.set_defaults(func=cmd_manifest_teams)


def cmd_manifest_teams(args: argparse.Namespace) -> int:
    from pathlib import Path

    from adapters.teams.manifest import package

    app_id = args.app_id or Settings.from_env().teams_app_id
    if not app_id:
        print(say("teams_needs_app_id"), file=sys.stderr)
        return 2
    try:
        data = package(app_id, name=args.name, version=args.version)
    except ValueError as error:
        print(say("teams_bad_app_id", problem=error), file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as error:
        print(say("cannot_write", path=out, reason=error.strerror), file=sys.stderr)
        return 1
    print(say("teams_written", path=out))
    return 0
