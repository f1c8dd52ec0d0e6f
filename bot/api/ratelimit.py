"""A per-token request rate: a token bucket per API token, in this process.

Counted in wall-clock seconds (an injected monotonic function), never the business clock: a ManualClock
stands still in tests and would never refill. Each `okrbot serve` worker keeps its own buckets, so with
WEB_CONCURRENCY=N a token may get up to N times the rate; the README says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: float, now: Callable[[], float] = time.monotonic) -> None:
        self.capacity = max(1.0, per_minute)  # a burst of up to a minute's worth
        self.refill = per_minute / 60.0  # tokens per second
        self.now = now
        self._buckets: dict[int, tuple[float, float]] = {}  # token id -> (tokens left, at)
        self._lock = threading.Lock()

    @property
    def off(self) -> bool:
        return self.refill <= 0

    def take(self, token_id: int) -> int | None:
        """None when the call may go ahead; else the whole seconds to wait (Retry-After)."""
        if self.off:
            return None
        with self._lock:
            now = self.now()
            left, at = self._buckets.get(token_id, (self.capacity, now))
            left = min(self.capacity, left + (now - at) * self.refill)
            if left >= 1.0:
                self._buckets[token_id] = (left - 1.0, now)
                return None
            self._buckets[token_id] = (left, now)
            return max(1, math.ceil((1.0 - left) / self.refill))
