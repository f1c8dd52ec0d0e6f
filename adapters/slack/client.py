"""Slack Web API clients: one configuration (base URL, retry handlers) for every call okrbot makes.

slack_sdk retries nothing but connection resets by default. Rituals fan out to many channels, so a
429 must wait for Slack's Retry-After (AsyncRateLimitErrorRetryHandler) and a 500/503 gets one more
try; whatever still fails becomes a DeliveryError the rituals engine records.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from okrbot.settings import Settings

DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2  # 429s slack_sdk waits out itself (sleeping Retry-After) before the caller hears of one
TIMEOUT_SECONDS = 10


def api_url(settings: Settings) -> str:
    """SLACK_API_URL (tests, proxies, GovSlack) or slack.com; slack_sdk needs the trailing slash."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings, token: str | None = None, *,
               rate_limit_retries: int = RATE_LIMIT_RETRIES) -> AsyncWebClient:
    """A client for `token`. `rate_limit_retries=0` hands every 429 straight to the caller with its
    Retry-After, for a caller that paces itself on its own clock (the rituals' Deliverer in tests)."""
    return AsyncWebClient(
        token=token,
        base_url=api_url(settings),
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            AsyncServerErrorRetryHandler(),
        ],
    )
