"""Closing a cycle of the benchmark organization (bench/generate.py: 10,000 people, 2,000 teams, 30,000 key
results at scale 1): every owner's scoring DM claimed and built, the quarter summary and the kickoff built.

What it measures, on one process and the database given (SQLite by default):
1. claim: the sweep's due computation and the claims of every team's `closing` run at the closing day;
2. build: each claim prepared as the worker prepares it (bot.rituals.worker.prepare: the DMs to each key
   result owner, routed to their Slack accounts), CPU seconds and statements, and the number of DMs;
3. the rate-limit bound of sending them: DMs / SLACK_POSTS_PER_SECOND (10 a second per workspace, the
   shared send budget). Closing can keep to 1.15x of the bound only if claiming and building cost well under
   0.15 of it: the figure printed is (claim + build CPU) / bound, the share of the bound the work itself takes.
   (The sending itself is paced by the send budget and measured end to end by bench/fanout.py.)
4. the summary (channel post and every lead's DM) and the kickoff post built: wall and CPU seconds, statements;
   the target is under 2 s each. The leads' DMs are built set-based (bot.rituals.quarterly.summary_messages):
   their statements do not grow with the number of leads.

    .venv/bin/python bench/closing.py [--scale 1] [--db sqlite|postgresql] [--database-url URL]

--db postgresql creates and drops a scratch database on OKRBOT_BENCH_POSTGRES, else OKRBOT_TEST_POSTGRES, else
postgresql://postgres@127.0.0.1:5432/postgres (bench/core.py's `database`); --database-url names an empty one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import event, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from core import database  # noqa: E402
from generate import generate  # noqa: E402

from bot.closing import close  # noqa: E402
from bot.cycles import period_of  # noqa: E402
from bot.rituals import quarterly, runs  # noqa: E402
from bot.rituals.catalog import Occasion  # noqa: E402
from bot.rituals.sweep import due_runs  # noqa: E402
from bot.rituals.worker import prepare  # noqa: E402
from okrbot.platforms import register_platforms  # noqa: E402
from storage.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Cycle, KeyResult, Organization, RitualSetting, Team  # noqa: E402

SLACK_RATE = 10  # SLACK_POSTS_PER_SECOND's default: the workspace's shared send budget


class Statements:
    """Counts the statements an engine runs (load-insensitive, unlike wall time)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *args) -> None:
        self.count += 1


def timed(statements: Statements, fn):
    before, wall, cpu = statements.count, time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu, statements.count - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"),
                        help="a scratch database of this kind, dropped afterwards (default: sqlite)")
    parser.add_argument("--database-url", default=None, help="an empty database to use instead of --db")
    args = parser.parse_args()
    register_platforms()
    if args.database_url:
        engine = make_engine(args.database_url)
        upgrade(engine)
        try:
            return bench(engine, args.scale, args.database_url.split(":", 1)[0])
        finally:
            engine.dispose()
    with tempfile.TemporaryDirectory(prefix="okrbot-closing-") as workdir, database(args.db, Path(workdir)) as engine:
        return bench(engine, args.scale, args.db)


def bench(engine, scale: float, kind: str) -> int:
    """Generate the organization into `engine` (migrated, empty), then time claiming, building and the posts."""
    generated = generate(engine, scale)
    with engine.begin() as db:  # the generator sets no rituals: every team gets the closing ritual's default
        team_ids = db.execute(select(Team.id).where(Team.org_id == generated.org_id)).scalars().all()
        db.execute(insert(RitualSetting.__table__), [
            {"team_id": t, "ritual": "closing", "org_id": generated.org_id, "weekday": 0, "time": "10:00",
             "enabled": True} for t in team_ids])
        db.exec_driver_sql("ANALYZE")
    sessions = make_sessionmaker(engine)
    statements = Statements(engine)
    with sessions() as s:
        cycle = s.scalar(select(Cycle).where(Cycle.org_id == generated.org_id))
        owners = len(set(s.scalars(select(KeyResult.owner_person_id).where(KeyResult.owner_person_id.is_not(None)))))
    # The day after the last day, late enough that 10:00 has come in every zone of the organization.
    now = datetime.combine(cycle.end + timedelta(days=1), clock_time(23, 0), tzinfo=UTC)
    print(f"{kind}, scale {scale}: {generated.shape.people} people, {generated.shape.teams} teams, "
          f"{generated.shape.key_results} key results, {owners} owners; closing day {cycle.end + timedelta(days=1)}")

    def claim():
        with transaction(sessions) as s:
            due, _ = due_runs(s, now)
            return runs.claim_new(s, [d for d in due if d["ritual"] == "closing"], "bench", now)

    claims, wall, cpu_claim, n_claim = timed(statements, claim)
    print(f"claim: {len(claims)} closing runs in {wall:.2f} s wall, {cpu_claim:.2f} s CPU, {n_claim} statements")

    def build():
        dms = 0
        with sessions() as s:
            for c in claims:
                dms += sum(1 for item in prepare(s, c, {"slack"}, now).items if item.outbound.direct)
        return dms

    dms, wall, cpu_build, n_build = timed(statements, build)
    bound = dms / SLACK_RATE
    share = (cpu_claim + cpu_build) / bound if bound else 0.0
    print(f"build: {dms} scoring DMs in {wall:.2f} s wall, {cpu_build:.2f} s CPU, {n_build} statements "
          f"({n_build / max(dms, 1):.1f} a DM)")
    print(f"bound: {dms} DMs / {SLACK_RATE} a second = {bound:.0f} s; claiming and building take "
          f"{share:.3f} of it (target: closing within 1.15x of the bound, so well under 0.15)")

    with transaction(sessions) as s:
        close(s, s.get(Organization, generated.org_id), cycle.name, now + timedelta(days=2))
    with sessions() as s:
        org = s.get(Organization, generated.org_id)
        company = s.get(Team, generated.company_team_id)
        occasion = Occasion(s, org, company, period_of(cycle), now, None, "Europe/Berlin")
        for name, build_one in (("summary post", quarterly.summary_post), ("summary DMs", quarterly.summary_messages),
                                ("kickoff post", quarterly.kickoff_post)):
            out, wall, cpu, n = timed(statements, lambda b=build_one: b(occasion))
            size = f"{len(out)} messages" if isinstance(out, list) else "1 post"
            verdict = "ok" if wall < 2 else "OVER 2 s"
            print(f"{name}: {size} built in {wall:.2f} s wall, {cpu:.2f} s CPU, {n} statements ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
