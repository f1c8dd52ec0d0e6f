"""Two clock processes (two engines, two claimers) sweeping one database at the same moment post each
run once. Meaningful on PostgreSQL (FOR UPDATE SKIP LOCKED, ON CONFLICT DO NOTHING under real
concurrency); SQLite serialises writers and must give the same answer."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.rituals.delivery import Deliverer
from bot.rituals.sweep import sweep
from bot.workspaces import link
from okrbot.app import build_context
from okrbot.clock import register_messengers
from storage.db import transaction
from storage.models import ChannelBinding, Organization, RitualSetting, Team
from tests.rituals.conftest import MONDAY_0900, ClockSleep, runs_of
from tests.slack.conftest import TEAM, slack_settings

TEAMS = 60


@pytest.fixture
def many_teams(sessions, org_id) -> None:
    with transaction(sessions) as s:
        link(s, s.get(Organization, org_id), "slack", TEAM)
        for n in range(TEAMS):
            team = Team(org_id=org_id, key=f"squad-{n}", name=f"Squad {n}", level="team")
            s.add(team)
            s.flush()
            s.add(ChannelBinding(org_id=org_id, team_id=team.id, platform="slack", channel_id=f"CSQUAD{n}"))
            s.add(RitualSetting(team_id=team.id, ritual="monday", org_id=org_id, weekday=0, time="09:00",
                                enabled=True))


async def test_two_clocks_post_each_run_once(database_url, many_teams, fake_slack, clock):
    clocks = []
    for _ in range(2):
        ctx = build_context(slack_settings(database_url, fake_slack), clock=clock, migrate=False)
        register_messengers(ctx)
        clocks.append(ctx)
    clock.set(MONDAY_0900)
    try:
        results = await asyncio.gather(*(
            sweep(ctx, clock.now(), claimer=f"clock-{i}", deliverer=Deliverer(sleep=ClockSleep(clock)))
            for i, ctx in enumerate(clocks)
        ))
        # and again, a little later, as the next ticks would
        await asyncio.gather(*(
            sweep(ctx, clock.now(), claimer=f"clock-{i}", deliverer=Deliverer(sleep=ClockSleep(clock)))
            for i, ctx in enumerate(clocks)
        ))
    finally:
        for ctx in clocks:
            ctx.engine.dispose()
    channels = Counter(b["channel"] for b in fake_slack.bodies("chat.postMessage"))
    assert channels == Counter({f"CSQUAD{n}": 1 for n in range(TEAMS)} | {"C0ECOLOGY": 1, "C0RDEFF": 1})
    assert sum(r.posted for r in results) == TEAMS + 2
    monday = [r for r in runs_of(clocks[0].sessions, "monday") if r.period == "2026-W48" and r.platform == "slack"]
    assert len(monday) == TEAMS + 2 and {r.state for r in monday} == {"posted"}


async def test_two_clocks_resuming_a_dead_clocks_claims_post_each_once(database_url, many_teams, fake_slack, clock):
    """A dead clock left every run claimed; two live clocks take them over at once (SKIP LOCKED on
    PostgreSQL: each row goes to one of them) and each run is posted once."""
    from bot.rituals import runs
    from bot.rituals.sweep import due_runs

    clocks = []
    for _ in range(2):
        ctx = build_context(slack_settings(database_url, fake_slack), clock=clock, migrate=False)
        register_messengers(ctx)
        clocks.append(ctx)
    clock.set(MONDAY_0900)
    with transaction(clocks[0].sessions) as s:
        to_claim, _ = due_runs(s, clock.now())
        runs.claim_new(s, [d for d in to_claim if d["ritual"] == "monday"], "gone-host:1:dead", clock.now())
    clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    try:
        results = await asyncio.gather(*(
            sweep(ctx, clock.now(), claimer=f"clock-{i}", deliverer=Deliverer(sleep=ClockSleep(clock)))
            for i, ctx in enumerate(clocks)
        ))
    finally:
        for ctx in clocks:
            ctx.engine.dispose()
    assert sum(r.resumed for r in results) == TEAMS + 4  # every monday run, bound or not
    channels = Counter(b["channel"] for b in fake_slack.bodies("chat.postMessage"))
    assert channels == Counter({f"CSQUAD{n}": 1 for n in range(TEAMS)} | {"C0ECOLOGY": 1, "C0RDEFF": 1})
