"""Running a ritual on demand (`okrbot ritual run`, the sandbox's buttons), `ritual status` and the clock's tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.rituals.runner import run_ritual
from okrbot import cli
from okrbot.clock import RitualClock
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages


async def test_run_now_then_again_says_when_and_where(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 + timedelta(days=1))
    outcome = await run_ritual(app_ctx, "rd-efficiency", "friday", deliverer=deliverer)
    assert outcome.state == "posted", outcome
    assert outcome.period == "2026-W48" and outcome.channel_id == "rd-efficiency"
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 1

    again = await run_ritual(app_ctx, "rd-efficiency", "friday", deliverer=deliverer)
    assert again.state == "already"
    assert "already posted at 2026-11-24 01:00 UTC in sandbox channel rd-efficiency" in again.message
    assert "--force" in again.message
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 1

    forced = await run_ritual(app_ctx, "rd-efficiency", "friday", force=True, deliverer=deliverer)
    assert forced.state == "posted"
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 2
    assert len(runs_of(sessions, "friday")) == 1  # still one run for the week


async def test_the_clock_does_not_post_a_period_already_run_by_hand(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 - timedelta(hours=1))
    outcome = await run_ritual(app_ctx, "ecology", "monday", deliverer=deliverer)
    assert outcome.state == "posted"
    clock.set(MONDAY_0900)
    await RitualClock(app_ctx, deliverer=deliverer).tick()
    assert len(sandbox_messages(sessions, "ecology")) == 1
    assert len(sandbox_messages(sessions, "retail")) == 1


async def test_run_for_another_week_with_at(app_ctx, clock, deliverer):
    clock.set(MONDAY_0900)
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    outcome = await run_ritual(app_ctx, "rd-efficiency", "report", at=at, deliverer=deliverer)
    assert outcome.state == "posted" and outcome.period == "2026-W49"


async def test_bad_requests_are_refused_in_words(app_ctx, deliverer):
    assert "no team 'nope'" in (await run_ritual(app_ctx, "nope", "monday", deliverer=deliverer)).message
    outcome = await run_ritual(app_ctx, "rd-efficiency", "lunch", deliverer=deliverer)
    assert outcome.state == "refused" and "not a ritual" in outcome.message
    naive = await run_ritual(app_ctx, "rd-efficiency", "monday", at=datetime(2026, 11, 23, 9), deliverer=deliverer)
    assert naive.state == "refused"


async def test_clock_tick_uses_the_injected_time(app_ctx, clock, deliverer, sessions):
    ritual_clock = RitualClock(app_ctx, deliverer=deliverer)
    clock.set(MONDAY_0900 - timedelta(minutes=1))
    assert (await ritual_clock.tick()).due == 0
    clock.advance(minutes=1)
    assert (await ritual_clock.tick()).posted == 4
    scheduler = ritual_clock.scheduler()
    job = scheduler.get_jobs()[0]
    assert job.coalesce is True and job.max_instances == 1


def test_cli_run_and_status(database_url, org_id, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OKRBOT_SANDBOX", "1")
    assert cli.main(["ritual", "run", "friday", "--team", "rd-efficiency", "--at", "2026-11-27T16:00+08:00"]) == 0
    assert "posted friday of 2026-W48 in sandbox channel rd-efficiency" in capsys.readouterr().out
    assert cli.main(["ritual", "run", "friday", "--team", "rd-efficiency", "--at", "2026-11-27T16:00+08:00"]) == 0
    assert "already posted" in capsys.readouterr().out
    assert cli.main(["ritual", "run", "friday", "--team", "nope"]) == 2
    assert "no team 'nope'" in capsys.readouterr().err
    assert cli.main(["ritual", "status"]) == 0
    out = capsys.readouterr().out
    assert "rd-efficiency (Asia/Shanghai)" in out
    assert "friday  next" in out and "2026-W48 posted" in out
    assert "nudge   off" in out
