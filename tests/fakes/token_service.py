"""The Bot Framework's token side, offline: signing keys, signed tokens, a managed identity, a tarpit.

- `FakeTokenService` serves OpenID metadata and a JWKS (one RSA key made here, endorsed for
  msteams) the way login.botframework.com does, signs channel tokens with that key (or any other),
  and answers the Azure App Service managed identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER,
  which msal reads) so a UserAssignedMSI bot gets its outbound token offline. It records every
  request, so tests see when keys were fetched. It runs in a thread of its own (`ServerThread`).
- `Tarpit` accepts connections and never answers: a stalled key endpoint.
"""

from __future__ import annotations

import asyncio
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"  # the issuer of every token the Bot Connector sends a bot
IDENTITY_HEADER = "fake-identity-header"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeTokenService:
    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "okrbot-test-key"
    requests: list[str] = field(default_factory=list)  # paths, in order
    outbound_tokens: list[dict[str, str]] = field(default_factory=list)  # managed identity token requests

    @property
    def metadata_url(self) -> str:
        return f"{self.url}v1/.well-known/openidconfiguration"

    def channel_token(self, app_id: str, service_url: str, *, key: rsa.RSAPrivateKey | None = None,
                      kid: str | None = None, lifetime: int = 3600, **claims: Any) -> str:
        """A token as the Bot Connector sends it with an activity; keyword arguments replace claims."""
        now = int(time.time())
        body = {"iss": ISSUER, "aud": app_id, "serviceurl": service_url, "iat": now - 60, "nbf": now - 60,
                "exp": now + lifetime, **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    # ------------------------------------------------------------ routes

    async def metadata(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}v1/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"]})

    async def keys(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**jwk, "kid": self.kid, "use": "sig", "endorsements": ["msteams"]}]})

    async def managed_identity(self, request: web.Request) -> web.Response:
        """Azure App Service's identity endpoint: a token for the client id asked for, if the header is right."""
        self.requests.append(request.path)
        if request.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            return web.json_response({"statusCode": 400, "message": "bad identity header"}, status=400)
        self.outbound_tokens.append(dict(request.query))
        expires = int(time.time()) + 3600
        return web.json_response({"access_token": f"outbound-{request.query.get('client_id')}",
                                  "expires_on": str(expires), "resource": request.query.get("resource"),
                                  "token_type": "Bearer"})

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self.metadata)
        app.router.add_get("/v1/keys", self.keys)
        app.router.add_get("/msi/token", self.managed_identity)
        return app


class ServerThread:
    """An aiohttp application served by its own event loop in its own thread, on a random local port.

    For endpoints the SDK calls with blocking HTTP on the event loop under test (msal's token
    requests): a server on that loop could never answer them."""

    def __init__(self, app: web.Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-server", daemon=True)
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)

    async def _start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/"

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture
def token_service() -> Iterator[FakeTokenService]:
    fake = FakeTokenService()
    server = ServerThread(fake.application())
    fake.url = server.url
    yield fake
    server.close()


class Tarpit:
    """A TCP server, in its own thread, that takes every connection and sends nothing for `hold` seconds,
    then hangs up: a stalled key endpoint. Its own thread, because a server on the event loop under
    test could not even accept while that loop is blocked (the very failure it exists to show)."""

    def __init__(self, hold: float) -> None:
        hold_for = hold
        self.connections = 0
        pit = self

        class Hold(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                pit.connections += 1
                pit._closing.wait(hold_for)

        self._closing = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hold)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/openidconfiguration"
        self._thread = threading.Thread(target=self._server.serve_forever, name="tarpit", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    """A key endpoint that stalls each connection for a second (as long as a test can afford)."""
    pit = Tarpit(hold=1.0)
    yield pit
    pit.close()
