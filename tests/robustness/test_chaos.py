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

from bench.chaos import parser, run


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
