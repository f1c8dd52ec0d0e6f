"""The Bot Framework's token signing keys, fetched without ever blocking the event loop.

botframework-connector's own `_OpenIdMetadata` fetches the OpenID metadata and the key set with
`requests`, synchronously, with no timeout, on the event loop, and again on every token when a
fetch failed: one forged token claiming the Bot Framework issuer, while that endpoint stalls,
froze every route of the server for as long as the stall lasted.

`SigningKeys` is a drop-in for it (the same `get(key_id)`), put in the SDK's own cache
(`JwtTokenExtractor.metadataCache`, keyed by metadata URL) so every validation the SDK runs uses it:
- fetched with aiohttp, bounded by a total timeout; one fetch at a time however many tokens wait;
- kept for a day, refreshed early (at most once an hour) when a token names a key not in the set;
- after a failure, no new fetch before a backoff (5 s doubling to 5 min) has passed: the keys it
  had are still used, and with none at all a token is refused at once (`KeysUnavailable`, 503);
- a token that names no key, or an unknown one, is refused without any fetch beyond those.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds for metadata and keys together
KEEP_FOR = 24 * 3600.0  # the SDK's own refresh period
UNKNOWN_KEY_REFRESH = 3600.0  # the SDK's: an unknown key id refreshes the set at most once an hour
FIRST_BACKOFF, MAX_BACKOFF = 5.0, 300.0
MAX_BYTES = 1 << 20  # a metadata document or a key set is a few KB


class KeysUnavailable(PermissionError):
    """No signing keys could be fetched (yet): the activity is refused, try again after `retry_after` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("the Bot Framework signing keys are unavailable")
        self.retry_after = max(1, round(retry_after))


class SigningKeys:
    def __init__(self, url: str, *, timeout: float = FETCH_TIMEOUT,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.timeout = timeout
        self.monotonic = monotonic
        self.keys: dict[str, dict[str, Any]] = {}
        self.fetched_at: float | None = None
        self.failures = 0
        self.retry_at = float("-inf")
        self._fetch: asyncio.Task | None = None

    async def get(self, key_id: str | None) -> _OpenIdConfig:
        """The public key (and endorsements) named by a token's `kid`; raises when there is none."""
        if not key_id:
            raise PermissionError("the token names no signing key")
        if self._due(key_id):
            await self._refreshed()
        key = self.keys.get(key_id)
        if key is None:
            if not self.keys:
                raise KeysUnavailable(self.retry_at - self.monotonic())
            raise PermissionError(f"no signing key {key_id!r}")
        return _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)), key.get("endorsements", []))

    def _due(self, key_id: str) -> bool:
        now = self.monotonic()
        if now < self.retry_at:
            return False
        if self.fetched_at is None or now - self.fetched_at > KEEP_FOR:
            return True
        return key_id not in self.keys and now - self.fetched_at > UNKNOWN_KEY_REFRESH

    async def _refreshed(self) -> None:
        """Wait for the one fetch in flight (starting it if need be); it ends within the timeout."""
        loop = asyncio.get_running_loop()
        if self._fetch is None or self._fetch.done() or self._fetch.get_loop() is not loop:
            self._fetch = loop.create_task(self._refresh())
        await asyncio.shield(self._fetch)

    async def _refresh(self) -> None:
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                metadata = await _json(session, self.url)
                keys = await _json(session, str(metadata["jwks_uri"]))
            self.keys = {str(key["kid"]): key for key in keys["keys"] if isinstance(key, dict) and "kid" in key}
        except Exception as exc:  # noqa: BLE001 - timeouts, refusals, non-JSON: all mean "not now"
            self.failures += 1
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self.failures - 1))
            self.retry_at = self.monotonic() + backoff
            log.warning("could not fetch the Bot Framework signing keys from %s (%s: %s); next try in %.0f s",
                        self.url, type(exc).__name__, exc, backoff)
            return
        self.failures = 0
        self.retry_at = float("-inf")
        self.fetched_at = self.monotonic()


async def _json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        response.raise_for_status()
        body = await response.content.read(MAX_BYTES)
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return document


def install(*urls: str) -> dict[str, SigningKeys]:
    """Put a fresh SigningKeys for each metadata URL into the SDK's cache (replacing any earlier one)."""
    installed = {url: SigningKeys(url) for url in dict.fromkeys(urls)}
    JwtTokenExtractor.metadataCache.update(installed)
    return installed


DEFAULT_URLS = (AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
                AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
