"""One `okrbot serve` or `okrbot clock` process of the chaos bench (bench/chaos.py), on simulated time.

The stock server and clock, built by the same functions the CLI uses, with one difference: the
AppContext's clock is a SimClock, read from a small file the bench rewrites, so the processes share
one simulated "now" that runs `speed` times faster than the wall clock. The ritual clock sweeps every
CHAOS_SWEEP_SECONDS (wall); its lease is CHAOS_LEASE_HOURS simulated hours, so a send that takes a
wall second (hours of simulated time) never looks abandoned to another clock.

    CHAOS_TIME_FILE=... python -m bench.chaos_proc serve|clock
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class SimClock:
    """Simulated time shared through a file holding {"sim": epoch seconds, "wall": epoch seconds, "speed": x}:
    now = sim + (wall clock - wall) * speed. The bench rewrites it (atomically) to change the speed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def timestamp(self) -> float:
        anchor = json.loads(self.path.read_text())
        return anchor["sim"] + (time.time() - anchor["wall"]) * anchor["speed"]

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def set(self, sim: float, speed: float) -> None:
        """From now on, simulated time is `sim` and runs `speed` times the wall clock."""
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"sim": sim, "wall": time.time(), "speed": speed}))
        os.replace(scratch, self.path)


def main(role: str) -> int:
    from okrbot import logs
    from okrbot.app import build_context
    from okrbot.settings import Settings

    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    ctx = build_context(settings, clock=SimClock(os.environ["CHAOS_TIME_FILE"]))
    if role == "serve":
        from okrbot.cli import run_server

        return run_server(settings, ctx)
    from okrbot.clock import RitualClock, register_messengers

    register_messengers(ctx)
    clock = RitualClock(ctx, interval=float(os.environ.get("CHAOS_SWEEP_SECONDS", "0.5")),
                        lease=timedelta(hours=float(os.environ.get("CHAOS_LEASE_HOURS", "12"))))
    asyncio.run(clock.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
