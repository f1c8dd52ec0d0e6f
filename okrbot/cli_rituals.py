"""`okrbot clock`, `okrbot ritual run ...` and `okrbot ritual status`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from sqlalchemy import select

from bot.rituals import catalog
from okrbot.cli import helped, say


def _context():
    from okrbot.app import build_context
    from okrbot.settings import Settings

    return build_context(Settings.from_env())


def cmd_clock(args: argparse.Namespace) -> int:
    from okrbot.clock import main

    return main(_context())


def _parse_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(say("not_a_moment", text=repr(text))) from None
    if moment.tzinfo is None:
        raise SystemExit(say("moment_without_zone", text=repr(text)))
    return moment


def cmd_run(args: argparse.Namespace) -> int:
    from bot.rituals.runner import run_ritual
    from okrbot.clock import register_messengers

    at = _parse_at(args.at)
    ctx = _context()
    register_messengers(ctx)
    outcome = asyncio.run(run_ritual(ctx, args.team, args.ritual, at=at, force=args.force, org_id=args.org))
    stream = sys.stdout if outcome.state in ("posted", "already") else sys.stderr
    print(outcome.message, file=stream)
    return {"posted": 0, "already": 0, "refused": 2}.get(outcome.state, 1)


def status_lines(session, now: datetime, recent: int = 3) -> list[str]:
    """Per team: each enabled ritual's next due time, then its latest runs with state and reason."""
    from bot.context import team_zones
    from bot.cycles import cycles_of
    from bot.rituals.schedule import describe, upcoming
    from storage.models import Organization, RitualRun, RitualSetting, Team

    lines: list[str] = []
    orgs = session.scalars(select(Organization).order_by(Organization.id)).all()
    zone_of = team_zones(session, {o.id for o in orgs}) if orgs else {}
    for org in orgs:
        lines.append(say("organization_heading", name=org.name, id=org.id))
        cycles = cycles_of(session, org.id)
        for team in session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.key)):
            lines.append(f"  {team.key} ({zone_of[team.id]})")
            query = select(RitualSetting).where(RitualSetting.team_id == team.id)
            settings = {s.ritual: s for s in session.scalars(query)}
            for ritual in catalog.names():
                if not catalog.CATALOG[ritual].runs_for(team.level):
                    continue
                setting = settings.get(ritual)
                if setting is None or not setting.enabled:
                    lines.append("    " + say("ritual_off", ritual=ritual))
                    continue
                due = upcoming(ritual, setting.weekday, setting.time, zone_of[team.id], now, cycles)
                lines.append("    " + say("ritual_next", ritual=ritual, due=describe(due) if due else None))
                for run in session.scalars(
                    select(RitualRun).where(RitualRun.team_id == team.id, RitualRun.ritual == ritual)
                    .order_by(RitualRun.period.desc()).limit(recent)
                ):
                    posted = f"{run.posted_at:%Y-%m-%d %H:%M}" if run.posted_at else None
                    lines.append("      " + say("ritual_run", period=run.period, state=run.state, posted=posted,
                                                 platform=run.platform, channel=run.channel_id, reason=run.reason))
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    from storage.db import transaction

    ctx = _context()
    with transaction(ctx.sessions) as session:
        lines = status_lines(session, ctx.clock.now(), args.recent)
    print("\n".join(lines) if lines else say("no_organization_yet"))
    return 0


def register(sub) -> None:
    """Add this module's subcommands to the `okrbot` parser."""
    p = sub.add_parser("clock", help=helped("clock"))
    p.set_defaults(func=cmd_clock)

    ritual = sub.add_parser("ritual", help=helped("ritual"))
    actions = ritual.add_subparsers(dest="ritual_command", required=True, metavar="ACTION")
    p = actions.add_parser("run", help=helped("ritual", "run"))
    p.add_argument("ritual", choices=catalog.names())
    p.add_argument("--team", required=True, help=helped("ritual", "run --team"))
    p.add_argument("--at", help=helped("ritual", "run --at"))
    p.add_argument("--force", action="store_true", help=helped("ritual", "run --force"))
    p.add_argument("--org", type=int, help=helped("ritual", "run --org"))
    p.set_defaults(func=cmd_run)
    p = actions.add_parser("status", help=helped("ritual", "status"))
    p.add_argument("--recent", type=int, default=3, help=helped("ritual", "status --recent"))
    p.set_defaults(func=cmd_status)
