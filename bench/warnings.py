"""Early warnings (issue #13): 1,000 simultaneous confidence drops reach their leads within one sweep.

The organization is bench/generate.py's (10,000 people, 2,000 teams, 30,000 key results at scale 1; each team's
first person leads it). In the same minute, the owners of `--drops` key results of different teams each type
`/okr confidence KEY 2 ...` (a drop into red, and by 2 or more) through the real core (`Core.handle`, as a Slack
slash command would arrive): each check-in records its early warning and the `warning` event run in its own
transaction. Then ONE clock sweep (bot.rituals.sweep.sweep, the real Slack messenger and Deliverer with the shared
send budget) must send every warning to its team's leads. A fake Slack Web API in a child process
(tests/fakes/slack_api.LimitedSlack: `--rate` chat.postMessage a second for the workspace, one a second per
channel, HTTP 429 with Retry-After above either) receives the DMs, so this process's CPU is okrbot's alone.

Measured, with the load-insensitive proxies first (statements, CPU seconds), then wall time:
1. detection: statements and CPU per check-in that warns (the warning and its run are in the check-in's
   transaction), against the same check-in that does not warn (a rise);
2. the sweep: whether all warning runs were posted by that one sweep, DMs accepted by the fake (each lead once
   per warning of a team they lead, none more, none lost), the sweep's statements and CPU, and its wall time
   against the rate bound (DMs / --rate: no sender can beat it). Targets: everything within the one sweep;
   wall time at most 1.15x the bound (meaningful on a quiet host only); the sweep's CPU well under the bound.

    .venv/bin/python bench/warnings.py --scale 0.05 --drops 50            # a quick check (~1 minute)
    .venv/bin/python bench/warnings.py                                    # 1,000 drops, scale 1, SQLite
    .venv/bin/python bench/warnings.py --db postgresql                    # the same on a scratch PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from closing import Statements  # noqa: E402
from core import database  # noqa: E402
from generate import NOW, generate  # noqa: E402

from bot.model import Interaction  # noqa: E402
from bot.rituals.sweep import sweep  # noqa: E402
from bot.timesource import ManualClock  # noqa: E402
from bot.workspaces import link  # noqa: E402
from okrbot.app import build_context  # noqa: E402
from okrbot.clock import register_messengers  # noqa: E402
from okrbot.settings import Settings  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.models import (  # noqa: E402
    EarlyWarning,
    KeyResult,
    Objective,
    Organization,
    PlatformAccount,
    RitualRun,
    TeamMember,
)

WORKSPACE = "TBENCHWARN"
TARGET_RATIO = 1.15


def fake_slack(rate: float, started, stop, results) -> None:
    """The child process: a rate-limited fake Slack until `stop` is set; then its counts on `results`."""
    from tests.fakes.slack_api import LimitedSlack

    async def serve() -> None:
        fake = await LimitedSlack(team_id=WORKSPACE, rate=rate, channel_rate=1.0, record=False).start()
        started.put(fake.api_url)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await fake.stop()
        times = fake.accepted_at.get(WORKSPACE, [])
        results.put({"accepted": dict(fake.accepted), "refused": fake.refused,
                     "first_to_last": max(times) - min(times) if times else 0.0,
                     "busiest": fake.busiest_second(WORKSPACE, accepted=True)})

    asyncio.run(serve())


class Counted(Statements):
    """Statements run on an engine (bench/closing.py's count) and this process's CPU time, between two reads."""

    def mark(self) -> tuple[int, float, float]:
        return self.count, time.process_time(), time.perf_counter()

    def since(self, mark: tuple[int, float, float]) -> tuple[int, float, float]:
        """(statements, CPU s, wall s) since `mark`."""
        return self.count - mark[0], time.process_time() - mark[1], time.perf_counter() - mark[2]


def pick(sessions, org_id: int, drops: int) -> list[tuple[str, str, int]]:
    """(key, owner's Slack account, team id) of `drops` key results of different teams (as far as there are
    teams), each owned by someone and not red now, so `confidence KEY 2` is a drop into red."""
    with sessions() as s:
        rows = s.execute(
            select(KeyResult.key, PlatformAccount.account_id, Objective.owner_team_id)
            .join(Objective, Objective.id == KeyResult.objective_id)
            .join(PlatformAccount, (PlatformAccount.person_id == KeyResult.owner_person_id)
                  & (PlatformAccount.platform == "slack"))
            .where(Objective.org_id == org_id, Objective.owner_team_id.is_not(None), Objective.level != "individual",
                   KeyResult.confidence >= 5)
            .order_by(Objective.owner_team_id, KeyResult.id)).all()
    first, rest, seen = [], [], set()
    for key, account, team in rows:
        (rest if team in seen else first).append((key, account, team))
        seen.add(team)
    return (first + rest)[:drops]


def checkin(ctx, key: str, account: str, confidence: int) -> None:
    reply = ctx.core.handle(Interaction(platform="slack", workspace=WORKSPACE, actor=account, kind="command",
                                        text=f"confidence {key} {confidence} bench: the vendor slipped",
                                        conversation="CBENCH"))
    if reply.card is None or key not in (reply.card.fallback or "") + str(reply.card):
        raise SystemExit(f"the check-in of {key} was not accepted: {reply}")


async def bench(url: str, kind: str, scale: float, drops: int, rate: float) -> int:
    started = time.perf_counter()
    with database(kind, Path(tempfile.gettempdir())) if url is None else _given(url) as engine:
        org_id = generate(engine, scale).org_id
        print(f"{kind}, scale {scale}: generated in {time.perf_counter() - started:.1f} s")
        return await _run(engine, org_id, drops, rate)


class _given:
    def __init__(self, url: str) -> None:
        from storage.db import make_engine
        from storage.migrate import upgrade

        self.engine = make_engine(url)
        upgrade(self.engine)

    def __enter__(self):
        return self.engine

    def __exit__(self, *exc) -> None:
        self.engine.dispose()


async def _run(engine, org_id: int, drops: int, rate: float) -> int:
    context = multiprocessing.get_context("fork")
    started, results, stop = context.Queue(), context.Queue(), context.Event()
    child = context.Process(target=fake_slack, args=(rate, started, stop, results), daemon=True)
    child.start()
    api_url = started.get(timeout=30)
    url = engine.url.render_as_string(hide_password=False)
    clock = ManualClock(NOW)
    ctx = build_context(Settings(database_url=url, sandbox=False, slack_bot_token="xoxb-bench",
                                 slack_signing_secret="bench", slack_api_url=api_url, slack_posts_per_second=rate),
                        clock=clock, migrate=False)
    register_messengers(ctx)
    counted = Counted(ctx.engine)
    try:
        with transaction(ctx.sessions) as s:
            link(s, s.get(Organization, org_id), "slack", WORKSPACE)
        chosen = pick(ctx.sessions, org_id, drops)
        teams = {team for _key, _account, team in chosen}
        with ctx.sessions() as s:
            leads = dict(s.execute(select(TeamMember.team_id, func.count()).where(
                TeamMember.team_id.in_(teams), TeamMember.role == "lead").group_by(TeamMember.team_id)).all())
        expected = sum(leads.get(team, 0) for _key, _account, team in chosen)
        print(f"{len(chosen)} key results of {len(teams)} teams drop into red; {expected} DMs to their leads due")

        # A check-in that does not warn (a rise to 9), then the drop to 2 that does: the difference is the warning.
        mark = counted.mark()
        for key, account, _team in chosen:
            checkin(ctx, key, account, 9)
        quiet = counted.since(mark)
        clock.advance(seconds=1)
        mark = counted.mark()
        for key, account, _team in chosen:
            checkin(ctx, key, account, 2)
        warned = counted.since(mark)
        n = max(len(chosen), 1)
        print(f"detection: a check-in that warns {warned[0] / n:.1f} statements, {warned[1] / n * 1000:.2f} ms CPU; "
              f"one that does not {quiet[0] / n:.1f} statements, {quiet[1] / n * 1000:.2f} ms CPU")

        clock.advance(seconds=5)  # the clock's next sweep
        mark = counted.mark()
        result = await sweep(ctx, clock.now())
        statements, cpu, wall = counted.since(mark)
    finally:
        stop.set()
        fake = results.get(timeout=60)
        child.join(timeout=30)
        ctx.engine.dispose()
    with ctx.sessions() as s:
        states = dict(s.execute(select(RitualRun.state, func.count()).where(RitualRun.ritual == "warning")
                                .group_by(RitualRun.state)).all())
        recorded = s.scalar(select(func.count()).select_from(EarlyWarning))
    accepted = sum(fake["accepted"].values())
    extra = max(accepted - expected, 0)  # a lead of two teams that warned gets two DMs: counted in `expected`
    bound = expected / rate
    print(f"sweep: {recorded} warnings recorded; runs {states}; {result}")
    print(f"DMs accepted {accepted} of {expected} due, to {len(fake['accepted'])} leads, {extra} more than due, "
          f"429s {fake['refused']}, busiest second {fake['busiest']} (rate {rate:g}/s)")
    print(f"sweep: {statements} statements ({statements / n:.1f} a warning), {cpu:.2f} s CPU "
          f"({cpu / max(bound, 1e-9):.3f} of the bound), {wall:.1f} s wall; first to last DM "
          f"{fake['first_to_last']:.1f} s")
    ratio = wall / bound if bound else 0.0
    print(f"bound: {expected} DMs / {rate:g} a second = {bound:.1f} s; the sweep took {ratio:.3f} of it "
          f"(target <= {TARGET_RATIO}; wall time is meaningful only on a quiet host)")
    whole = states.get("posted", 0) == len(chosen) and accepted == expected
    print("every warning sent within the one sweep:", "yes" if whole else "NO")
    return 0 if whole else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 people (default)")
    parser.add_argument("--drops", type=int, default=1000, help="key results that drop at once (default 1000)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="the workspace's chat.postMessage a second (SLACK_POSTS_PER_SECOND, default 10)")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"),
                        help="a scratch database of this kind, dropped afterwards (default: sqlite)")
    parser.add_argument("--database-url", default=None, help="an empty database to use instead of --db")
    args = parser.parse_args()
    return asyncio.run(bench(args.database_url, args.db, args.scale, args.drops, args.rate))


if __name__ == "__main__":
    sys.exit(main())

