"""Several clock processes (separate engines, separate claimers, sweeping at the same moment) share
each workspace's send budget through the database: against a fake Slack that refuses more than RATE
posts a second per workspace, no second of any workspace sees more posts than that, whichever clock
sent them, and every channel gets its post once. Time is the manual clock: the budgets, the clocks'
waits and the fake all read it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from bot.rituals.budget import SendBudgets
from bot.rituals.delivery import Deliverer
from bot.rituals.sweep import sweep
from bot.workspaces import link
from okrbot.app import build_context
from okrbot.clock import register_messengers
from storage.db import transaction
from storage.models import ChannelBinding, Organization, RitualSetting, SendBudget, Team
from tests.fakes.slack_api import LimitedSlack
from tests.rituals.conftest import MONDAY_0900
from tests.slack.conftest import slack_settings

WORKSPACES, TEAMS, RATE = 3, 8, 4


def channel(workspace: int, team: int) -> str:
    return f"C{workspace}X{team:03d}"


@pytest.fixture
def workspaces(sessions, clock) -> None:
    """Three workspaces (organizations), each with TEAMS teams whose Monday post is due at MONDAY_0900."""
    with transaction(sessions) as s:
        for w in range(WORKSPACES):
            org = Organization(name=f"Workspace {w}", timezone="Asia/Shanghai",
                               created_at=MONDAY_0900 - timedelta(days=7))
            s.add(org)
            s.flush()
            link(s, org, "slack", f"T0WS{w}")
            for n in range(TEAMS):
                team = Team(org_id=org.id, key=f"w{w}-team-{n}", name=f"Team {n}", level="team")
                s.add(team)
                s.flush()
                s.add(ChannelBinding(org_id=org.id, team_id=team.id, platform="slack", channel_id=channel(w, n)))
                s.add(RitualSetting(team_id=team.id, ritual="monday", org_id=org.id, weekday=0, time="09:00",
                                    enabled=True))


class SharedClockSleep:
    """The clocks' sleeps on one manual clock, as they would pass in real time, where everything but a wait takes
    milliseconds: time moves on only when nothing else would still happen before it.

    - A sleep ends at its own wake time: three clocks sleeping a second each move the clock one second, not three
      (a ClockSleep per clock added them up: 15-21 s for this 1 s fan-out on a busy host).
    - Sleeps end in wake order: a later one waits while an earlier one is pending, so it cannot move the clock
      past the moment the earlier sleeper takes its places at.
    - Only once no clock is busy (SendBudgets.busy: a send holding a place, or a take or a record of ends still
      in its thread, maybe queued on SQLite's lock) and the event loop has had QUIET passes without any of them
      starting (a waiter woken by a lock handed over needs a pass or two to reach its take). Moved while a take
      or a record of ends was under way, the clock made that call read a time a whole sleep later than in real
      time, and another clock saw sends long ended as still in flight: one more second each, up to 4 s in CI."""

    QUIET = 5  # event-loop passes with every clock idle before time moves on

    def __init__(self, clock, budgets: list[SendBudgets]) -> None:
        self.clock, self.budgets = clock, budgets
        self.pending: list[datetime] = []

    async def __call__(self, seconds: float) -> None:
        wake = self.clock.now() + timedelta(seconds=seconds)
        self.pending.append(wake)
        try:
            quiet = 0
            while quiet < self.QUIET:
                await asyncio.sleep(0)  # a yield, not a wait: what is under way finishes in real time
                idle = min(self.pending) >= wake and not any(budgets.busy() for budgets in self.budgets)
                quiet = quiet + 1 if idle else 0
        finally:
            self.pending.remove(wake)
        if wake > self.clock.now():
            self.clock.set(wake)


async def sweep_with(database_url, fake, clock, clocks: int, rate: float) -> list:
    contexts = []
    for _ in range(clocks):
        ctx = build_context(slack_settings(database_url, fake, slack_posts_per_second=rate), clock=clock,
                            migrate=False)
        register_messengers(ctx)
        contexts.append(ctx)
    clock.set(MONDAY_0900)
    budgets = [on_the_clock(ctx, clock) for ctx in contexts]
    sleep = SharedClockSleep(clock, budgets)
    try:
        return await asyncio.gather(*(
            sweep(ctx, clock.now(), claimer=f"clock-{i}",
                  deliverer=Deliverer(concurrency=4, sleep=sleep, budgets=budgets[i]))
            for i, ctx in enumerate(contexts)
        ))
    finally:
        for ctx in contexts:
            ctx.engine.dispose()


def on_the_clock(ctx, clock) -> SendBudgets:
    """The app's budgets, counting on the manual clock the fake counts on and the deliverer's sleeps move (the
    app's own count real seconds, which a test's sends do not take)."""
    return SendBudgets(ctx.sessions, ctx.budgets.rates, now=lambda: clock.now().timestamp())


def limited_slack(clock) -> LimitedSlack:
    return LimitedSlack(rate=RATE, workspace_of=lambda c: f"T0WS{c[1]}", now=lambda: clock.now().timestamp())


@pytest.mark.parametrize("clocks", [2, 3])
async def test_clocks_share_each_workspaces_budget(database_url, workspaces, clock, clocks):
    async with limited_slack(clock) as fake:
        results = await sweep_with(database_url, fake, clock, clocks, rate=RATE)
    # The pacing's own time: TEAMS posts a workspace at RATE a second go out in TEAMS / RATE rounds a second
    # apart (TEAMS / RATE - 1 s). Plus at most one second: a clock's ended sends ride in its next take, so
    # another clock asking first at a round's moment counts them as in flight and waits one more second; at that
    # next moment what is left always fits (the one-second window then holds only the last round's sends).
    # More than that is the clock running ahead of the sends (see SharedClockSleep and the take's moment,
    # test_a_waiter_wakes_when_its_take_said...): 3 s and 4 s on a loaded host before both were fixed.
    assert clock.now() - MONDAY_0900 <= timedelta(seconds=TEAMS / RATE)
    assert fake.accepted == Counter({channel(w, n): 1 for w in range(WORKSPACES) for n in range(TEAMS)})
    assert sum(r.posted for r in results) == WORKSPACES * TEAMS
    if "postgresql" in database_url:  # SQLite serialises the claims: one clock may well take them all
        assert sum(1 for r in results if r.posted) >= 2, "the clocks shared the fan-out"
    for w in range(WORKSPACES):
        # every post that reached Slack counts, refused ones too: the budget, not Slack, did the pacing
        assert fake.busiest_second(f"T0WS{w}") <= RATE
    assert fake.refused == 0


async def test_without_budgets_the_same_clocks_are_refused(database_url, workspaces, clock):
    """The fake does limit: the same fan-out with the budgets off goes over RATE and meets 429s."""
    async with limited_slack(clock) as fake:
        results = await sweep_with(database_url, fake, clock, 2, rate=0)
    assert fake.refused > 0
    assert max(fake.busiest_second(f"T0WS{w}") for w in range(WORKSPACES)) > RATE
    assert sum(r.posted for r in results) == WORKSPACES * TEAMS  # waited out, still posted once each


async def test_a_429_pauses_the_workspace_for_every_clock_and_lowers_its_rate(sessions):
    """One clock's 429 (Retry-After 3 s) holds every process off that workspace; the rate is halved once
    per pause and climbs back to the configured one over RECOVERY_SECONDS."""
    now = [1000.0]
    one = SendBudgets(sessions, {"slack": 10}, now=lambda: now[0])
    other = SendBudgets(sessions, {"slack": 10}, now=lambda: now[0])
    assert one.try_take("slack", "T1", "a") == 0
    one.done("slack", "T1", "a")
    await one.slow_down("slack", "T1", 3)
    assert other.try_take("slack", "T1", "b") == pytest.approx(3)
    assert other.try_take("slack", "T2", "c") == 0  # another workspace is not held
    now[0] += 3  # the pause is over; the rate, halved to 5, has climbed back by 10 * 3/30 to 6
    taken = [n for n in range(10) if other.try_take("slack", "T1", f"t{n}") == 0]
    assert len(taken) == 6
    for n in taken:
        other.done("slack", "T1", f"t{n}")
    await one.slow_down("slack", "T1", 1)
    now[0] += 0.5
    await other.slow_down("slack", "T1", 1)  # another 429 of the same burst: a longer pause, not a lower rate
    with sessions() as s:
        row = s.get(SendBudget, ("slack", "T1"))
        assert (row.rate, row.lowered_at, row.paused_until) == (3.0, 1003.0, 1004.5)
    now[0] += 1 + 30  # long after: back to 10 a second, and the row says so
    assert sum(other.try_take("slack", "T1", f"u{n}") == 0 for n in range(12)) == 10
    with sessions() as s:
        assert s.get(SendBudget, ("slack", "T1")).rate is None


async def test_sends_waiting_together_take_their_places_in_one_transaction(sessions, engine):
    """bench/fanout.py, three clocks: each send cost two transactions on its workspace's row (take a place, record
    its end), and the clocks queued on that row's lock. The sends a process has waiting for one workspace now
    take their places in one transaction, what does not fit waits for the next, and the ends ride along."""
    now = [1000.0]

    async def later(seconds: float) -> None:
        now[0] += seconds

    budgets = SendBudgets(sessions, {"slack": 10}, now=lambda: now[0], sleep=later)
    commits: list[object] = []

    def counted(connection) -> None:
        commits.append(connection)

    async def send() -> None:
        async with budgets.sending("slack", "T1"):
            await asyncio.sleep(0)

    event.listen(engine, "commit", counted)
    try:
        await asyncio.gather(*(send() for _ in range(25)))
    finally:
        event.remove(engine, "commit", counted)
    assert len(commits) <= 5  # 50 before; takes of 1 (the first asks alone), 9, 10, 5, then the last ends
    with sessions() as s:
        sent = s.get(SendBudget, ("slack", "T1")).sent
    assert all(end is not None for _start, end, _ticket in sent)  # nothing left looking in flight
    starts = sorted(start for start, _end, _ticket in sent)
    assert all(sum(1 for t in starts if second <= t < second + 1) <= 10 for second in starts)


async def test_a_waiter_wakes_when_its_take_said_however_late_the_answer_comes_back(sessions):
    """The take says when one more send fits; the waiter must sleep until that moment, not that long from
    whenever its answer comes back (time moves while the take is in its thread: here every reading of the
    clock is 0.1 s later than the one before). Measured from the late reading, each wait overshot; on the
    shared manual clock of test_clocks_share_each_workspaces_budget the overshoot was another clock's whole
    one-second sleep, and chained waits made that test fail now and then."""
    now, woke = [1000.0], []

    def ticking() -> float:
        now[0] += 0.1
        return now[0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        woke.append(now[0])

    budgets = SendBudgets(sessions, {"slack": 1}, now=ticking, sleep=sleep)
    async with budgets.sending("slack", "T1"):
        pass
    with sessions() as s:
        (_start, end, _ticket), = s.get(SendBudget, ("slack", "T1")).sent
    async with budgets.sending("slack", "T1"):
        pass
    assert woke == [pytest.approx(end + 1.0)]  # the first send leaves the one-second window then
