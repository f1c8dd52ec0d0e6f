"""Stopping the clock (SIGTERM on a deploy) in the middle of a fan-out: what was sent is recorded, what
was not is handed back, and the next clock posts the rest, each exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from bot.rituals.delivery import Deliverer
from bot.workspaces import link
from okrbot.app import build_context
from okrbot.clock import RitualClock, register_messengers
from storage.db import transaction
from storage.models import ChannelBinding, Organization, RitualRun, RitualSetting, Team
from tests.rituals.conftest import MONDAY_0900, ClockSleep
from tests.slack.conftest import TEAM, slack_settings

TEAMS = 12


async def test_a_stopped_clock_hands_back_unsent_runs_and_the_next_one_posts_them_once(
        database_url, org_id, fake_slack, clock):
    ctx = build_context(slack_settings(database_url, fake_slack), clock=clock, migrate=False)
    register_messengers(ctx)
    with transaction(ctx.sessions) as s:
        link(s, s.get(Organization, org_id), "slack", TEAM)
        for n in range(TEAMS):
            team = Team(org_id=org_id, key=f"crew-{n}", name=f"Crew {n}", level="team")
            s.add(team)
            s.flush()
            s.add(ChannelBinding(org_id=org_id, team_id=team.id, platform="slack", channel_id=f"CCREW{n}"))
            s.add(RitualSetting(team_id=team.id, ritual="monday", org_id=org_id, weekday=0, time="09:00",
                                enabled=True))
    clock.set(MONDAY_0900)
    first = RitualClock(ctx, interval=3600, claimer="clock-a", deliverer=Deliverer(1, sleep=ClockSleep(clock)))
    stop = asyncio.Event()
    running = asyncio.create_task(first.run(stop, signals=False))
    try:
        await fake_slack.wait_for("chat.postMessage", 2)
        stop.set()
        await asyncio.wait_for(running, 30)

        with ctx.sessions() as s:
            monday = s.scalars(select(RitualRun).where(RitualRun.ritual == "monday",
                                                       RitualRun.period == "2026-W48")).all()
        posted = [r for r in monday if r.state == "posted"]
        handed_back = [r for r in monday if r.state == "claimed"]
        assert posted and handed_back, "the stop came in the middle of the fan-out"
        assert len(posted) == len(fake_slack.calls_to("chat.postMessage"))
        assert all(r.claimed_at is None and "sending" not in (r.delivered or {}).values() for r in handed_back)

        second = RitualClock(ctx, claimer="clock-b", deliverer=Deliverer(sleep=ClockSleep(clock)))
        result = await second.tick()
        assert result.resumed == len(handed_back)
    finally:
        stop.set()
        ctx.engine.dispose()
    channels = Counter(b["channel"] for b in fake_slack.bodies("chat.postMessage"))
    assert channels == Counter({f"CCREW{n}": 1 for n in range(TEAMS)} | {"C0ECOLOGY": 1, "C0RDEFF": 1})
