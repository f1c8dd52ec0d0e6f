"""Does a stalled Bot Framework key endpoint freeze okrbot? /healthz latency while forged Teams tokens arrive.

`okrbot serve`'s real app runs in a child process on a free port with Teams authentication on
(SingleTenant, SQLite) and ToBotFromChannelOpenIdMetadataUrl pointing at a tarpit in this process:
it accepts every connection and sends nothing for `--hold` seconds. This process then sends, for
`--seconds`, /healthz at `--health-rate` a second and forged Teams activities at `--forged-rate` a
second (open loop: each on schedule whether or not the earlier ones have answered), every forged
token an RS256 JWT claiming the Bot Framework issuer, signed by a key of its own with a random key id.

Three runs, one after the other, each with a fresh server and tarpit:
- no forged tokens: /healthz alone, the baseline of this machine at this moment;
- okrbot: the keys fetched by adapters/teams/signing_keys.py (aiohttp, 5 s timeout, one fetch in
  flight, backoff), which the target is for: /healthz p99 under 50 ms;
- SDK fetch (`--no-sdk` skips it): the same app with botframework's own `_OpenIdMetadata` put back in
  the SDK's cache, i.e. okrbot before the fix (blocking `requests`, no timeout, on the event loop).
  Its requests are given up after `--client-timeout` s, counted as that long.

    .venv/bin/python bench/teams_stall.py [--seconds 10] [--health-rate 50] [--forged-rate 10] [--hold 20]
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from databases import free_port, prepare  # noqa: E402

APP_ID = "00000000-0000-0000-0000-00000000b07d"
TENANT = "11111111-0000-0000-0000-000000000001"


# ------------------------------------------------------------------ the server (a child process)


async def _serve(database_url: str, port: int, metadata_url: str, sdk_fetch: bool, ready) -> None:
    from aiohttp import web

    from okrbot.app import build_context
    from okrbot.server import build_app
    from okrbot.settings import Settings

    settings = Settings(database_url=database_url, sandbox=False, teams_app_id=APP_ID, teams_app_password="x",
                        teams_tenant_id=TENANT, teams_openid_metadata_url=metadata_url)
    app = build_app(build_context(settings, migrate=False))
    if sdk_fetch:  # okrbot before the fix: the SDK's own blocking fetcher for that URL
        from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

        JwtTokenExtractor.metadataCache[metadata_url] = _OpenIdMetadata(metadata_url)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.set()
    await asyncio.Event().wait()


def _server_main(database_url: str, port: int, metadata_url: str, sdk_fetch: bool, ready) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)  # every refusal is a warning line: not what is measured
    asyncio.run(_serve(database_url, port, metadata_url, sdk_fetch, ready))


# ------------------------------------------------------------------ load


def forged_token() -> str:
    import jwt

    from tests.fakes.token_service import ISSUER, new_key

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": "http://127.0.0.1:9/", "nbf": now, "exp": now + 600}
    return jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": uuid.uuid4().hex})


def forged_activity(n: int) -> dict:
    return {"type": "message", "id": f"forged-{n}", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:9/",
            "from": {"id": "29:mallory"}, "recipient": {"id": "28:okrbot"}, "text": "mine",
            "conversation": {"id": "a:forged", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}}}


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")

    def median(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


async def _timed(session, method: str, url: str, timings: Timings, timeout: float, **kwargs) -> None:
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kwargs) as response:
            await response.read()
            timings.statuses[response.status] += 1
            timings.latencies.append(time.perf_counter() - started)
    except TimeoutError:
        timings.statuses["timeout"] += 1
        timings.latencies.append(timeout)


async def load(base: str, seconds: float, health_rate: float, forged_rate: float,
               timeout: float) -> tuple[Timings, Timings]:
    import aiohttp

    health, forged = Timings(), Timings()
    tokens = [forged_token() for _ in range(int(seconds * forged_rate))]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await _timed(session, "GET", f"{base}/healthz", Timings(), timeout)  # warm-up
        tasks = []
        started = time.perf_counter()
        n_health = n_forged = 0
        while (now := time.perf_counter() - started) < seconds:
            if n_health <= now * health_rate:
                tasks.append(asyncio.create_task(_timed(session, "GET", f"{base}/healthz", health, timeout)))
                n_health += 1
            if forged_rate and n_forged <= now * forged_rate and n_forged < len(tokens):
                headers = {"Authorization": f"Bearer {tokens[n_forged]}"}
                tasks.append(asyncio.create_task(_timed(session, "POST", f"{base}/api/messages", forged, timeout,
                                                        json=forged_activity(n_forged), headers=headers)))
                n_forged += 1
            next_health = n_health / health_rate
            next_forged = n_forged / forged_rate if forged_rate else seconds
            await asyncio.sleep(max(0.0, min(next_health, next_forged) - (time.perf_counter() - started)))
        await asyncio.gather(*tasks)
    return health, forged


def run(sdk_fetch: bool, args, metadata_url: str, database_url: str, forged_rate: float) -> tuple[Timings, Timings]:
    port = free_port()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(target=_server_main, args=(database_url, port, metadata_url, sdk_fetch, ready),
                             daemon=True)
    server.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the server did not start")
        return asyncio.run(load(f"http://127.0.0.1:{port}", args.seconds, args.health_rate, forged_rate,
                                args.client_timeout))
    finally:
        server.kill()
        server.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--health-rate", type=float, default=50)
    parser.add_argument("--forged-rate", type=float, default=10)
    parser.add_argument("--hold", type=float, default=20, help="how long the tarpit holds each connection")
    parser.add_argument("--client-timeout", type=float, default=30)
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK-fetch (before the fix) run")
    args = parser.parse_args()

    from tests.fakes.token_service import Tarpit

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        database_url = f"sqlite:///{scratch}/bench.db"
        prepare(database_url)
        runs = [("no forged tokens (baseline)", False, 0.0), ("okrbot", False, args.forged_rate)]
        if not args.no_sdk:
            runs.append(("SDK fetch (before)", True, args.forged_rate))
        for name, sdk_fetch, forged_rate in runs:
            pit = Tarpit(hold=args.hold)
            try:
                health, forged = run(sdk_fetch, args, pit.url, database_url, forged_rate)
            finally:
                pit.close()
            rows.append((name, health, forged, pit.connections))

    print(f"{args.seconds:.0f} s: /healthz at {args.health_rate:.0f}/s, forged Teams tokens at "
          f"{args.forged_rate:.0f}/s; key endpoint: a tarpit holding each connection {args.hold:.0f} s")
    print("| key fetch | /healthz p50 | /healthz p99 | /healthz max | /healthz answers | forged p50 | forged p99 "
          "| forged answers | tarpit connections |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, health, forged, connections in rows:
        print(f"| {name} | {_ms(health.median())} | {_ms(health.percentile(0.99))} "
              f"| {_ms(health.percentile(1.0))} | {_statuses(health)} | {_ms(forged.median())} "
              f"| {_ms(forged.percentile(0.99))} | {_statuses(forged) or '-'} | {connections} |")
    okrbot_p99 = rows[1][1].percentile(0.99)
    print(f"target /healthz p99 < 50 ms with okrbot's key fetch: {'met' if okrbot_p99 < 50 else 'MISSED'}")


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f} ms"


def _statuses(timings: Timings) -> str:
    return ", ".join(f"{count}x {status}" for status, count in sorted(timings.statuses.items(), key=str))


if __name__ == "__main__":
    main()
