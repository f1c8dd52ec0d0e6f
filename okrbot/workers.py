"""`WEB_CONCURRENCY=N okrbot serve`: N web processes on one port.

Each worker is a fresh process (multiprocessing's spawn: no engine, thread or event loop is inherited)
that builds its own app and binds HOST:PORT with SO_REUSEPORT, so the kernel spreads incoming
connections between them. Everything they share is in the database. The parent migrates SQLite once
before they start, forwards SIGTERM/SIGINT to them, and exits when they have; if one dies, it stops the
others and exits with its code, so a supervisor (systemd, the platform) restarts the lot.

Metrics: before anything imports prometheus-client, the parent points PROMETHEUS_MULTIPROC_DIR at a
fresh directory (unless it is set), so each worker's counters go to files there and /metrics, whichever
worker answers it, reports the sum (okrbot.observe.registry).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
from multiprocessing.connection import wait

from okrbot.cli import say
from okrbot.settings import Settings


def serve_workers(settings: Settings) -> int:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="okrbot-metrics-")
    from okrbot.app import build_context

    build_context(settings).engine.dispose()  # SQLite is migrated here, once, not by N workers at once
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_worker, args=(n,), name=f"okrbot-web-{n}", daemon=False)
               for n in range(settings.web_concurrency)]
    for worker in workers:
        worker.start()
    print(say("serving_workers", url=settings.base_url, count=len(workers)), flush=True)

    def stop(_signum, _frame) -> None:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: aiohttp shuts down gracefully

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    first = wait([w.sentinel for w in workers])[0]
    code = next(w.exitcode for w in workers if w.sentinel == first)
    stop(None, None)
    for worker in workers:
        worker.join()
    return code or 0


def _worker(number: int) -> None:
    from okrbot import logs
    from okrbot.app import build_context
    from okrbot.cli import run_server

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches every process: the parent decides
    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    sys.exit(run_server(settings, build_context(settings, migrate=False), reuse_port=True, announce=False))
