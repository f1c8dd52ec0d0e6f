"""The weekly rituals (Monday four-square, Friday wins and wrap-up, status report, nudge), exactly once.

schedule: when each is due in a team's zone. runs: claiming in the database. content: the cards.
routes: which messenger and channel. delivery: sending politely. worker: one run. sweep: the
clock's periodic pass. runner: one run on demand (`okrbot ritual run`, the sandbox's buttons).
"""

from __future__ import annotations

from bot.rituals.runner import RunOutcome, run_ritual
from bot.rituals.sweep import SweepResult, sweep

__all__ = ["RunOutcome", "SweepResult", "run_ritual", "sweep"]
