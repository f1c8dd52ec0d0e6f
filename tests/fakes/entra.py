"""A fake Microsoft Entra ID token endpoint at https://login.microsoftonline.com, offline.

A SingleTenant or MultiTenant bot gets its token for the Bot Connector from msal's confidential
client, which insists on an https authority on login.microsoftonline.com (any other host costs an
instance discovery call to it first). So the tests give msal the real host name: HTTPS_PROXY points
requests (msal's HTTP client) at a local CONNECT proxy, which pipes every tunnel to a local TLS
server holding a certificate for login.microsoftonline.com made here, and REQUESTS_CA_BUNDLE makes
requests trust that certificate. The server answers tenant discovery and the client-credentials
token request, records each token request, and can stall (`stall` seconds) to play a hung endpoint.

Everything runs in a thread of its own: msal's requests block the event loop under test.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from tests.fakes.token_service import new_key

HOST = "login.microsoftonline.com"


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for HOST: (certificate PEM, key PEM)."""
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "entra.pem", directory / "entra.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class FakeEntra:
    token_requests: list[dict[str, str]] = field(default_factory=list)  # the forms msal posted
    stall: float = 0.0  # seconds each token request hangs before it is answered
    closing: threading.Event = field(default_factory=threading.Event)

    async def discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"https://{HOST}/{tenant}"
        return web.json_response({"issuer": f"{base}/v2.0", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                  "token_endpoint": f"{base}/oauth2/v2.0/token"})

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        if self.stall:
            await asyncio.get_running_loop().run_in_executor(None, self.closing.wait, self.stall)
        self.token_requests.append({key: str(value) for key, value in form.items()})
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                                  "access_token": f"outbound-{form.get('client_id')}-{len(self.token_requests)}"})

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        return app


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class _Servers:
    """The TLS server and the CONNECT proxy, on one event loop in one thread."""

    def __init__(self, entra: FakeEntra, cert: Path, key: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-entra", daemon=True)
        self._thread.start()
        self._runner = web.AppRunner(entra.application(), access_log=None)
        self._tunnels: set[asyncio.Task] = set()
        self.proxy_port = asyncio.run_coroutine_threadsafe(self._start(cert, key), self._loop).result(timeout=10)

    async def _start(self, cert: Path, key: Path) -> int:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context).start()
        self._tls_port = self._runner.addresses[0][1]
        self._proxy = await asyncio.start_server(self._tunnel, "127.0.0.1", 0)
        return self._proxy.sockets[0].getsockname()[1]

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tunnels.add(asyncio.current_task())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(f"CONNECT {HOST}:443 ".encode()):
            writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")  # only the one host is faked; nothing goes out
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self._tls_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    async def _stop(self) -> None:
        self._proxy.close()
        for tunnel in self._tunnels:  # msal's HTTP client keeps its connection open
            tunnel.cancel()
        await asyncio.gather(*self._tunnels, return_exceptions=True)
        await self._runner.cleanup()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture
def entra(tmp_path, monkeypatch) -> Iterator[FakeEntra]:
    """The fake token endpoint, reached by requests (so msal) through HTTPS_PROXY for this test."""
    fake = FakeEntra()
    cert, key = _certificate(tmp_path)
    servers = _Servers(fake, cert, key)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{servers.proxy_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    for name in ("https_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield fake
    fake.closing.set()
    servers.close()

