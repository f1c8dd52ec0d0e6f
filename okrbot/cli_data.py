"""Subcommands about an organization's data: export, demo-data, and the core's views as plain text."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from okrbot.cli import helped, say
from okrbot.settings import Settings


def _context():
    from okrbot.app import build_context

    return build_context(Settings.from_env())


def cmd_export(args: argparse.Namespace) -> int:
    from bot.exporter import ExportFailed, choose_organization, export_checkins_csv, export_csv, export_yaml
    from storage.db import transaction

    if args.checkins and args.format == "yaml":
        print(say("checkins_are_csv"), file=sys.stderr)
        return 2
    fmt = "csv" if args.checkins else args.format or "yaml"
    write = export_checkins_csv if args.checkins else export_csv if fmt == "csv" else export_yaml
    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            text = write(session, org)
    except ExportFailed as failed:
        print(say("not_exported", problem=failed), file=sys.stderr)
        return 1
    if args.out in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(say("cannot_write", path=args.out, reason=exc.strerror), file=sys.stderr)
        return 2
    print(say("exported", organization=org.name, path=args.out, format="checkins" if args.checkins else fmt),
          file=sys.stderr)
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot import i18n
    from bot.demo.refresh import refresh_demo
    from bot.demo.seed import DEMO_LANGUAGE, demo_organization, seed_demo
    from storage.db import transaction
    from storage.models import Organization

    language = i18n.supported(args.language or DEMO_LANGUAGE)
    if language is None:
        shipped = [tag for tag, _name in i18n.languages()]
        print(say("unknown_language", language=repr(args.language), languages=shipped), file=sys.stderr)
        return 2
    ctx = _context()
    with transaction(ctx.sessions) as session:
        if args.refresh and (loaded := demo_organization(session)) is not None:
            weeks = refresh_demo(session, session.get(Organization, loaded), ctx.clock.now())
            print(say("demo_moved", id=loaded, weeks=weeks) if weeks else say("demo_current", id=loaded))
            return 0
        if args.if_empty and session.scalar(select(Organization.id).limit(1)) is not None:
            print(say("demo_not_empty"))
            return 0
        summary = seed_demo(session, ctx.clock.now(), weeks=args.weeks, language=language)
    print(say("demo_already_loaded", id=summary.organization_id) if summary.already_loaded
          else say("demo_loaded", id=summary.organization_id, counts_=summary.counts))
    return 0


def _view(args: argparse.Namespace, build) -> int:
    """Run one read model for the organization and print its cards as plain text, in the language of
    OKRBOT_LANGUAGE, else the organization's (README: Languages)."""
    from bot import i18n
    from bot.exporter import ExportFailed, choose_organization
    from okrbot.textcard import render_cards
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            with i18n.speaking(i18n.choose(os.environ.get("OKRBOT_LANGUAGE"), org.language)):
                cards = build(session, org, ctx.clock.now())
                text = render_cards(cards)
    except (ExportFailed, ViewRefused) as failed:
        print(str(failed), file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


class ViewRefused(Exception):
    """A view cannot be built as asked (unknown team, no cycle); the message says why."""


def _cycle(session, org, now):
    from bot.context import current_cycle

    cycle = current_cycle(session, org, now)
    if cycle is None:
        raise ViewRefused(say("view_without_cycle", organization=org.name))
    return cycle


def _team(session, org, key: str | None):
    from sqlalchemy import select

    from bot.teams import team_by_key, team_keys
    from storage.models import Team

    if key is None:
        team = session.scalar(select(Team).where(Team.org_id == org.id, Team.parent_id.is_(None)).order_by(Team.id))
    else:
        team = team_by_key(session, org.id, key)
    if team is None:
        keys = team_keys(session, org.id)
        raise ViewRefused(say("view_without_team", team=key, organization=org.name, teams=keys))
    return team


def cmd_report(args: argparse.Namespace) -> int:
    def build(session, org, now):
        from bot.context import team_timezone
        from bot.services.status_report import team_status_report
        from bot.weeks import local_week

        team = _team(session, org, args.team)
        week = local_week(now, team_timezone(session, team, org))
        return [team_status_report(session, org, team, week, now, full=args.all)]

    return _view(args, build)


def cmd_lint(args: argparse.Namespace) -> int:
    def build(session, org, now):
        from bot.services.advice import lint, lint_card

        cycle = _cycle(session, org, now)
        return [lint_card(lint(session, org, cycle, now), cycle)]

    return _view(args, build)


def cmd_align(args: argparse.Namespace) -> int:
    def build(session, org, now):
        from bot.services.advice import alignment_card, alignment_report

        cycle = _cycle(session, org, now)
        return [alignment_card(alignment_report(session, org, cycle), cycle)]

    return _view(args, build)


def register(sub) -> None:
    """Add this module's subcommands to the `okrbot` parser."""
    p = sub.add_parser(
        "export",
        help=helped("export"),
        description=helped("export", "(about)"),
    )
    p.add_argument("--format", choices=("yaml", "csv"), help=helped("export", "--format"))
    p.add_argument("--checkins", action="store_true",
                   help=helped("export", "--checkins"))
    p.add_argument("--out", metavar="FILE", help=helped("export", "--out"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("export", "--org"))
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "demo-data",
        help=helped("demo-data"),
        description=helped("demo-data", "(about)"),
    )
    p.add_argument("--weeks", type=int, default=6, help=helped("demo-data", "--weeks"))
    p.add_argument("--if-empty", action="store_true", help=helped("demo-data", "--if-empty"))
    p.add_argument("--language", metavar="TAG",
                   help=helped("demo-data", "--language"))
    p.add_argument("--refresh", action="store_true",
                   help=helped("demo-data", "--refresh"))
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("report", help=helped("report"))
    p.add_argument("--team", metavar="KEY", help=helped("report", "--team"))
    p.add_argument("--all", action="store_true",
                   help=helped("report", "--all"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("report", "--org"))
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("lint", help=helped("lint"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("lint", "--org"))
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("align", help=helped("align"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("align", "--org"))
    p.set_defaults(func=cmd_align)
