"""Ritual fan-out: 1,000 teams of one Slack workspace all due at the same minute.

A fake Slack Web API (tests/fakes/slack_api.FakeSlack, with Slack's limits added: one message per
second per channel and a workspace-wide rate, answering HTTP 429 with an integer Retry-After above
either) receives the posts. The clock is the real one: `okrbot clock` (APScheduler, the sweep, the
real Slack messenger, the Deliverer) in a child process, on SQLite.

The bound is teams / workspace rate: no sender can beat it. Targets: total time at most 1.15 times
the bound; every team's post accepted exactly once.

Runs:
1. straight: one clock posts all; time from the due minute's first sweep to the last accepted post;
2. stopped: the clock is stopped (SIGTERM) once half the posts are accepted, and started again;
3. killed: the same with SIGKILL; the restarted clock resumes the dead one's claims at once (same
   host, process gone) and finishes. The posts that were in flight are in doubt: the new clock asks
   Slack (conversations.history) whether each arrived; "in doubt N (found M)" counts those look-ups
   and the ones whose post had arrived, which would otherwise have been posted twice.

Teams live in a zone where it is now the due minute (Etc/GMT offsets), so the child is the stock
`okrbot clock` on the system clock, with no test hooks.

    .venv/bin/python bench/fanout.py [--teams 1000] [--rate 50]

Many workspaces (`--workspaces W`, on PostgreSQL): W organizations, each a Slack workspace with --teams
channels; the fake limits each workspace to --rate posts a second and each channel to one, and the
clocks pace themselves with the shared send budgets (SLACK_POSTS_PER_SECOND=--rate). For each count
in --clocks, M `okrbot clock` processes run the fan-out three times: against an unlimited fake (the
baseline, budgets off), against the limited one, and with one clock SIGKILLed half way (a new one
started in its place). See run_many for the targets.

    .venv/bin/python bench/fanout.py --workspaces 50 --teams 40 --rate 10 --clocks 1,3
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.fakes.slack_api import LimitedSlack  # noqa: E402


def pick_zone(now: datetime) -> tuple[str, int, str]:
    """An Etc/GMT zone where the local time is between 03:00 and 14:00, and the local weekday and HH:MM
    one minute ago (so the ritual is due now and its window, the rest of the local day, is long)."""
    for offset in range(-12, 15):
        local = now + timedelta(hours=offset)
        if 3 <= local.hour <= 14:
            name = "Etc/GMT" + ("-" if offset > 0 else "+") + str(abs(offset)) if offset else "Etc/GMT"
            due = local - timedelta(minutes=1)
            return name, due.weekday(), f"{due:%H:%M}"
    raise RuntimeError("no zone fits")


def workspace_id(w: int) -> str:
    return f"T{w:03d}BENCH"


def channel_id(w: int, n: int) -> str:
    return f"C{w:03d}{n:05d}"


def workspace_of(channel: str) -> str:
    return workspace_id(int(channel[1:4]))


def seed(database_url: str, teams: int, workspaces: int = 1) -> None:
    """`workspaces` organizations (Slack workspaces), each with `teams` teams bound to channels of their own."""
    from sqlalchemy import insert, select

    from bot.workspaces import link
    from okrbot.app import build_context
    from okrbot.settings import Settings
    from storage.db import transaction
    from storage.models import ChannelBinding, Organization, RitualSetting, Team

    ctx = build_context(Settings(database_url=database_url), migrate=True)
    zone, weekday, at = pick_zone(datetime.now(UTC))
    with transaction(ctx.sessions) as s:
        for w in range(workspaces):
            org = Organization(name=f"Fan-out {w}", timezone=zone, created_at=datetime.now(UTC))
            s.add(org)
            s.flush()
            link(s, org, "slack", workspace_id(w))
            s.execute(insert(Team), [{"org_id": org.id, "key": f"team-{n}", "name": f"Team {n}", "level": "team"}
                                     for n in range(teams)])
            ids = list(s.scalars(select(Team.id).where(Team.org_id == org.id).order_by(Team.id)))
            s.execute(insert(ChannelBinding), [{"org_id": org.id, "team_id": t, "platform": "slack",
                                                "channel_id": channel_id(w, n)} for n, t in enumerate(ids)])
            s.execute(insert(RitualSetting), [{"team_id": t, "ritual": "monday", "org_id": org.id,
                                               "weekday": weekday, "time": at, "enabled": True} for t in ids])
    ctx.engine.dispose()


def start_clock(database_url: str, api_url: str, log: Path, rate: float) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-bench",
           "SLACK_POSTS_PER_SECOND": str(rate),
           "SLACK_SIGNING_SECRET": "bench", "SLACK_API_URL": api_url, "OKRBOT_SANDBOX": "0", "LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "okrbot.cli", "clock"], env=env, cwd=ROOT,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def states(database_url: str) -> collections.Counter:
    from sqlalchemy import func, select

    from storage.db import make_engine
    from storage.models import RitualRun

    engine = make_engine(database_url)
    with engine.connect() as c:
        rows = c.execute(select(RitualRun.state, func.count()).group_by(RitualRun.state)).all()
    engine.dispose()
    return collections.Counter(dict(rows))


async def run(name: str, teams: int, rate: float | None, kill: signal.Signals | None, workdir: Path,
              workspaces: int = 1, clocks: int = 1, postgres: bool = False) -> dict:
    """One scenario. `rate` None: an unlimited fake (and no budgets), the baseline of the same run."""
    drop = None
    if postgres:
        from bench.databases import postgres_database

        database_url, drop = postgres_database()
    else:
        database_url = f"sqlite:///{workdir / name}.db"
    seed(database_url, teams, workspaces)
    fake = await LimitedSlack(team_id=workspace_id(0), rate=rate, channel_rate=1.0 if rate else None,
                              workspace_of=workspace_of, record=False).start()
    log = workdir / f"{name}.log"
    total = teams * workspaces
    kill_at = total // 2 if kill else None
    started = time.monotonic()
    running = [start_clock(database_url, fake.api_url, log, rate or 0) for _ in range(clocks)]
    killed = False
    deadline = started + 60 + 5 * total / (rate or 50)
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            done = len(fake.accepted)
            if kill_at and not killed and done >= kill_at:
                running[0].send_signal(kill)  # one clock dies half way; a supervisor starts another
                await asyncio.to_thread(running[0].wait)
                killed = True
                running[0] = start_clock(database_url, fake.api_url, log, rate or 0)
            if done >= total and states(database_url).get("posted", 0) >= total:
                break
    finally:
        for clock in running:
            clock.send_signal(signal.SIGTERM)
        for clock in running:
            try:
                clock.wait(timeout=30)
            except subprocess.TimeoutExpired:
                clock.kill()
        await fake.stop()
    runs = dict(states(database_url))
    if drop:
        drop()
    counts = collections.Counter(fake.accepted.values())
    channels = {channel_id(w, n) for w in range(workspaces) for n in range(teams)}
    lost = len(channels - set(fake.accepted))
    doubled = sum(1 for c in fake.accepted.values() if c > 1)
    times = [t for ts in fake.accepted_at.values() for t in ts]
    elapsed = max(times) - min(times) if times else 0.0
    busiest = max((fake.busiest_second(workspace_id(w), accepted=True) for w in range(workspaces)), default=0)
    busiest_sent = max((fake.busiest_second(workspace_id(w)) for w in range(workspaces)), default=0)
    return {"name": name, "signal": kill.name if kill else None, "teams": teams, "workspaces": workspaces,
            "clocks": clocks, "rate": rate, "elapsed": elapsed, "bound": teams / rate if rate else 0.0,
            "lost": lost, "doubled": doubled, "refused": fake.refused, "posts": total, "busiest": busiest,
            "busiest_sent": busiest_sent, "lookups": fake.lookups, "found": fake.found, "runs": runs,
            "killed": killed, "accepted": sum(fake.accepted.values()), "copies": dict(counts)}


def report(r: dict) -> str:
    ratio = r["elapsed"] / r["bound"]
    stopped = f" ({r['signal']} half way, then a new clock)" if r["signal"] else ""
    return (f"{r['name']:<8} {r['teams']} teams at {r['rate']:g} msg/s: first to last post {r['elapsed']:.1f} s, bound "
            f"{r['bound']:.1f} s, ratio {ratio:.3f} (target <= 1.15); lost {r['lost']}, doubled {r['doubled']}, "
            f"429s {r['refused']}, in doubt {r['lookups']} (found {r['found']}), runs {r['runs']}{stopped}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50, help="workspace-wide chat.postMessage per second")
    parser.add_argument("--only", choices=("straight", "stopped", "killed"), help="run one scenario")
    parser.add_argument("--keep", help="keep databases and clock logs in this directory")
    parser.add_argument("--workspaces", type=int, help="many workspaces: this many, each with --teams channels "
                        "limited to --rate per workspace and 1/s per channel, on PostgreSQL (see run_many)")
    parser.add_argument("--clocks", default="1,3", help="with --workspaces: clock process counts to compare")
    args = parser.parse_args()
    if args.workspaces:
        return run_many(args)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        results = []
        for name, kill in (("straight", None), ("stopped", signal.SIGTERM), ("killed", signal.SIGKILL)):
            if args.only and name != args.only:
                continue
            results.append(asyncio.run(run(name, args.teams, args.rate, kill, Path(tmp))))
            print(report(results[-1]), flush=True)
        slow = [r for r in results if r["name"] == "straight" and r["elapsed"] > 1.15 * r["bound"]]
        if slow or any(r["lost"] or r["doubled"] for r in results):
            for r in results:
                lines = (Path(tmp) / f"{r['name']}.log").read_text().splitlines()
                print(f"--- {r['name']}.log (tail)\n" + "\n".join(lines[-10:]))
            return 1
    return 0


def run_many(args) -> int:
    """Many workspaces on PostgreSQL, for each clock count: the same fan-out against an unlimited fake (the
    baseline), against the limited one, and against the limited one with a clock killed half way.
    Targets: time within 1.5x of max(per-workspace bound, baseline); no second of a workspace over the
    limit; 429s at most 5% of posts; none lost or doubled."""
    ok = True
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(args.keep or scratch)
        for clocks in (int(c) for c in args.clocks.split(",")):
            runs = {}
            for name, rate, kill in (("unlimited", None, None), ("limited", args.rate, None),
                                     ("killed", args.rate, signal.SIGKILL)):
                runs[name] = r = asyncio.run(run(f"{name}-{clocks}", args.teams, rate, kill, tmp, args.workspaces,
                                                 clocks, postgres=True))
                share = r["refused"] / r["posts"]
                print(f"{clocks} clock(s) {name:<9} {r['workspaces']}x{r['teams']} posts: first to last "
                      f"{r['elapsed']:.1f} s; busiest second of a workspace {r['busiest']} accepted, "
                      f"{r['busiest_sent']} sent; 429s {r['refused']} ({share:.1%}); lost {r['lost']}, doubled "
                      f"{r['doubled']}; runs {r['runs']}", flush=True)
                ok &= not r["lost"] and not r["doubled"] and (rate is None or (
                    share <= 0.05 and r["busiest"] <= rate))
            target = max(runs["limited"]["bound"], runs["unlimited"]["elapsed"])
            ratio = runs["limited"]["elapsed"] / target
            print(f"{clocks} clock(s): limited {runs['limited']['elapsed']:.1f} s vs max(bound "
                  f"{runs['limited']['bound']:.1f} s, unlimited {runs['unlimited']['elapsed']:.1f} s) = "
                  f"{target:.1f} s: ratio {ratio:.2f} (target <= 1.5)", flush=True)
            ok &= ratio <= 1.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
