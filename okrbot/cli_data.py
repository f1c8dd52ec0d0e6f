"""Subcommands about an organization's data: export, demo-data, and the core's views as plain text."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from okrbot.settings import Settings


def _context():
    from okrbot.app import build_context

    return build_context(Settings.from_env())


def cmd_export(args: argparse.Namespace) -> int:
    from bot.exporter import ExportFailed, choose_organization, export_checkins_csv, export_csv, export_yaml
    from storage.db import transaction

    if args.checkins and args.format == "yaml":
        print("--checkins writes the check-in history as CSV; use it with --format csv (or leave --format out)",
              file=sys.stderr)
        return 2
    fmt = "csv" if args.checkins else args.format or "yaml"
    write = export_checkins_csv if args.checkins else export_csv if fmt == "csv" else export_yaml
    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            text = write(session, org)
    except ExportFailed as failed:
        print(f"nothing was exported: {failed}", file=sys.stderr)
        return 1
    if args.out in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    what = "check-in history, csv" if args.checkins else fmt
    print(f"exported {org.name} to {args.out} ({what})", file=sys.stderr)
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
        shipped = ", ".join(tag for tag, _name in i18n.languages())
        print(f"okrbot does not speak {args.language!r}; --language takes one of {shipped}", file=sys.stderr)
        return 2
    ctx = _context()
    with transaction(ctx.sessions) as session:
        if args.refresh and (loaded := demo_organization(session)) is not None:
            weeks = refresh_demo(session, session.get(Organization, loaded), ctx.clock.now())
            print(f"moved the demo organization {loaded} {weeks} week{'s' * (weeks != 1)} forward: its last week "
                  "is this week again" if weeks else f"the demo organization {loaded} is current; nothing changed")
            return 0
        if args.if_empty and session.scalar(select(Organization.id).limit(1)) is not None:
            print("the database already holds an organization; demo data not loaded (--if-empty)")
            return 0
        summary = seed_demo(session, ctx.clock.now(), weeks=args.weeks, language=language)
    print(summary.describe())
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
    from bot import i18n
    from bot.context import current_cycle

    cycle = current_cycle(session, org, now)
    if cycle is None:
        raise ViewRefused(i18n.gettext("%(organization)s has no OKR cycle yet; import one with `okrbot import FILE`")
                          % {"organization": org.name})
    return cycle


def _team(session, org, key: str | None):
    from sqlalchemy import select

    from bot import i18n
    from bot.teams import team_by_key, team_keys
    from storage.models import Team

    if key is None:
        team = session.scalar(select(Team).where(Team.org_id == org.id, Team.parent_id.is_(None)).order_by(Team.id))
    else:
        team = team_by_key(session, org.id, key)
    if team is None:
        keys = team_keys(session, org.id)
        raise ViewRefused(i18n.gettext("there is no team '%(team)s' in %(organization)s; teams: %(teams)s")
                          % {"team": key, "organization": org.name, "teams": ", ".join(keys) or "—"})
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
        help="write an organization as an import file (YAML), a key-result sheet or its check-in history (CSV)",
        description="Export an organization. YAML is the `okrbot import` format, so export then import "
        "reproduces the same data; CSV has one row per key result, or with --checkins one row per check-in "
        "(columns in the README). CSV cells a spreadsheet would run as a formula start with a quote.",
    )
    p.add_argument("--format", choices=("yaml", "csv"), help="yaml (default) or csv")
    p.add_argument("--checkins", action="store_true",
                   help="the whole check-in history as CSV (who, when, value, confidence, note, source)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "demo-data",
        help="load the example organization with weeks of check-ins, priorities, health and wins",
        description="Load bot/demo/example.yaml plus recent weeks of ritual data, relative to today. "
        "Running it again changes nothing.",
    )
    p.add_argument("--weeks", type=int, default=6, help="weeks of history to create (default 6)")
    p.add_argument("--if-empty", action="store_true", help="load only into a database with no organization yet")
    p.add_argument("--language", metavar="TAG",
                   help="the organization's language: zh-CN (the default, the retailer's own), en or es")
    p.add_argument("--refresh", action="store_true",
                   help="when the demo is already loaded, move its history forward by the weeks that passed, so "
                   "its last week is this week again (what people added moves along); otherwise load it")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("report", help="print the weekly status report as text")
    p.add_argument("--team", metavar="KEY", help="team key (default: the top of the team tree, rolled up)")
    p.add_argument("--all", action="store_true",
                   help="everything: every team and line, whole titles (by default long parts end in '…and N more')")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("lint", help="print the method's advice about this cycle's OKRs")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("align", help="print the alignment report: business objectives aligned to nothing above")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_align)
