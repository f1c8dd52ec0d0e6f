"""Teams: `@okrbot confidence` activities per second at saturation, and the Monday fan-out to 500 channels.

1. Saturation (closed loop, N concurrent senders, real HTTP to a server in its own process, as
   `okrbot serve` would run; each server has the fake Bot Connector in its process):
   - okrbot on SQLite (and PostgreSQL when reachable): the real app (okrbot.server.build_app) over
     the example organization, authentication off; every activity records a check-in and answers
     with an Adaptive Card through the connector (a reply, as Teams expects);
   - bare: a CloudAdapter with an ActivityHandler that echoes the text: the baseline cost of the
     Bot Framework SDK, aiohttp and one outbound reply, without okrbot.
   Target: okrbot's throughput at least half of bare's. Latency is from send to HTTP response,
   which includes the reply to the connector (the SDK sends it before answering).
2. Fan-out: the rituals engine (bot/rituals sweep) posts the Monday four-square to 500 Teams
   channels of one tenant through the Teams Messenger against the fake connector. Checked: every
   channel got exactly one new thread (none lost, none doubled), every run is recorded as posted, and
   no 1-second window had more than 50 requests to the tenant (Teams' per-app per-tenant limit).

    .venv/bin/python bench/teams.py [--seconds 10] [--concurrency 16] [--channels 500] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from databases import free_port, postgres_database, prepare  # noqa: E402

TENANT = "bench-tenant"
BOT = {"id": "28:okrbot-bench", "name": "okrbot"}
MONDAY_0900 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, the example's zone
TENANT_LIMIT = 50  # requests per second per app per tenant




# ------------------------------------------------------------------ servers (child processes)


async def _serve_okrbot(database_url: str, port: int, ready, connector_url) -> None:
    from aiohttp import web

    from okrbot.app import build_context
    from okrbot.server import build_app
    from okrbot.settings import Settings
    from tests.fakes.bot_connector import start_bot_connector

    fake, _ = await start_bot_connector()
    fake.add_member("29:engineer", "aad-engineer", "engineer@example.com", "Zhou Qiang")
    runner = web.AppRunner(build_app(build_context(Settings(database_url=database_url, sandbox=False, teams_open=True),
                                                   migrate=False)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    connector_url.value = fake.url.encode()
    ready.set()
    await asyncio.Event().wait()


async def _serve_bare(port: int, ready, connector_url) -> None:
    from aiohttp import web
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    from tests.fakes.bot_connector import start_bot_connector

    class Configuration:
        APP_ID = ""
        APP_PASSWORD = ""

    class Echo(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(f"echo: {turn_context.activity.text}"))

    fake, _ = await start_bot_connector()
    adapter, bot = CloudAdapter(ConfigurationBotFrameworkAuthentication(Configuration())), Echo()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    connector_url.value = fake.url.encode()
    ready.set()
    await asyncio.Event().wait()


def _server_main(kind: str, database_url: str | None, port: int, ready, connector_url) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)  # the auth-off warning once, not per request
    if kind == "bare":
        asyncio.run(_serve_bare(port, ready, connector_url))
    else:
        asyncio.run(_serve_okrbot(database_url, port, ready, connector_url))


def _run_server(kind: str, database_url: str | None):
    context = multiprocessing.get_context("spawn")
    ready, connector_url = context.Event(), context.Array("c", 128)
    port = free_port()
    process = context.Process(target=_server_main, args=(kind, database_url, port, ready, connector_url),
                              daemon=True)
    process.start()
    if not ready.wait(60):
        process.kill()
        raise RuntimeError(f"the {kind} server did not start")
    return process, f"http://127.0.0.1:{port}/api/messages", connector_url.value.decode()


# ------------------------------------------------------------------ databases






# ------------------------------------------------------------------ load


def _activity(n: int, service_url: str) -> dict:
    return {
        "type": "message", "id": f"b{n}", "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": "29:engineer", "name": "Zhou Qiang", "aadObjectId": "aad-engineer"}, "recipient": BOT,
        "conversation": {"id": "a:personal-engineer", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}}, "text": f"confidence rd-o1-kr3 {1 + n % 10} bench",
    }


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    errors: int

    def row(self) -> tuple[float, float, float]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
        p50 = statistics.median(ordered) if ordered else float("nan")
        return p50 * 1000, p99 * 1000, len(ordered) / self.seconds


async def saturation(url: str, service_url: str, concurrency: int, seconds: float) -> Result:
    import aiohttp

    latencies: list[float] = []
    errors: list[int] = []
    counter = iter(range(10**9))

    async def one(session, n: int) -> None:
        started = time.perf_counter()
        try:
            async with session.post(url, json=_activity(n, service_url)) as response:
                await response.read()
                ok = response.status in (200, 201)
        except Exception:  # noqa: BLE001 - counted, not fatal
            ok = False
        (latencies.append(time.perf_counter() - started) if ok else errors.append(n))

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        for n in range(3):  # warm-up: member look-up, connections, caches
            await one(session, n)
        latencies.clear()
        deadline = time.perf_counter() + seconds

        async def sender() -> None:
            while time.perf_counter() < deadline:
                await one(session, next(counter))

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Result(latencies, elapsed, len(errors))


# ------------------------------------------------------------------ fan-out


async def _fan_out_child(connector: str, channels: int) -> dict:
    """In its own process, like `okrbot clock`: so the fake connector's clock sees real arrival times."""
    from sqlalchemy import select

    from bot.rituals.delivery import Deliverer
    from bot.rituals.sweep import sweep
    from bot.timesource import ManualClock
    from bot.workspaces import link
    from okrbot.app import build_context
    from okrbot.server import build_app
    from okrbot.settings import Settings
    from storage.db import transaction
    from storage.models import ChannelBinding, ConversationRef, Organization, RitualRun, RitualSetting, Team

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/fanout.db"
        prepare(url)
        ctx = build_context(Settings(database_url=url, sandbox=False, teams_open=True), clock=ManualClock(MONDAY_0900),
                            migrate=False)
        build_app(ctx)  # registers ctx.messengers["teams"]
        channel_ids = [f"19:squad-{i:04d}@thread.tacv2" for i in range(channels)]
        with transaction(ctx.sessions) as s:
            org = s.scalar(select(Organization))
            link(s, org, "teams", TENANT)
            parent = s.scalar(select(Team).where(Team.key == "ecology"))
            for i, channel in enumerate(channel_ids):
                team = Team(org_id=org.id, key=f"squad-{i:04d}", name=f"Squad {i}", level="team", parent_id=parent.id)
                s.add(team)
                s.flush()
                s.add(ChannelBinding(org_id=org.id, team_id=team.id, platform="teams", channel_id=channel))
                s.add(RitualSetting(org_id=org.id, team_id=team.id, ritual="monday", weekday=0, time="09:00"))
                s.add(ConversationRef(org_id=org.id, platform="teams", kind="channel", key=channel,
                                      updated_at=MONDAY_0900,
                                      reference={"bot": BOT, "channelId": "msteams", "serviceUrl": connector,
                                                 "conversation": {"id": channel, "conversationType": "channel",
                                                                  "isGroup": True, "tenantId": TENANT}}))
        started = time.perf_counter()
        result = await sweep(ctx, MONDAY_0900, deliverer=Deliverer(concurrency=64))
        again = await sweep(ctx, MONDAY_0900, deliverer=Deliverer(concurrency=64))  # a second clock, same minute
        elapsed = time.perf_counter() - started
        with ctx.sessions() as s:
            posted = s.scalars(select(RitualRun.channel_id).where(
                RitualRun.ritual == "monday", RitualRun.platform == "teams", RitualRun.state == "posted")).all()
        ctx.engine.dispose()
    return {"seconds": elapsed, "runs_posted": len(set(posted) & set(channel_ids)),
            "second_sweep_claimed": again.due, "sweep": str(result), "channel_ids": channel_ids}


def _fan_out_main(connector: str, channels: int, results) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    results.put(asyncio.run(_fan_out_child(connector, channels)))


async def fan_out(channels: int) -> dict:
    from tests.fakes.bot_connector import start_bot_connector

    fake, runner = await start_bot_connector()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_fan_out_main, args=(fake.url, channels, results), daemon=True)
    process.start()
    report = await asyncio.to_thread(results.get, True, 600)
    await asyncio.to_thread(process.join)
    await runner.cleanup()
    channel_ids = report.pop("channel_ids")
    targets = [c.body["channelData"]["channel"]["id"] for c in fake.of("create")]
    moments = sorted(c.at for c in fake.calls if c.kind != "member")
    busiest = max((sum(1 for m in moments[i:] if m < start + 1.0) for i, start in enumerate(moments)), default=0)
    return {**report, "channels": channels, "creates": len(targets), "lost": len(set(channel_ids) - set(targets)),
            "doubled": len(targets) - len(set(targets)), "busiest_second": busiest}


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each saturation run")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders at saturation")
    parser.add_argument("--channels", type=int, default=500, help="Teams channels in the Monday fan-out")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()

    servers: list[tuple[str, str | None]] = [("bare CloudAdapter echo", None)]
    cleanup = []
    tmp = tempfile.TemporaryDirectory()
    sqlite_url = f"sqlite:///{tmp.name}/bench.db"
    prepare(sqlite_url)
    servers.append(("okrbot sqlite", sqlite_url))
    if not args.no_postgres and (found := postgres_database()) is not None:
        prepare(found[0])
        servers.append(("okrbot postgresql", found[0]))
        cleanup.append(found[1])
    rows: dict[str, Result] = {}
    try:
        for name, database_url in servers:
            process, url, connector = _run_server("bare" if database_url is None else "okrbot", database_url)
            try:
                rows[name] = asyncio.run(saturation(url, connector, args.concurrency, args.seconds))
            finally:
                process.kill()
                process.join()
    finally:
        for drop in cleanup:
            drop()
        tmp.cleanup()

    bare = rows[servers[0][0]].row()[2]
    print(f"{'server':<24} {'p50 ms':>7} {'p99 ms':>7} {'act/s':>7} {'errors':>6} {'vs bare':>7}")
    verdicts = []
    for name, result in rows.items():
        p50, p99, throughput = result.row()
        print(f"{name:<24} {p50:>7.1f} {p99:>7.1f} {throughput:>7.0f} {result.errors:>6} {throughput / bare:>7.2f}")
        if not name.startswith("bare"):
            verdicts.append(throughput / bare >= 0.5 and result.errors == 0)

    fan = asyncio.run(fan_out(args.channels))
    print(f"\nMonday fan-out to {fan['channels']} Teams channels: {fan['seconds']:.1f} s, {fan['creates']} threads "
          f"created, {fan['lost']} lost, {fan['doubled']} doubled, {fan['runs_posted']} runs posted, "
          f"second sweep claimed {fan['second_sweep_claimed']}, busiest second {fan['busiest_second']} requests "
          f"(limit {TENANT_LIMIT}/s per tenant); sweep: {fan['sweep']}")
    verdicts.append(fan["lost"] == fan["doubled"] == fan["second_sweep_claimed"] == 0
                    and fan["runs_posted"] == fan["channels"] and fan["busiest_second"] <= TENANT_LIMIT)
    print("all targets met" if all(verdicts) else "a target was MISSED")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
