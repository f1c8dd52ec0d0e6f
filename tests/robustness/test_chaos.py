"""bench/chaos.py, short, in the test suite (issue 17): the same processes, faults and checker as the
simulated quarter, for 8 teams in eight zones over one simulated week.

Real `okrbot serve` and `okrbot clock` processes on PostgreSQL (the suite's server; the database
"restart" terminates every connection to the bench's database), one killed every 8 simulated hours
(SIGKILL, and SIGTERM), the fakes refusing and dropping calls at random (at higher shares than the
full bench, so every kind happens in a short run), people sending signed Slack requests and Bot
Framework activities, some twice. Skipped, with the reason, where no PostgreSQL server answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bench.chaos import parser, run
from bench.chaos_check import Post, Records


def test_a_short_chaos_run_loses_and_doubles_nothing(postgres_url, tmp_path):
    args = parser().parse_args([
        "--teams", "8", "--weeks", "1", "--kill-hours", "8", "--settle", "60",
        "--faults", "0.08,0.03,0.03", "--no-private", "--keep", str(tmp_path / "chaos"),
    ])
    args.actions_per_hour = 4.0
    outcome = asyncio.run(run(args))
    report = outcome.report
    assert report.ok, report.summary()
    assert report.due == 8 * 5 and report.states["posted"] > 0
    assert sum(report.answered.values()) > 10 and sum(report.stored_twice.values()) == 0
    assert {kind for kind, count in outcome.faults.items() if count} == {"5xx", "429", "dropped"}, outcome.faults
    assert any(kill.endswith("SIGKILL") for kill in outcome.kills), outcome.kills
    assert any(kill.endswith("SIGTERM") for kill in outcome.kills), outcome.kills
    assert outcome.database_restart


def test_the_checker_counts_every_double_on_either_platform():
    """Both platforms can be asked whether a post in doubt arrived (Slack's history, Teams' Graph), so a
    ritual posted twice is a problem wherever it happened: no double is excused (issue 17)."""
    from datetime import UTC, datetime

    from bench.chaos_check import Report, _rituals

    class Row:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    start = datetime(2026, 9, 28, tzinfo=UTC)
    setting = Row(team_id=1, ritual="wrapup", weekday=4, time="18:00", timezone="UTC", key="t0001")
    run = Row(state="posted", posted_at=datetime(2026, 10, 2, 18, 1, tzinfo=UTC), channel_id="C1", ritual="wrapup",
              period="2026-W40", platform="teams", message_ref="m0", reason=None, lead_notified=False)
    for platform in ("teams", "slack"):
        posts = [Post(platform, "C1", f"m{n}", "wrapup", "2026-W40") for n in range(2)]
        report = Report()
        _rituals(report, Records(posts, [], {}, Counter(), dropped=1), [setting], {(1, platform): "C1"},
                 {(1, "wrapup", "2026-W40"): run}, start, start + timedelta(days=7), timedelta(0))
        assert report.doubled == 1 and report.problems == [
            "t0001 wrapup 2026-W40 (due 2026-10-02 18:00 UTC, UTC): posted, but 2 posts on teams"], report.problems
