"""Platform misbehaviour at random, for the fakes (off by default): the way Slack and the Bot Connector
really fail under load, not one scripted failure at a time.

A `Faults` given to a fake answers a share of its calls with a 5xx, a share with 429 and Retry-After,
and, for calls that write, carries out a share of them but drops the answer (the connection is cut
after the message was stored): the sender cannot tell whether it arrived. Draws come from one seeded
random.Random, so a run can be repeated; `injected` counts what was done, by kind.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

SERVER_ERROR, RATE_LIMITED, DROPPED = "5xx", "429", "dropped"


@dataclass
class Faults:
    server_errors: float = 0.0  # share of calls answered 503
    rate_limits: float = 0.0  # share of calls answered 429 with Retry-After
    dropped: float = 0.0  # share of writes carried out whose answer is lost
    retry_after: int = 1  # seconds, as the platforms send it (a whole number)
    seed: int | None = None
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self, write: bool) -> str | None:
        """The fault for one call, if any (a dropped answer only for a write)."""
        roll = self._random.random()
        for kind, share in ((SERVER_ERROR, self.server_errors), (RATE_LIMITED, self.rate_limits),
                            (DROPPED, self.dropped if write else 0.0)):
            if roll < share:
                self.injected[kind] += 1
                return kind
            roll -= share
        return None

    def refusal(self, kind: str | None, rate_limited: dict, server_error: dict) -> web.Response | None:
        """The answer (with the platform's body for it) to a call refused by its fault; None: carry it out."""
        if kind == SERVER_ERROR:
            return web.json_response(server_error, status=503)
        if kind == RATE_LIMITED:
            return web.json_response(rate_limited, status=429, headers={"Retry-After": str(self.retry_after)})
        return None


def drop_answer(request: web.Request) -> web.Response:
    """The call was carried out; cut the connection so its answer never arrives."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=200)
