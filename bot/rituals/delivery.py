"""Sending with manners: bounded concurrency, the platform's Retry-After, backoff, and a clear verdict.

- At most `concurrency` sends are in flight at once (an asyncio.Semaphore), so a thousand teams due
  at 09:00 queue up instead of stampeding.
- With `budgets` (bot.rituals.budget, shared by every process through the database) each attempt
  first waits for its place in the workspace's budget, so sends are paced below the platform's limit
  instead of by its refusals.
- A 429 pauses every send to that workspace for Retry-After seconds (the workspace-wide limit is
  shared, so hammering on would only earn more 429s), in this process and, through the budget, in
  every other; the send is then tried again.
- Any other transient failure is retried with exponential backoff and jitter, then reported as
  failed. Nothing is dropped silently: the caller records every verdict on the run. A transient
  failure may hide a message that arrived (the platform stored it, its answer was lost), so when the
  caller can ask the platform (`in_doubt`), it is asked before each new attempt: a post found there
  is the answer, and is never sent twice.
- A permanent failure (channel gone, bot not in the channel, token revoked) is not retried.

This is the one retry budget of a ritual post: the messengers try each call once, pace themselves
and classify what went wrong (bot.model's PermanentFailure, RetryAfter, TransientFailure); they
never retry, so a platform refusing forever costs one post at most `rate_limited_attempts` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import metrics
from bot.model import DeliveryError, MessageRef, PermanentFailure, RetryAfter, TransientFailure
from bot.rituals.budget import SendBudgets

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    transient_attempts: int = 4  # tries for a failure that is neither permanent nor a 429
    backoff: float = 1.0  # seconds before the second try, doubled each time
    max_backoff: float = 30.0
    rate_limited_attempts: int = 20  # 429s one message may take before it counts as failed
    default_retry_after: float = 1.0


class Failed(Exception):
    """A message that will not go out: `permanent` when retrying cannot help."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


class Deliverer:
    def __init__(self, concurrency: int = 64, sleep: Sleep = asyncio.sleep, policy: RetryPolicy = RetryPolicy(),
                 jitter: Callable[[], float] = random.random, budgets: SendBudgets | None = None) -> None:
        self.concurrency = concurrency
        self.semaphore = asyncio.Semaphore(concurrency)
        self.sleep, self.policy, self.jitter, self.budgets = sleep, policy, jitter, budgets
        self._pauses: dict[tuple[str, str], asyncio.Future] = {}
        self.rate_limited = 0  # 429s seen, for the sweep's summary
        self.retried = 0
        self.closing = False  # set on shutdown: no new attempt starts, those in flight finish

    def close(self) -> None:
        """Start no new attempt (a graceful stop); the caller releases the runs left unsent."""
        self.closing = True

    async def _paused(self, workspace: tuple[str, str]) -> None:
        pause = self._pauses.get(workspace)
        while pause is not None:
            await asyncio.shield(pause)
            pause = self._pauses.get(workspace)

    def _pause(self, workspace: tuple[str, str], seconds: float) -> None:
        if workspace in self._pauses:
            return

        async def wait() -> None:
            try:
                await self.sleep(seconds)
            finally:
                self._pauses.pop(workspace, None)

        self._pauses[workspace] = asyncio.ensure_future(wait())

    def _budget(self, workspace: tuple[str, str]):
        """A place in the workspace's shared budget for one attempt (nothing to wait for without budgets)."""
        if self.budgets is None:
            return contextlib.nullcontext()
        return self.budgets.sending(*workspace, sleep=self.sleep)

    async def send(self, workspace: tuple[str, str], call: Callable[[], Awaitable[MessageRef]],
                   before_attempt: Callable[[], Awaitable[bool]] | None = None,
                   in_doubt: Callable[[], Awaitable[MessageRef | None]] | None = None) -> MessageRef | None:
        """Send one message; returns its reference, None when closing or when `before_attempt` says the
        run is no longer ours, or raises Failed. `in_doubt` finds the message on the platform, if an
        attempt that failed transiently delivered it after all."""
        transient = rate_limited = 0
        while True:
            if transient and in_doubt is not None and (arrived := await in_doubt()) is not None:
                log.info("a failed attempt had arrived after all (%s); not sending it again", arrived.message_id)
                return arrived
            await self._paused(workspace)
            async with self._budget(workspace), self.semaphore:
                if self.closing or (before_attempt is not None and not await before_attempt()):
                    return None
                try:
                    sent = await call()
                    metrics.POSTS.labels(workspace[0]).inc()
                    return sent
                except DeliveryError as error:
                    failure = error
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - a network error, a timeout: transient
                    failure = TransientFailure(f"{type(error).__name__}: {error}"[:300])
            if isinstance(failure, PermanentFailure):
                raise Failed(failure.reason, permanent=True)
            if isinstance(failure, RetryAfter):
                rate_limited += 1
                self.rate_limited += 1
                metrics.RATE_LIMITED.labels(workspace[0]).inc()
                if rate_limited >= self.policy.rate_limited_attempts:
                    raise Failed(f"rate limited {rate_limited} times: {failure.reason}", permanent=False)
                pause = max(failure.retry_after or 0.0, 0.0) or self.policy.default_retry_after
                if self.budgets is not None:
                    await self.budgets.slow_down(*workspace, pause)
                self._pause(workspace, pause)
                continue
            transient += 1
            if transient >= self.policy.transient_attempts:
                raise Failed(f"{failure.reason} (after {transient} tries)", permanent=False)
            self.retried += 1
            delay = min(self.policy.backoff * 2 ** (transient - 1), self.policy.max_backoff)
            log.info("retrying in %.1fs after %s", delay, failure.reason)
            await self.sleep(delay * (0.5 + self.jitter() / 2))
