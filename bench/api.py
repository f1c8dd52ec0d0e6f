"""The REST API's check-in POST at a fixed rate, with /healthz sampled in the same run as a baseline.

okrbot serves in its own process (okrbot.server.build_app, as `okrbot serve` would) on a free port, over
the example organization on SQLite (or PostgreSQL with --postgres), with a write token created for the
run and the per-token rate off (API_REQUESTS_PER_MINUTE=0: one token sends all the load). This process
sends, open loop, POST /api/v1/orgs/ID/key-results/CODE/checkins at --rate per second (each with its own
Idempotency-Key, spread over the four rd-efficiency key results) and, interleaved, GET /healthz at
--healthz-rate; latency is from the send to the response. Every POST must answer 201, and afterwards
the database must hold exactly one api check-in per POST sent.

    .venv/bin/python bench/api.py [--rate 100] [--healthz-rate 20] [--seconds 20] [--postgres]

Target (issue #14): report the POST's p99 at 100 requests/s beside /healthz's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from databases import free_port, postgres_database, prepare  # noqa: E402

CODES = ("rd-o1-kr1", "rd-o1-kr2", "rd-o1-kr3", "rd-o1-kr4")


def _server_main(database_url: str, port: int, ready) -> None:
    async def serve() -> None:
        from aiohttp import web

        from okrbot.app import build_context
        from okrbot.server import build_app
        from okrbot.settings import Settings

        settings = Settings(database_url=database_url, sandbox=False, api_requests_per_minute=0)
        runner = web.AppRunner(build_app(build_context(settings, migrate=False)), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


def token(database_url: str) -> tuple[int, str]:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from bot.api.tokens import create_token
    from storage.db import make_engine, make_sessionmaker, transaction
    from storage.models import Organization

    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as session:
        org_id = session.scalar(select(Organization.id))
        secret = create_token(session, org_id, "bench", "write", datetime.now(UTC))[1]
    engine.dispose()
    return org_id, secret


def stored(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import make_engine, make_sessionmaker
    from storage.models import CheckIn

    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        count = session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "api"))
    engine.dispose()
    return count


async def load(base: str, org_id: int, secret: str, rate: float, healthz_rate: float, seconds: float) -> dict:
    import aiohttp

    latencies: dict[str, list[float]] = {"post": [], "healthz": []}
    errors: dict[str, list[int]] = {"post": [], "healthz": []}
    headers = {"Authorization": f"Bearer {secret}"}

    async def one(http, kind: str, n: int) -> None:
        started = time.perf_counter()
        try:
            if kind == "post":
                url = f"{base}/api/v1/orgs/{org_id}/key-results/{CODES[n % len(CODES)]}/checkins"
                call = http.post(url, json={"value": n % 100, "note": "bench"},
                                 headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
                expected = 201
            else:
                call, expected = http.get(f"{base}/healthz"), 200
            async with call as response:
                await response.read()
                status = response.status
        except Exception:  # noqa: BLE001 - counted as an error
            status = 0
        (latencies[kind] if status == expected else errors[kind]).append(
            time.perf_counter() - started if status == expected else status)

    async def schedule(http, kind: str, per_second: float, tasks: list) -> None:
        start = time.perf_counter()
        for n in range(int(per_second * seconds)):
            delay = start + n / per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(http, kind, n)))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await one(http, "healthz", 0)  # warm-up
        latencies["healthz"].clear()
        tasks: list = []
        await asyncio.gather(schedule(http, "post", rate, tasks), schedule(http, "healthz", healthz_rate, tasks))
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors}


def row(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no answers"
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"n={len(ordered)} p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="check-in POSTs per second")
    parser.add_argument("--healthz-rate", type=float, default=20.0, help="GET /healthz per second, same run")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    drop = None
    if args.postgres:
        made = postgres_database()
        if made is None:
            return 1
        database_url, drop = made
    else:
        database_url = f"sqlite:///{tempfile.mkdtemp(prefix='okrbot-bench-')}/api.db"
    try:
        prepare(database_url)
        org_id, secret = token(database_url)
        context = multiprocessing.get_context("spawn")
        ready, port = context.Event(), free_port()
        server = context.Process(target=_server_main, args=(database_url, port, ready), daemon=True)
        server.start()
        if not ready.wait(60):
            raise RuntimeError("okrbot did not start")
        try:
            result = asyncio.run(load(f"http://127.0.0.1:{port}", org_id, secret, args.rate, args.healthz_rate,
                                      args.seconds))
        finally:
            server.kill()
        count = stored(database_url)
    finally:
        if drop:
            drop()
    sent = int(args.rate * args.seconds)
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}, {args.seconds:g} s: POST check-in at {args.rate:g}/s: "
          f"{row(result['latencies']['post'])}; errors {len(result['errors']['post'])}")
    print(f"GET /healthz at {args.healthz_rate:g}/s, same run: {row(result['latencies']['healthz'])}; "
          f"errors {len(result['errors']['healthz'])}")
    print(f"stored: {count} api check-ins for {sent} POSTs sent")
    return 0 if count == sent and not result["errors"]["post"] else 1


if __name__ == "__main__":
    sys.exit(main())
