"""`okrbot cycle new|status|close`: a cycle's dates and its phase (bot.cycles)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from okrbot.cli import helped, say
from okrbot.settings import Settings


def _context():
    from okrbot.app import build_context

    return build_context(Settings.from_env())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(say("not_a_date", text=repr(text))) from None


def cmd_new(args: argparse.Namespace) -> int:
    from bot.cycles import CycleProblem, new_cycle, phase, planning_opens, today_of
    from bot.exporter import ExportFailed, choose_organization
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            cycle = new_cycle(session, org, args.name, args.start, args.end, args.planning_from)
            now_phase = phase(cycle, today_of(org, ctx.clock.now())) or say("not_open_yet")
            print(say("cycle_added", cycle=cycle.name, organization=org.name, start=cycle.start, end=cycle.end,
                      planning=planning_opens(cycle), phase=now_phase))
    except (CycleProblem, ExportFailed) as problem:
        print(say("no_cycle_added", problem=problem), file=sys.stderr)
        return 1
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    from bot.closing import close
    from bot.cycles import CycleProblem
    from bot.exporter import ExportFailed, choose_organization
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            cycle = close(session, org, args.name, ctx.clock.now())
            print(say("cycle_closed", cycle=cycle.name, organization=org.name))
    except (CycleProblem, ExportFailed) as problem:
        print(say("nothing_closed", problem=problem), file=sys.stderr)
        return 1
    return 0


def status_lines(session, org, now) -> list[str]:
    """One line per cycle, oldest first: its dates, its phase today and the days its rituals come on."""
    from bot.cycles import anchor_day, statuses

    lines = [say("organization_heading", name=org.name, id=org.id)]
    rows = statuses(session, org, now)
    for s in rows:
        c = s.cycle
        lines.append("  " + say("cycle_line", name=c.name, phase=s.phase or say("not_open_yet"), start=c.start,
                                end=c.end, closed=f"{c.closed_at:%Y-%m-%d}" if c.closed_at else None,
                                planning=s.planning_opens, midpoint=s.midpoint, closing=anchor_day(c, "end")))
    if not rows:
        lines.append("  " + say("no_cycle_yet"))
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from storage.db import transaction
    from storage.models import Organization

    ctx = _context()
    with transaction(ctx.sessions) as session:
        query = select(Organization).order_by(Organization.id)
        if args.org is not None:
            query = query.where(Organization.id == args.org)
        orgs = session.scalars(query).all()
        lines = [line for org in orgs for line in status_lines(session, org, ctx.clock.now())]
    print("\n".join(lines) if lines else say("no_organization_yet"))
    return 0


def register(sub) -> None:
    """Add `okrbot cycle ...` to the `okrbot` parser."""
    cycle = sub.add_parser("cycle", help=helped("cycle"))
    actions = cycle.add_subparsers(dest="cycle_command", required=True, metavar="ACTION")
    p = actions.add_parser("new", help=helped("cycle", "new"))
    p.add_argument("name", help=helped("cycle", "new name"))
    p.add_argument("--start", type=_day, required=True, help=helped("cycle", "new --start"))
    p.add_argument("--end", type=_day, required=True, help=helped("cycle", "new --end"))
    p.add_argument("--planning-from", type=_day, help=helped("cycle", "new --planning-from"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("cycle", "new --org"))
    p.set_defaults(func=cmd_new)
    p = actions.add_parser("status", help=helped("cycle", "status"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("cycle", "status --org"))
    p.set_defaults(func=cmd_status)
    p = actions.add_parser("close", help=helped("cycle", "close"))
    p.add_argument("name")
    p.add_argument("--org", type=int, metavar="ID", help=helped("cycle", "close --org"))
    p.set_defaults(func=cmd_close)
