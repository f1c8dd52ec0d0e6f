"""`okrbot cycle new|status|close`: a cycle's dates and its phase (bot.cycles)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from okrbot.settings import Settings


def _context():
    from okrbot.app import build_context

    return build_context(Settings.from_env())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it like 2027-01-01") from None


def cmd_new(args: argparse.Namespace) -> int:
    from bot.cycles import CycleProblem, new_cycle, phase, planning_opens, today_of
    from bot.exporter import ExportFailed, choose_organization
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            org = choose_organization(session, args.org)
            cycle = new_cycle(session, org, args.name, args.start, args.end, args.planning_from)
            now_phase = phase(cycle, today_of(org, ctx.clock.now())) or "not open yet"
            print(f"added cycle {cycle.name} to {org.name}: {cycle.start} to {cycle.end}, planning opens "
                  f"{planning_opens(cycle)}; now {now_phase}")
    except (CycleProblem, ExportFailed) as problem:
        print(f"no cycle was added: {problem}", file=sys.stderr)
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
            print(f"closed cycle {cycle.name} of {org.name}; the clock posts its summary to the company channel "
                  "and every lead")
    except (CycleProblem, ExportFailed) as problem:
        print(f"nothing was closed: {problem}", file=sys.stderr)
        return 1
    return 0


def status_lines(session, org, now) -> list[str]:
    """One line per cycle, oldest first: its dates, its phase today and the days its rituals come on."""
    from bot.cycles import anchor_day, statuses

    lines = [f"{org.name} (organization {org.id})"]
    rows = statuses(session, org, now)
    for s in rows:
        c = s.cycle
        closed = f", closed {c.closed_at:%Y-%m-%d}" if c.closed_at else ""
        lines.append(f"  {c.name:<12} {s.phase or 'not open yet':<12} {c.start} to {c.end}{closed}; planning opens "
                     f"{s.planning_opens}, mid-quarter review {s.midpoint}, closing from {anchor_day(c, 'end')}")
    if not rows:
        lines.append("  no cycle yet: add one with `okrbot cycle new NAME --start DATE --end DATE`")
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
    print("\n".join(lines) if lines else "no organization yet: import one with `okrbot import FILE`")
    return 0


def register(sub) -> None:
    """Add `okrbot cycle ...` to the `okrbot` parser."""
    cycle = sub.add_parser("cycle", help="add a cycle, see each cycle's phase, close one")
    actions = cycle.add_subparsers(dest="cycle_command", required=True, metavar="ACTION")
    p = actions.add_parser("new", help="add a cycle: planning, then active from --start to --end, then closing")
    p.add_argument("name", help="its name, like 2027-Q1")
    p.add_argument("--start", type=_day, required=True, help="its first day, like 2027-01-01")
    p.add_argument("--end", type=_day, required=True, help="its last day, like 2027-03-31")
    p.add_argument("--planning-from", type=_day, help="when planning opens (default: three weeks before --start)")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_new)
    p = actions.add_parser("status", help="every cycle with its dates and its phase today")
    p.add_argument("--org", type=int, metavar="ID", help="only this organization")
    p.set_defaults(func=cmd_status)
    p = actions.add_parser("close", help="end a cycle's closing phase (after its last day)")
    p.add_argument("name")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_close)
