"""SigningKeys' schedule, on a clock the test moves: kept a day, an unknown key id refreshes at most
hourly, a failed refresh keeps the old keys and backs off 5 s, 10 s, 20 s..., no keys at all is 503."""

from __future__ import annotations

import socket

import pytest

from adapters.teams.signing_keys import KeysUnavailable, SigningKeys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dead_url() -> str:
    """A local port nobody listens on: connection refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/metadata"


async def test_keys_are_kept_a_day_and_an_unknown_key_refreshes_at_most_hourly(token_service):
    clock = Clock()
    keys = SigningKeys(token_service.metadata_url, monotonic=clock)
    assert (await keys.get(token_service.kid)).public_key is not None
    assert token_service.requests.count("/v1/keys") == 1

    for _ in range(3):
        with pytest.raises(PermissionError, match="no signing key"):
            await keys.get("forged-kid")
    clock.now += 3000
    await keys.get(token_service.kid)
    assert token_service.requests.count("/v1/keys") == 1  # within the hour: nothing fetched

    clock.now += 1000  # over an hour since the fetch: an unknown key id may refresh, once
    for _ in range(3):
        with pytest.raises(PermissionError):
            await keys.get("forged-kid")
    assert token_service.requests.count("/v1/keys") == 2

    clock.now += 24 * 3600 + 1  # over a day: the next token refreshes whatever its key
    await keys.get(token_service.kid)
    assert token_service.requests.count("/v1/keys") == 3


async def test_a_failed_refresh_keeps_the_old_keys_and_backs_off(token_service):
    clock = Clock()
    keys = SigningKeys(token_service.metadata_url, monotonic=clock)
    await keys.get(token_service.kid)
    keys.url = dead_url()
    clock.now += 24 * 3600 + 1
    assert (await keys.get(token_service.kid)).public_key is not None  # stale, but still the right key
    assert keys.failures == 1 and keys.retry_at == clock.now + 5
    await keys.get(token_service.kid)
    assert keys.failures == 1  # backing off: no new attempt
    clock.now += 5
    await keys.get(token_service.kid)
    assert keys.failures == 2 and keys.retry_at == clock.now + 10

    keys.url = token_service.metadata_url
    clock.now += 10
    await keys.get(token_service.kid)
    assert keys.failures == 0


async def test_no_keys_at_all_is_unavailable_with_a_retry_after():
    clock = Clock()
    keys = SigningKeys(dead_url(), monotonic=clock)
    with pytest.raises(KeysUnavailable) as refused:
        await keys.get("any-kid")
    assert refused.value.retry_after == 5
    clock.now += 2
    with pytest.raises(KeysUnavailable) as refused:
        await keys.get("any-kid")
    assert refused.value.retry_after == 3 and keys.failures == 1
