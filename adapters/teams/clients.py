"""Bot Connector clients kept per app, audience and serviceUrl, not built again for every turn and every send.

botbuilder's CloudAdapter asks its authentication for a connector factory on every incoming activity and every
proactive send (each direct message of a ritual), and the factory builds a new ConnectorClient each time
(msrest's client and serializers over every model, with an HTTP session of its own), and a user-token client
besides: about 9 + 8 ms of CPU per direct message on a loaded 2-core host, more than the rest of the send, and a
new connection to the Bot Connector each time.

`KeptClients` is the SDK's ConfigurationBotFrameworkAuthentication with both kept: a connector client per (app
id, audience, serviceUrl), a user-token client per app id. The credentials are still asked of the factory for
every client handed out (adapters.teams.credentials.KeptCredentials: the same object, its token read or renewed
in the token thread, never on the event loop); a client built on other credentials is built again.
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth._built_in_bot_framework_authentication import _BuiltinBotFrameworkAuthentication

KEPT_MAX = 256  # serviceUrls are per region and app ids few: the bound is against an unexpected stream of them


class _KeptConnectors(ConnectorFactory):
    """The SDK's connector factory (botframework's _ConnectorFactoryImpl, whose settings it reads), reusing a
    client it built before for the same app, audience and serviceUrl."""

    def __init__(self, inner: Any, clients: dict[tuple[str, str, str], ConnectorClient]) -> None:
        self.inner, self.clients = inner, clients

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        inner = self.inner
        scope = audience or inner._to_channel_from_bot_oauth_scope
        credentials = await inner._credential_factory.create_credentials(
            inner._app_id, scope, inner._login_endpoint, inner._validate_authority)
        key = (inner._app_id or "", scope, service_url)
        client = self.clients.get(key)
        if client is None or client.config.credentials is not credentials:
            client = await inner.create(service_url, audience)
            if len(self.clients) >= KEPT_MAX:
                self.clients.clear()
            self.clients[key] = client
        return client


class KeptClients(ConfigurationBotFrameworkAuthentication):
    """ConfigurationBotFrameworkAuthentication whose connector and user-token clients are built once (see the
    module); everything else is the SDK's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connectors: dict[tuple[str, str, str], ConnectorClient] = {}
        self._token_clients: dict[str, UserTokenClient] = {}

    async def authenticate_request(self, activity, auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _KeptConnectors(result.connector_factory, self._connectors)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _KeptConnectors(super().create_connector_factory(claims_identity), self._connectors)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        """okrbot never signs anyone in through the token service, but the SDK makes one for every turn."""
        app_id = _BuiltinBotFrameworkAuthentication.get_app_id(claims_identity) or ""  # the SDK's own rule
        client = self._token_clients.get(app_id)
        if client is None:
            if len(self._token_clients) >= KEPT_MAX:
                self._token_clients.clear()
            client = self._token_clients[app_id] = await super().create_user_token_client(claims_identity)
        return client
