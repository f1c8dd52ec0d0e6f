"""The bot's own tokens for the Bot Connector: kept, and fetched in a thread, never on the event loop.

The SDK's credential factories make new credentials for every turn and every proactive post, each
with a new msal client and so an empty token cache, and msal fetches the token when msrest signs the
request: synchronously, on the event loop, with no timeout. That is two round trips to Entra ID
(tenant discovery and the token) blocking the whole server for every message okrbot answers, and a
stalled Entra ID freezes it outright.

`KeptCredentials` wraps the SDK's factory:
- one credentials object per (app id, scope, login endpoint), kept, so msal's cache serves the token
  for its hour and refreshes it when due;
- before the credentials are handed to the SDK, the token is read (or fetched) in one dedicated
  thread, one fetch at a time, waited for at most TOKEN_TIMEOUT: the loop's own read is then a cache
  hit. A wait that runs out raises `TokenUnavailable`, and the send fails like any other (the rituals'
  Deliverer tries proactive posts again) while everything else keeps answering;
- a password bot's msal client is given that timeout too, so a stalled fetch ends and frees the thread
  (the SDK builds it without one). A managed identity asks a local platform endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botframework.connector.auth import MicrosoftAppCredentials, ServiceClientCredentialsFactory
from msal import ConfidentialClientApplication

log = logging.getLogger(__name__)

TOKEN_TIMEOUT = 10.0  # seconds an outbound send waits for the bot's token


class TokenUnavailable(RuntimeError):
    """The bot's token for the Bot Connector could not be had within TOKEN_TIMEOUT."""


class KeptCredentials(ServiceClientCredentialsFactory):
    def __init__(self, inner: ServiceClientCredentialsFactory, timeout: float | None = None) -> None:
        self.inner = inner
        self.timeout = timeout or TOKEN_TIMEOUT
        self._kept: dict[tuple, Any] = {}
        self._fetching: dict[tuple, Future] = {}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="teams-token")

    async def is_valid_app_id(self, app_id: str) -> bool:
        return await self.inner.is_valid_app_id(app_id)

    async def is_authentication_disabled(self) -> bool:
        return await self.inner.is_authentication_disabled()

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        credentials = self._kept.get(key)
        if credentials is None:
            credentials = await self.inner.create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
            password_bot = isinstance(credentials, MicrosoftAppCredentials) and credentials.microsoft_app_id
            if password_bot and not credentials.app:  # what MicrosoftAppCredentials builds on first use, + timeout
                credentials.app = ConfidentialClientApplication(
                    client_id=credentials.microsoft_app_id, client_credential=credentials.microsoft_app_password,
                    authority=credentials.oauth_endpoint, timeout=self.timeout)
            self._kept[key] = credentials
        if credentials.microsoft_app_id:  # empty: authentication is off, there is no token
            await self._token(key, credentials)
        return credentials

    async def _token(self, key: tuple, credentials: Any) -> None:
        """Have a token in the credentials' cache: read or fetched in the token thread, one fetch at a time."""
        fetch = self._fetching.get(key)
        if fetch is None or fetch.done():
            fetch = self._thread.submit(credentials.get_access_token)
            self._fetching[key] = fetch
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fetch)), self.timeout)
        except TimeoutError:
            log.warning("no token for the Bot Connector within %.0f s (Entra ID or the identity endpoint is "
                        "not answering)", self.timeout)
            raise TokenUnavailable(f"no token for the Bot Connector within {self.timeout:.0f} s") from None
