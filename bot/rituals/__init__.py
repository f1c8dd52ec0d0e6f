"""The weekly rituals (Monday four-square, Friday wins and wrap-up, status report, nudge), exactly once.

catalog: which rituals there are and what each one is (the one definition the rest reads).
schedule: when each is due in a team's zone. runs: claiming in the database. content: the cards.
routes: which messenger and channel. delivery: sending politely. worker: one run. sweep: the
clock's periodic pass. runner: one run on demand (`okrbot ritual run`, the sandbox's buttons).

`run_ritual` and `RunOutcome` are imported lazily (the services import `bot.rituals.schedule`, and the
content imports the services). The sweep is `bot.rituals.sweep.sweep`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.rituals.runner import RunOutcome, run_ritual

__all__ = ["RunOutcome", "run_ritual"]


def __getattr__(name: str):
    if name in ("RunOutcome", "run_ritual"):
        from bot.rituals import runner

        return getattr(runner, name)
    raise AttributeError(name)
