"""A fresh install is not a string of missed rituals: what closed before the organization came to
okrbot is not recorded, while a genuine miss (the clock down after the import) still is."""

from __future__ import annotations

from datetime import timedelta

from bot.rituals.sweep import sweep
from tests.rituals.conftest import MONDAY_0900, runs_of


async def test_first_sweep_after_the_import_records_no_missed_runs(app_ctx, clock, deliverer, sessions):
    # The example organization was imported "now": Wednesday of 2026-W47, noon in Shanghai. Monday's
    # post and last Friday's wins closed before that.
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert [r for r in runs_of(sessions) if (r.reason or "").startswith("missed")] == []


async def test_a_ritual_missed_after_the_import_is_still_recorded(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 + timedelta(days=1))  # the clock was down all of Monday 2026-W48
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    missed = [r for r in runs_of(sessions, "monday") if (r.reason or "").startswith("missed")]
    assert missed and {r.period for r in missed} == {"2026-W48"}
