"""The id of the work being done, for the logs: an HTTP request's, or a ritual run's in the clock.

A ContextVar, so it follows the work wherever it goes in this process: into every coroutine the
request awaits, into `asyncio.to_thread` (Core.handle runs in a worker thread; to_thread copies the
context) and into the tasks it starts (asyncio copies the context at task creation).
"""

from __future__ import annotations

from contextvars import ContextVar

NONE = "-"
REQUEST_ID: ContextVar[str] = ContextVar("okrbot_request_id", default=NONE)


def current() -> str:
    return REQUEST_ID.get()
