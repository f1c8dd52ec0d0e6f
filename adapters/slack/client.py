"""Slack Web API clients: one configuration (base URL, timeout, no retries) for every call okrbot makes.

Every call is one attempt: slack_sdk's retry handlers (even its default one for connection resets)
are off. A ritual post that fails leaves the messenger classified (bot.model's PermanentFailure,
RetryAfter, TransientFailure) and the rituals' Deliverer, the one retry budget of a post, decides
whether and when to try again; stacked under it, the SDK's handlers multiplied every attempt
(20 rate-limited attempts of the Deliverer made 60 calls). An interactive answer gets one attempt
too: the person is waiting, and sleeping through a Retry-After would not help them.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10


def api_url(configured: str | None) -> str:
    """SLACK_API_URL (tests, proxies, GovSlack) or slack.com; slack_sdk needs the trailing slash."""
    url = configured or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(base_url: str | None, token: str | None = None) -> AsyncWebClient:
    """A client for `token` at `base_url` (Slack's when None) that makes each call once (an empty list: None
    would mean the SDK's defaults)."""
    return AsyncWebClient(token=token, base_url=api_url(base_url), timeout=TIMEOUT_SECONDS, retry_handlers=[])
