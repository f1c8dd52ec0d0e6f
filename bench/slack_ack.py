"""How fast okrbot acknowledges Slack: signed `/okr confidence` requests against the running server.

Each server runs in its own process (as `okrbot serve` would) on a free port, with SLACK_API_URL on a
fake Slack Web API inside that process; the load comes from this process over real HTTP.
- okrbot on SQLite, okrbot on PostgreSQL: the real app (okrbot.server.build_app) over the example
  organization; every request records a check-in and answers with the card in the ack;
- bare: a slack-bolt AsyncApp on the same aiohttp adapter pieces, whose only listener acks. It is
  the baseline: the cost of Slack's signature check, bolt and aiohttp without okrbot.
Two loads for each: a fixed rate (open loop: a request is sent on schedule whether or not the earlier
ones have answered; latency is from the send to the HTTP response) and saturation (closed loop,
N concurrent senders, for throughput). Targets: p99 <= 100 ms at 100 requests/s; saturation
throughput at least half of bare's.

    .venv/bin/python bench/slack_ack.py [--rate 100] [--seconds 10] [--rounds 5] [--concurrency 16] [--no-postgres]
    .venv/bin/python bench/slack_ack.py --cost 600 [--rate 10]    # the load-insensitive proxies only

The servers run side by side and the loads are interleaved in rounds, so whatever else the machine
does at the time weighs on every row alike. "CPU ms/req" is the server process's CPU time per request
(Linux /proc), steadier than wall time on a busy machine: at the fixed rate including the work of the
commands acked empty ("late": recorded, done again, answered through the response_url, which points at
the server's fake Slack), at saturation measured once that work is done. Every request is a new
command (a new trigger_id). Last, the core alone: the SQL
statements and the CPU time of one `/okr confidence` through `Core.handle` in this process, no HTTP.

`--cost N` measures only what a loaded machine does not change much: N requests to each server at a rate below
saturation (`--rate`, 10/s by default) with an ack budget of a minute, so every command takes the in-time path
whatever the load (a loaded host would otherwise put some off, and each of those is done twice), and for each
server its CPU ms per request and, counted inside the server process, the SQL statements and transactions per
request. Latency is not reported in this mode: on a busy host it says more about the other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from databases import free_port, postgres_database, prepare  # noqa: E402

SECRET = "bench-signing-secret"
COST_ACK_BUDGET = 60.0  # --cost: every command is done in time, however loaded the host


# ------------------------------------------------------------------ servers (child processes)




def _count_sql(counts) -> None:
    """Count every engine's statements and transactions of this process into counts[0] and counts[1] (shared)."""
    from sqlalchemy import Engine, event

    def statement(*_args) -> None:
        with counts.get_lock():
            counts[0] += 1

    def begin(*_args) -> None:
        with counts.get_lock():
            counts[1] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", begin)


async def _serve_okrbot(database_url: str, port: int, ready, counts=None) -> None:
    """okrbot's real app; `counts` (the --cost mode) also counts its SQL and gives it a long ack budget."""
    from aiohttp import web

    from okrbot.app import build_context
    from okrbot.server import build_app
    from okrbot.settings import Settings
    from tests.fakes.slack_api import FakeSlack

    if counts is not None:
        _count_sql(counts)
    fake = await FakeSlack().start()
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-bench", slack_signing_secret=SECRET,
                        slack_api_url=fake.api_url, sandbox=False,
                        extra={} if counts is None else {"slack_ack_budget": str(COST_ACK_BUDGET)})
    runner = web.AppRunner(build_app(build_context(settings, migrate=False)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.put(fake.response_url("late"))  # a command answered after its ack is answered there, as in Slack
    await asyncio.Event().wait()


async def _serve_bare(port: int, ready) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from tests.fakes.slack_api import FakeSlack

    fake = await FakeSlack().start()
    bolt = AsyncApp(name="bare", signing_secret=SECRET, process_before_response=True,
                    client=AsyncWebClient(token="xoxb-bench", base_url=fake.api_url))

    @bolt.command("/okr")
    async def ack_only(ack) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready.put(fake.response_url("late"))
    await asyncio.Event().wait()


def _server_main(kind: str, database_url: str | None, port: int, ready, counts=None) -> None:
    if kind == "bare":
        asyncio.run(_serve_bare(port, ready))
    else:
        asyncio.run(_serve_okrbot(database_url, port, ready, counts))


# ------------------------------------------------------------------ databases






def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux); None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int, quiet: float = 0.05, longest: float = 60.0) -> float | None:
    """Wait until the server is idle (under `quiet` CPU seconds in half a second: the commands answered late are
    done) and return its CPU time then; None without /proc."""
    deadline = time.monotonic() + longest
    last = _cpu_seconds(pid)
    while last is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_seconds(pid)
        if now is None or now - last < quiet:
            return now
        last = now
    return last


def core_alone(database_url: str, calls: int = 300) -> tuple[int, list[str], float]:
    """(statements, their first words, CPU ms) per `/okr confidence 1 N` through Core.handle, no HTTP."""
    from sqlalchemy import event

    from bot.core import Core
    from bot.model import Interaction
    from storage.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    core = Core(make_sessionmaker(engine))
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))

    def one(n: int) -> None:
        core.handle(Interaction(platform="slack", workspace="T0TEAM", actor="U0ENGINEER", kind="command",
                                text=f"confidence 1 {1 + n % 10} bench", conversation="C0RDEFF"))

    one(0)
    seen.clear()
    one(1)
    statements = list(seen)
    started = time.process_time()
    for n in range(calls):
        one(n)
    cpu_ms = (time.process_time() - started) / calls * 1000
    engine.dispose()
    return len(statements), [" ".join(s.split()[:1]) for s in statements], cpu_ms


# ------------------------------------------------------------------ load


# Every request of a run is a new command (Slack's trigger_id is unique per sending): a trigger_id seen before
# would be answered "already done" from the inbox, a cheaper path than the one measured.
_TRIGGERS = itertools.count()
_RUN = uuid.uuid4().hex[:8]


def _signed(text: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    from slack_sdk.signature import SignatureVerifier

    body = urlencode({
        "team_id": "T0TEAM", "channel_id": "C0RDEFF", "user_id": "U0ENGINEER", "user_name": "engineer",
        "command": "/okr", "text": text, "response_url": response_url, "trigger_id": f"{_RUN}-{next(_TRIGGERS)}",
    })
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


@dataclass(frozen=True)
class Target:
    url: str  # the server's /slack/events
    response_url: str  # where it answers a command after an empty ack (its fake Slack)


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    errors: int
    late: int = 0  # acked empty: not done within the ack budget, answered later through the response_url

    def __add__(self, other: Result) -> Result:
        return Result(self.latencies + other.latencies, self.seconds + other.seconds, self.errors + other.errors,
                      self.late + other.late)

    def row(self) -> tuple[float, float, float]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
        p50 = statistics.median(ordered) if ordered else float("nan")
        return p50 * 1000, p99 * 1000, len(ordered) / self.seconds


@dataclass
class Tally:
    latencies: list[float]
    errors: int = 0
    late: int = 0

    def result(self, seconds: float) -> Result:
        return Result(self.latencies, seconds, self.errors, self.late)


async def _one(session, target: Target, n: int, tally: Tally) -> None:
    body, headers = _signed(f"confidence 1 {1 + n % 10} bench", target.response_url)
    started = time.perf_counter()
    try:
        async with session.post(target.url, data=body, headers=headers) as response:
            answer = await response.read()
            ok = response.status == 200
    except Exception:  # noqa: BLE001 - counted, not fatal
        ok, answer = False, b""
    if ok:
        tally.latencies.append(time.perf_counter() - started)
        tally.late += not answer.strip()
    else:
        tally.errors += 1


async def fixed_rate(target: Target, rate: float, seconds: float) -> Result:
    import aiohttp

    tally = Tally([])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await _one(session, target, 0, Tally([]))  # warm-up (auth.test, connections, caches)
        tasks = []
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(session, target, n, tally)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return tally.result(elapsed)


async def saturation(target: Target, concurrency: int, seconds: float) -> Result:
    import aiohttp

    tally = Tally([])
    counter = iter(range(10**9))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await _one(session, target, 0, Tally([]))
        deadline = time.perf_counter() + seconds

        async def sender() -> None:
            while time.perf_counter() < deadline:
                await _one(session, target, next(counter), tally)

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return tally.result(elapsed)


# ------------------------------------------------------------------ main


def _run_server(kind: str, database_url: str | None, counts=None) -> tuple[multiprocessing.Process, Target]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    port = free_port()
    process = context.Process(target=_server_main, args=(kind, database_url, port, ready, counts), daemon=True)
    process.start()
    try:
        response_url = ready.get(timeout=60)
    except queue.Empty:
        process.kill()
        raise RuntimeError(f"the {kind} server did not start") from None
    return process, Target(f"http://127.0.0.1:{port}/slack/events", response_url)


def cost(servers: list[tuple[str, str | None]], requests: int, rate: float) -> None:
    """Print each server's CPU ms, statements and transactions per request at `rate`, below saturation."""
    context = multiprocessing.get_context("spawn")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {requests} requests at {rate:g}/s each")
    print(f"{'server':<20} {'CPU ms/req':>10} {'statements/req':>14} {'transactions/req':>16} {'late':>5} "
          f"{'errors':>6}")
    for name, database_url in servers:
        counts = context.Array("q", 2)
        process, target = _run_server("bare" if name == "bare" else "okrbot", database_url, counts)
        try:
            asyncio.run(fixed_rate(target, rate, max(1.0, 20 / rate)))  # warm-up: templates, caches, connections
            _settle(process.pid)
            started, before = _cpu_seconds(process.pid), tuple(counts)
            result = asyncio.run(fixed_rate(target, rate, requests / rate))
            ended = _settle(process.pid)  # the late ones' work included
            sent = len(result.latencies) + result.errors + 1  # fixed_rate sends one request of its own first
            cpu_ms = (ended - started) * 1000 / sent if started is not None and ended is not None else float("nan")
            statements, transactions = ((counts[i] - before[i]) / sent for i in (0, 1))
            late = "-" if name == "bare" else result.late
            print(f"{name:<20} {cpu_ms:>10.2f} {statements:>14.2f} {transactions:>16.2f} {late:>5} {result.errors:>6}")
        finally:
            process.kill()
            process.join()
    print("statements and transactions: counted by SQLAlchemy in the server process (SQLite's BEGIN IMMEDIATE is a "
          "statement; PostgreSQL's BEGIN, COMMIT and pool pre-ping are not)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second for the fixed-rate run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders at saturation")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the seconds are split into")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--cost", type=int, metavar="N",
                        help="only the proxies: N requests to each server at --rate (10/s unless given)")
    args = parser.parse_args()
    if args.cost and "--rate" not in sys.argv:
        args.rate = 10.0

    servers: list[tuple[str, str | None]] = [("bare", None)]
    cleanup = []
    tmp = tempfile.TemporaryDirectory()
    sqlite_url = f"sqlite:///{tmp.name}/bench.db"
    prepare(sqlite_url)
    servers.append(("okrbot sqlite", sqlite_url))
    if not args.no_postgres:
        found = postgres_database()
        if found is not None:
            prepare(found[0])
            servers.append(("okrbot postgresql", found[0]))
            cleanup.append(found[1])

    if args.cost:
        try:
            cost(servers, args.cost, args.rate)
        finally:
            for drop in cleanup:
                drop()
            tmp.cleanup()
        return 0

    processes, targets, pids = [], {}, {}
    rows: dict[str, tuple[Result, Result]] = {}
    cpu: dict[str, float] = {}
    rate_cpu: dict[str, float] = {}
    try:
        for name, database_url in servers:
            process, targets[name] = _run_server("bare" if name == "bare" else "okrbot", database_url)
            processes.append(process)
            pids[name] = process.pid
        # Interleaved rounds: whatever else the machine is doing falls on every server alike.
        part = args.seconds / args.rounds
        for _ in range(args.rounds):
            for name, target in targets.items():
                started = _cpu_seconds(pids[name])
                fixed = asyncio.run(fixed_rate(target, args.rate, part))
                before = _settle(pids[name])  # the commands answered late are done before saturation starts
                saturated = asyncio.run(saturation(target, args.concurrency, part))
                after = _settle(pids[name])
                if started is not None and before is not None and after is not None:
                    rate_cpu[name] = rate_cpu.get(name, 0.0) + before - started
                    cpu[name] = cpu.get(name, 0.0) + after - before
                if name in rows:
                    fixed, saturated = rows[name][0] + fixed, rows[name][1] + saturated
                rows[name] = (fixed, saturated)
        alone = {name: core_alone(database_url) for name, database_url in servers if database_url}
    finally:
        for process in processes:
            process.kill()
            process.join()
        for drop in cleanup:
            drop()
        tmp.cleanup()

    bare_throughput = rows["bare"][1].row()[2]
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'server':<20} {'rate p50 ms':>11} {'rate p99 ms':>11} {'late':>5} {'CPU ms/req':>10} {'errors':>6} "
          f"{'sat p50 ms':>10} {'sat p99 ms':>10} {'req/s':>8} {'vs bare':>7} {'CPU ms/req':>10}")
    for name, (fixed, saturated) in rows.items():
        f50, f99, _ = fixed.row()
        s50, s99, throughput = saturated.row()
        per_request = cpu[name] * 1000 / len(saturated.latencies) if name in cpu and saturated.latencies else None
        at_rate = rate_cpu[name] * 1000 / len(fixed.latencies) if name in rate_cpu and fixed.latencies else None
        late = "-" if name == "bare" else fixed.late  # the bare app acks every command empty
        print(f"{name:<20} {f50:>11.1f} {f99:>11.1f} {late:>5} "
              f"{at_rate if at_rate is not None else float('nan'):>10.2f} {fixed.errors + saturated.errors:>6} "
              f"{s50:>10.1f} {s99:>10.1f} {throughput:>8.0f} {throughput / bare_throughput:>7.2f} "
              f"{per_request if per_request is not None else float('nan'):>10.2f}")
    print("late: commands of the fixed-rate run acked empty (not done within the ack budget: recorded, done again and "
          "answered through the response_url); CPU ms/req: the server's CPU per request, at the fixed rate including "
          "the late ones' work, at saturation measured after the fixed run's late work was done")
    for name, (count, kinds, cpu_ms) in alone.items():
        print(f"{name}, core alone: {count} statements ({', '.join(kinds)}), {cpu_ms:.2f} ms CPU per /okr confidence")
    verdicts = []
    for name, (fixed, saturated) in rows.items():
        if name == "bare":
            continue
        p99 = fixed.row()[1]
        ratio = saturated.row()[2] / bare_throughput
        verdicts.append(p99 <= 100 and ratio >= 0.5)
        print(f"{name}: p99 at {args.rate:g}/s {'meets' if p99 <= 100 else 'MISSES'} the 100 ms target; "
              f"saturation {ratio:.2f} x bare {'meets' if ratio >= 0.5 else 'MISSES'} the 0.5 target")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
