"""Ritual fan-out: 1,000 teams of one Slack workspace all due at the same minute.

A fake Slack Web API (tests/fakes/slack_api.FakeSlack, with Slack's limits added: one message per
second per channel and a workspace-wide rate, answering HTTP 429 with an integer Retry-After above
either) receives the posts. The clock is the real one: `okrbot clock` (APScheduler, the sweep, the
real Slack messenger with slack_sdk's retry handlers, the Deliverer) in a child process, on SQLite.

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

WORKSPACE = "T0BENCH"


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


def seed(database_url: str, teams: int) -> None:
    from sqlalchemy import insert

    from okrbot.app import build_context
    from okrbot.settings import Settings
    from storage.db import transaction
    from storage.models import ChannelBinding, Organization, RitualSetting, Team

    ctx = build_context(Settings(database_url=database_url), migrate=True)
    zone, weekday, at = pick_zone(datetime.now(UTC))
    with transaction(ctx.sessions) as s:
        org = Organization(name="Fan-out", timezone=zone, slack_team_id=WORKSPACE, created_at=datetime.now(UTC))
        s.add(org)
        s.flush()
        s.execute(insert(Team), [{"org_id": org.id, "key": f"team-{n}", "name": f"Team {n}", "level": "team"}
                                 for n in range(teams)])
        ids = list(s.scalars(Team.__table__.select().with_only_columns(Team.id).order_by(Team.id)))
        s.execute(insert(ChannelBinding), [{"org_id": org.id, "team_id": t, "platform": "slack",
                                            "channel_id": f"C{n:05d}"} for n, t in enumerate(ids)])
        s.execute(insert(RitualSetting), [{"team_id": t, "ritual": "monday", "org_id": org.id, "weekday": weekday,
                                           "time": at, "enabled": True} for t in ids])
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


async def run(name: str, teams: int, rate: float, kill: signal.Signals | None, workdir: Path) -> dict:
    database_url = f"sqlite:///{workdir / name}.db"
    seed(database_url, teams)
    fake = await LimitedSlack(team_id=WORKSPACE, rate=rate, record=False).start()
    log = workdir / f"{name}.log"
    kill_at = teams // 2 if kill else None
    started = time.monotonic()
    clock = start_clock(database_url, fake.api_url, log, rate)
    killed = False
    deadline = started + 30 + 5 * teams / rate
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            done = len(fake.accepted)
            if kill_at and not killed and done >= kill_at:
                clock.send_signal(kill)
                await asyncio.to_thread(clock.wait)
                killed = True
                clock = start_clock(database_url, fake.api_url, log, rate)
            if done >= teams and states(database_url).get("posted", 0) >= teams:
                break
    finally:
        clock.send_signal(signal.SIGTERM)
        try:
            clock.wait(timeout=30)
        except subprocess.TimeoutExpired:
            clock.kill()
        await fake.stop()
    counts = collections.Counter(fake.accepted.values())
    channels = {f"C{n:05d}" for n in range(teams)}
    lost = len(channels - set(fake.accepted))
    doubled = sum(1 for c in fake.accepted.values() if c > 1)
    times = fake.accepted_at[WORKSPACE]
    elapsed = max(times) - min(times) if times else 0.0
    return {"name": name, "signal": kill.name if kill else None, "teams": teams, "rate": rate, "elapsed": elapsed,
            "bound": teams / rate, "lost": lost,
            "doubled": doubled, "refused": fake.refused,
            "lookups": fake.lookups, "found": fake.found, "runs": dict(states(database_url)), "killed": killed,
            "accepted": sum(fake.accepted.values()), "copies": dict(counts)}


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
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
