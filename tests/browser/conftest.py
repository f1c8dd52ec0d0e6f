"""A real Chromium (Debian's package, never a downloaded build) against the real server on a free port.

The server runs in the test's own event loop on a SQLite copy with the example organization and a
manual clock; the browser is driven with Playwright's async API. Screenshots go to test-artifacts/.
Without /usr/bin/chromium the tests skip and say why; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from okrbot.app import build_context
from okrbot.server import build_app
from okrbot.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def database_url(tmp_path, sqlite_template) -> str:
    """The browser tests use SQLite only: the HTTP tests already cover both databases."""
    path = tmp_path / "okrbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
async def server(database_url, clock, org_id):
    ctx = build_context(Settings(database_url=database_url, sandbox=True), clock=clock, migrate=False)
    runner = web.AppRunner(build_app(ctx))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield ctx, f"http://127.0.0.1:{port}"
    await runner.cleanup()
    ctx.engine.dispose()


@pytest.fixture
async def browser_page():
    _require_chromium()
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        yield page
        await context.close()
        await browser.close()


async def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in_as(page, base: str, label: str) -> None:
    """Choose who you are on the sandbox's first page, with the keyboard-reachable select."""
    await page.goto(f"{base}/sandbox")
    await page.get_by_label("Sign in as").select_option(label=label)
    await page.get_by_role("button", name="Open the sandbox").click()
