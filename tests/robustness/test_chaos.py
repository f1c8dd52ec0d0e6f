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

from bench.chaos import parser, run
from bench.chaos_check import Post, Records, _resent_in_doubt


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


def test_the_checker_excuses_a_teams_double_only_when_the_first_post_was_in_doubt():
    """Teams cannot be asked whether a message arrived, so a post sent again after a lost answer or a killed
    clock is counted apart; any other double, and every double on Slack (which okrbot asks), is a problem."""
    def posts(platform: str, *first: bool) -> list[Post]:
        return [Post(platform, "C1", f"m{n}", "wrapup", "2026-W40", in_doubt=lost, at=float(n))
                for n, lost in enumerate(first)]

    killed_between = Records([], [], {}, Counter(), clock_stops=[0.5])
    quiet = Records([], [], {}, Counter())
    assert _resent_in_doubt(posts("teams", False, False), killed_between)
    assert _resent_in_doubt(posts("teams", True, False), quiet)
    assert not _resent_in_doubt(posts("teams", False, False), quiet)  # sent twice for no reason
    assert not _resent_in_doubt(posts("teams", True, False, False), quiet)
    assert not _resent_in_doubt(posts("slack", True, False), killed_between)
