"""Dashboard benchmark: the company tree and one team's page for a 10,000-person organization.

    .venv/bin/python bench/dashboard.py                       # SQLite file in bench/out/
    .venv/bin/python bench/dashboard.py --scale 0.1           # a quick look
    .venv/bin/python bench/dashboard.py --database-url postgresql://postgres@127.0.0.1:5432/okrbot_bench

The organization is bench/generate.py's (the core benchmark's): 10,000 people, 2,000 teams (1 company,
20 departments), 8,000 objectives, 30,000 key results with 26 weeks of check-ins, and the week's
priorities, plans, health and wins. Pages are requested through the
real aiohttp application (HTTP on loopback) and timed from request to last byte: p50/p99 per page,
page weight, the server process's CPU time per page (steadier than wall time on a busy machine),
and the ratio to /healthz in the same run (the HTTP and event-loop baseline).
Targets: one team's page p99 <= 50 ms, the company tree p99 <= 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from generate import NOW, generate  # noqa: E402

from bot.timesource import ManualClock  # noqa: E402
from okrbot.app import build_context  # noqa: E402
from okrbot.server import build_app  # noqa: E402
from okrbot.settings import Settings  # noqa: E402
from storage.db import make_engine, normalize_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Team  # noqa: E402


def prepare(url: str, scale: float) -> int:
    """The organization of bench/generate.py, with planner statistics; returns its id."""
    engine = make_engine(url)
    upgrade(engine)
    org = generate(engine, scale).org_id
    # Statistics as PostgreSQL's autovacuum keeps them and SQLite's `PRAGMA optimize` does: without them
    # SQLite may pick the organization index over a team's and scan every key result of the company.
    with engine.begin() as db:
        db.exec_driver_sql("ANALYZE")
    engine.dispose()
    return org


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(url: str, org: int, team_requests: int, company_requests: int) -> dict:
    ctx = build_context(Settings(database_url=url, sandbox=False), clock=ManualClock(NOW), migrate=False)
    client = TestClient(TestServer(build_app(ctx)))
    await client.start_server()
    rng = random.Random(11)
    with ctx.sessions() as session:
        keys = list(session.scalars(select(Team.key).where(Team.org_id == org, Team.level == "team")))
        departments = list(session.scalars(select(Team.key).where(Team.org_id == org, Team.level == "department")))

    async def timed(path: str) -> tuple[float, int]:
        start = time.perf_counter()
        response = await client.get(path)
        body = await response.read()
        elapsed = time.perf_counter() - start
        assert response.status == 200, (path, response.status, body[:300])
        return elapsed * 1000, len(body)

    results = {}
    try:
        for _ in range(5):  # warm up caches and templates
            await timed("/healthz")
            await timed(f"/?org={org}&team={rng.choice(keys)}")
        await timed(f"/?org={org}")
        plans = {
            "healthz (baseline)": ["/healthz"] * team_requests,
            "team page": [f"/?org={org}&team={rng.choice(keys)}" for _ in range(team_requests)],
            "company tree": [f"/?org={org}"] * company_requests,
            "department page": [f"/?org={org}&team={rng.choice(departments)}" for _ in range(company_requests)],
        }
        for name, paths in plans.items():
            times, sizes = [], []
            cpu = time.process_time()
            for path in paths:
                elapsed, size = await timed(path)
                times.append(elapsed)
                sizes.append(size)
            cpu_ms = (time.process_time() - cpu) * 1000 / len(paths)
            results[name] = {"p50": statistics.median(times), "p99": percentile(times, 99), "cpu": cpu_ms,
                             "kb": statistics.mean(sizes) / 1024, "n": len(times)}
    finally:
        await client.close()
        ctx.engine.dispose()
    return results


def fresh_sqlite_url(kind: str, scale: float) -> str:
    """An empty SQLite file in bench/out/ for this bench and scale (an earlier run's file and journals removed)."""
    path = ROOT / "bench" / "out" / f"{kind}-{scale:g}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 people (default)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in bench/out/")
    parser.add_argument("--team-requests", type=int, default=200)
    parser.add_argument("--company-requests", type=int, default=30)
    args = parser.parse_args()
    url = normalize_url(args.database_url or fresh_sqlite_url("dashboard", args.scale))
    started = time.perf_counter()
    org = prepare(url, args.scale)
    print(f"generated the organization in {time.perf_counter() - started:.1f} s ({url.split('://')[0]})")
    results = asyncio.run(measure(url, org, args.team_requests, args.company_requests))
    baseline = results["healthz (baseline)"]["p50"]
    print("| page | n | p50 ms | p99 ms | CPU ms/page | p50 / healthz p50 | KiB |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['cpu']:.1f} | {r['p50'] / baseline:.0f} "
              f"| {r['kb']:.1f} |")
    ok = results["team page"]["p99"] <= 50 and results["company tree"]["p99"] <= 500
    print("targets (team p99 <= 50 ms, company p99 <= 500 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
