"""10,000 key results with an http connector, refreshed against a local HTTP source: how long, none twice.

The source is an aiohttp server in its own process (as a real service would be) answering
`/n/I` with `{"count": I}` and counting every request per path. okrbot's connector pass
(bot.connectors.refresh.refresh, what `okrbot clock` runs each tick) reads them all with bounded
concurrency (--concurrency reads in flight, --batch runs claimed and written per transaction) and
appends each value as a check-in with source "connector". Checked afterwards: every key result got
exactly one connector check-in with its own number, the source saw each path exactly once, and a second
pass in the same period reads nothing. With --clocks 2 two passes run at once with different claimers
(two clocks on one database): together still each key result once.

    .venv/bin/python bench/connectors.py [--krs 10000] [--concurrency 64] [--clocks 1] [--postgres]

Target (issue #14): 10,000 within 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from databases import free_port, postgres_database, prepare  # noqa: E402

NOW = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: the 06:00 run of the day is due


def _source_main(port: int, ready) -> None:
    from aiohttp import web

    hits: Counter[str] = Counter()

    async def number(request: web.Request) -> web.Response:
        hits[request.match_info["n"]] += 1
        return web.json_response({"count": int(request.match_info["n"])})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response({"total": sum(hits.values()), "paths": len(hits),
                                  "max": max(hits.values(), default=0)})

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/n/{n}", number)
        app.router.add_get("/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


def seed(database_url: str, krs: int, base: str) -> list[int]:
    """The example organization plus `krs` key results under one team objective, each with a connector."""
    from sqlalchemy import insert, select

    from storage.db import make_engine, refresh_statistics, transaction
    from storage.models import Connector, KeyResult, Objective

    prepare(database_url)
    engine = make_engine(database_url)
    from storage.db import make_sessionmaker

    with transaction(make_sessionmaker(engine)) as session:
        objective = session.scalar(select(Objective).where(Objective.key == "rd-o1"))
        session.execute(insert(KeyResult), [
            {"org_id": objective.org_id, "objective_id": objective.id, "key": f"bench-kr{i}", "title": f"Bench {i}",
             "start_value": 0, "target_value": krs, "confidence": 5, "position": 10 + i} for i in range(krs)])
        ids = dict(session.execute(select(KeyResult.key, KeyResult.id).where(KeyResult.key.like("bench-kr%"))).all())
        session.execute(insert(Connector), [
            {"key_result_id": ids[f"bench-kr{i}"], "org_id": objective.org_id, "kind": "http",
             "spec": {"url": f"{base}/n/{i}", "pointer": "/count", "timeout": 10}, "schedule": "06:00",
             "failures": 0, "owner_told": False} for i in range(krs)])
    refresh_statistics(engine)
    engine.dispose()
    return [ids[f"bench-kr{i}"] for i in range(krs)]


async def run(database_url: str, krs: int, concurrency: int, clocks: int, base: str, batch: int = 256) -> dict:
    import aiohttp
    from sqlalchemy import func, select

    from bot.connectors.refresh import refresh
    from storage.db import make_engine, make_sessionmaker
    from storage.models import CheckIn, KeyResult

    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(refresh(sessions, NOW, f"bench-clock-{n}", concurrency=concurrency,
                                              batch=batch) for n in range(clocks)))
    seconds = time.perf_counter() - started
    again = await refresh(sessions, NOW, "bench-clock-late", concurrency=concurrency)
    with sessions() as s:
        rows = s.execute(select(CheckIn.key_result_id, func.count(), func.min(CheckIn.value), KeyResult.key)
                         .join(KeyResult, KeyResult.id == CheckIn.key_result_id)
                         .where(CheckIn.source == "connector").group_by(CheckIn.key_result_id, KeyResult.key)).all()
    engine.dispose()
    wrong = [key for _id, _n, value, key in rows if f"bench-kr{int(value)}" != key]
    async with aiohttp.ClientSession() as http, http.get(f"{base}/stats") as response:
        stats = await response.json()
    return {"seconds": seconds, "read": sum(o.read for o in outcomes), "failed": sum(o.failed for o in outcomes),
            "krs_with_checkin": len(rows), "max_checkins_per_kr": max((n for _i, n, _v, _k in rows), default=0),
            "wrong_values": len(wrong), "second_pass_read": again.read, "source": stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--krs", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256, help="runs claimed and written per transaction")
    parser.add_argument("--clocks", type=int, default=1, help="concurrent passes with different claimers")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ready, port = context.Event(), free_port()
    source = context.Process(target=_source_main, args=(port, ready), daemon=True)
    source.start()
    if not ready.wait(60):
        raise RuntimeError("the HTTP source did not start")
    base = f"http://127.0.0.1:{port}"
    drop = None
    try:
        if args.postgres:
            made = postgres_database()
            if made is None:
                return 1
            database_url, drop = made
        else:
            database_url = f"sqlite:///{tempfile.mkdtemp(prefix='okrbot-bench-')}/bench.db"
        started = time.perf_counter()
        seed(database_url, args.krs, base)
        print(f"seeded {args.krs} connector key results in {time.perf_counter() - started:.1f} s "
              f"({'PostgreSQL' if args.postgres else 'SQLite'})")
        result = asyncio.run(run(database_url, args.krs, args.concurrency, args.clocks, base, args.batch))
    finally:
        source.kill()
        if drop:
            drop()
    ok = (result["read"] == args.krs and result["krs_with_checkin"] == args.krs and result["max_checkins_per_kr"] == 1
          and result["wrong_values"] == 0 and result["second_pass_read"] == 0 and result["source"]["max"] == 1
          and result["source"]["total"] == args.krs)
    print(f"refreshed {result['read']} of {args.krs} in {result['seconds']:.1f} s "
          f"({args.krs / result['seconds']:.0f}/s) with {args.clocks} clock(s), concurrency {args.concurrency}, "
          f"batch {args.batch}; "
          f"failed {result['failed']}")
    print(f"check: {result['krs_with_checkin']} key results with a connector check-in, at most "
          f"{result['max_checkins_per_kr']} each, {result['wrong_values']} wrong values; source saw "
          f"{result['source']['total']} requests on {result['source']['paths']} paths, at most "
          f"{result['source']['max']} per path; a second pass read {result['second_pass_read']}")
    print("OK: none twice" if ok else "FAILED: see the check line")
    return 0 if ok and result["seconds"] <= 60 else 1


if __name__ == "__main__":
    sys.exit(main())
