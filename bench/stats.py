"""Ritual-health page benchmark: /stats of the 10,000-person organization, a department's and a team's.

    .venv/bin/python bench/stats.py                       # SQLite file in bench/out/
    .venv/bin/python bench/stats.py --scale 0.05          # a quick look
    .venv/bin/python bench/stats.py --database-url postgresql://postgres@127.0.0.1:5432/okrbot_bench

The organization is bench/generate.py's (bench/dashboard.py's): 10,000 people, 2,000 teams, 30,000 key results
with 26 weeks of check-ins, the weeks' priorities and wins, plus what it lacks for this page: every team's
weekly ritual runs (monday, friday, wrapup, report; one in fifty failed). Pages are requested through the real
aiohttp application and timed from request to last byte, as bench/dashboard.py does: p50/p99, the server
process's CPU time per page (steadier than wall time on a busy machine), SQL statements per page (independent
of the team count: the figures are set-based), and the ratio to /healthz in the same run.
Target (issue #13): the organization's stats page p99 under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from dashboard import fresh_sqlite_url, percentile  # noqa: E402
from generate import NOW, WEEKS, generate  # noqa: E402

from bot.timesource import ManualClock  # noqa: E402
from bot.weeks import local_week  # noqa: E402
from okrbot.app import build_context  # noqa: E402
from okrbot.server import build_app  # noqa: E402
from okrbot.settings import Settings  # noqa: E402
from storage.db import make_engine, normalize_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import RitualRun, Team  # noqa: E402

TARGET_MS = 300


def prepare(url: str, scale: float) -> int:
    """The benchmark organization with a cycle's weekly ritual runs, and planner statistics; returns its id."""
    engine = make_engine(url)
    upgrade(engine)
    org = generate(engine, scale).org_id
    rnd = random.Random(5)
    with engine.begin() as db:
        teams = list(db.scalars(select(Team.id).where(Team.org_id == org)))
        rows = []
        for back in range(WEEKS):
            week = local_week(NOW - timedelta(weeks=back), "UTC")
            for team in teams:
                for ritual in ("monday", "friday", "wrapup", "report"):
                    failed = rnd.random() < 0.02
                    rows.append({"org_id": org, "team_id": team, "ritual": ritual, "period": week,
                                 "state": "failed" if failed else "posted", "attempts": 1,
                                 "posted_at": None if failed else NOW - timedelta(weeks=back)})
        for start in range(0, len(rows), 20_000):
            db.execute(insert(RitualRun.__table__), rows[start : start + 20_000])
        db.exec_driver_sql("ANALYZE")
    engine.dispose()
    return org


async def measure(url: str, org: int, requests: int) -> dict:
    ctx = build_context(Settings(database_url=url, sandbox=False), clock=ManualClock(NOW), migrate=False)
    statements = [0]
    event.listen(ctx.engine, "before_cursor_execute", lambda *args: statements.__setitem__(0, statements[0] + 1))
    client = TestClient(TestServer(build_app(ctx)))
    await client.start_server()
    rng = random.Random(11)
    with ctx.sessions() as session:
        keys = list(session.scalars(select(Team.key).where(Team.org_id == org, Team.level == "team")))
        departments = list(session.scalars(select(Team.key).where(Team.org_id == org, Team.level == "department")))

    async def timed(path: str) -> float:
        start = time.perf_counter()
        response = await client.get(path)
        body = await response.read()
        assert response.status == 200, (path, response.status, body[:300])
        return (time.perf_counter() - start) * 1000

    results = {}
    try:
        for _ in range(3):  # warm up caches and templates
            await timed("/healthz")
            await timed(f"/stats?org={org}&team={rng.choice(keys)}")
        await timed(f"/stats?org={org}")
        plans = {
            "healthz (baseline)": ["/healthz"] * requests,
            "organization stats": [f"/stats?org={org}"] * requests,
            "department stats": [f"/stats?org={org}&team={rng.choice(departments)}" for _ in range(requests)],
            "team stats": [f"/stats?org={org}&team={rng.choice(keys)}" for _ in range(requests)],
        }
        for name, paths in plans.items():
            times = []
            cpu, before = time.process_time(), statements[0]
            for path in paths:
                times.append(await timed(path))
            results[name] = {"p50": statistics.median(times), "p99": percentile(times, 99),
                             "cpu": (time.process_time() - cpu) * 1000 / len(paths),
                             "sql": (statements[0] - before) / len(paths), "n": len(times)}
    finally:
        await client.close()
        ctx.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 people (default)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in bench/out/")
    parser.add_argument("--requests", type=int, default=100, help="requests per page (default 100)")
    args = parser.parse_args()
    url = normalize_url(args.database_url or fresh_sqlite_url("stats", args.scale))
    started = time.perf_counter()
    org = prepare(url, args.scale)
    print(f"generated the organization in {time.perf_counter() - started:.1f} s ({url.split('://')[0]})")
    results = asyncio.run(measure(url, org, args.requests))
    baseline = results["healthz (baseline)"]["p50"]
    print("| page | n | p50 ms | p99 ms | CPU ms/page | SQL/page | p50 / healthz p50 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['cpu']:.1f} | {r['sql']:.0f} "
              f"| {r['p50'] / baseline:.0f} |")
    ok = results["organization stats"]["p99"] < TARGET_MS
    print(f"target (organization stats p99 < {TARGET_MS} ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
