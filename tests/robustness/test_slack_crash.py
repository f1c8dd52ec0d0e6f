"""kill -9 after Slack got its acks loses no command: a real `okrbot serve` subprocess acknowledges slash
commands whose work is slower than the ack budget, is killed, and the next `okrbot serve` finishes every
one of them exactly once, answering through each command's response_url.

The slowness is real, not a mock of okrbot: either Slack itself is slow (the fake Web API holds the
users.info look-up of a person okrbot has not linked yet), or, on PostgreSQL, another transaction holds
the key result's row lock, so the core's own UPDATE waits.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot import inbox
from bot.model import Interaction
from bot.serialize import interaction_to_dict
from okrbot.clock import RitualClock
from storage.db import make_engine
from storage.models import CheckIn, InboxEntry, KeyResult
from tests.slack.conftest import ENGINEER, SECRET, SlackSender

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = 20
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Remote(SlackSender):
    """Signed requests to a server in another process, over a real socket."""

    def __init__(self, url: str, fake) -> None:
        super().__init__(None, fake)  # type: ignore[arg-type]
        self.url = url

    async def post(self, body: str, content_type: str, **signing):
        async with aiohttp.ClientSession() as http, http.post(
            self.url + "/slack/events", data=body.encode(), headers=self.headers(body, content_type, **signing)
        ) as response:
            return response.status, await response.text()


@asynccontextmanager
async def serve(database_url: str, fake, log: Path) -> AsyncIterator[tuple[subprocess.Popen, str]]:
    """`okrbot serve` on a free port, answering /healthz; killed (if still alive) on the way out."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "Microsoft"))}
    env.update(DATABASE_URL=database_url, HOST="127.0.0.1", PORT=str(port), SLACK_BOT_TOKEN="xoxb-single",
               SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url, OKRBOT_SANDBOX="0")
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "okrbot.cli", "serve"], env=env, cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(_healthy(url, process), STARTUP_SECONDS)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def _healthy(url: str, process: subprocess.Popen) -> None:
    """A readiness poll: the port is bound a moment after the process starts."""
    async with aiohttp.ClientSession() as http:
        while process.poll() is None:
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"okrbot serve exited with {process.returncode}")


def _notes(database_url: str, key: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            kr = connection.scalar(select(KeyResult.id).where(KeyResult.key == key))
            return sorted(connection.scalars(select(CheckIn.note).where(CheckIn.key_result_id == kr,
                                                                        CheckIn.source == "slack")))
    finally:
        engine.dispose()


def _pending(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return len(connection.execute(select(InboxEntry.id).where(InboxEntry.done_at.is_(None))).all())
    finally:
        engine.dispose()


async def _crash_and_restart(database_url, fake_slack, tmp_path, user: str, key: str, slow, release) -> None:
    log = tmp_path / "serve.log"
    notes = [f"crash {n:02d}" for n in range(COMMANDS)]
    async with serve(database_url, fake_slack, log) as (process, url):
        slack = Remote(url, fake_slack)
        with slow():
            answers = await asyncio.gather(*(slack.command(f"confidence {key} 6 {note}", user=user)
                                             for note in notes))
            assert answers == [(200, "")] * COMMANDS, answers  # every one acked empty: its work was late
            process.send_signal(signal.SIGKILL)
            process.wait()
            release()
    assert _notes(database_url, key) == [] and _pending(database_url) == COMMANDS
    assert fake_slack.calls_to("response_url") == []  # nobody was answered before the crash

    async with serve(database_url, fake_slack, log):
        told = await fake_slack.wait_for("response_url", COMMANDS, timeout=60)
    assert _notes(database_url, key) == notes, log.read_text()[-3000:]  # each one, exactly once
    assert _pending(database_url) == 0
    assert sorted(call.path for call in told) == sorted({call.path for call in told})  # one answer each
    assert all("Confidence" in call.body["text"] for call in told), [c.body for c in told]


async def test_commands_acked_while_slack_is_slow_survive_kill_9(database_url, org_id, fake_slack, tmp_path):
    # Liu Liu has no Slack account on file: okrbot asks Slack's users.info for the email first, and it hangs.
    fake_slack.add_user("U0LIU", "liu.liu@example.com", "Liu Liu")

    class Stalled:
        """Liu Liu has no Slack account on file: okrbot asks users.info for the email first, and it hangs."""

        def __enter__(self):
            fake_slack.hold("users.info")

        def __exit__(self, *exc):
            fake_slack.release("users.info")

    await _crash_and_restart(database_url, fake_slack, tmp_path, "U0LIU", "liu-o1-kr1", Stalled,
                             lambda: fake_slack.release("users.info"))


@pytest.fixture
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a row lock that blocks the core but not the inbox needs PostgreSQL's row-level locks")
    return database_url


async def test_commands_acked_while_the_core_waits_on_a_lock_survive_kill_9(postgres_only, org_id, fake_slack,
                                                                           tmp_path):
    engine = make_engine(postgres_only)
    connection = engine.connect()
    transaction = None

    class Locked:
        """Another transaction holds rd-o1-kr3's row: the core's check-in UPDATE waits for it."""

        def __enter__(self):
            nonlocal transaction
            transaction = connection.begin()
            connection.execute(select(KeyResult.id).where(KeyResult.key == "rd-o1-kr3").with_for_update())

        def __exit__(self, *exc):
            if transaction.is_active:
                transaction.rollback()

    try:
        await _crash_and_restart(postgres_only, fake_slack, tmp_path, ENGINEER, "rd-o1-kr3", Locked,
                                 lambda: transaction.rollback())
    finally:
        connection.close()
        engine.dispose()


async def test_the_clock_finishes_a_command_a_stopped_server_left_once_it_is_stale(slack_app, clock, fake_slack,
                                                                                  sessions):
    """No server restarts: the clock's sweep takes up a recorded command a minute after it arrived."""
    ctx, _slack = slack_app
    command = Interaction(platform="slack", workspace="T0TEAM", actor=ENGINEER, kind="command",
                          text="confidence rd-o1-kr3 9 left behind", key="slack:command:left-behind")
    payload = {"platform": "slack", "interaction": interaction_to_dict(command), "channel": None,
               "response_url": fake_slack.response_url("left"), "trigger_id": "left-behind"}
    assert inbox.record(sessions, command.key, payload, clock.now())  # what the stopped server committed
    ticker = RitualClock(ctx)
    await ticker.tick()
    assert fake_slack.calls_to("response_url") == []  # too fresh: a live server may still be on it
    clock.advance(seconds=61)
    await ticker.tick()
    await ticker.tick()
    (told,) = fake_slack.calls_to("response_url")
    assert told.path == "/response/left" and "*9*/10" in told.body["text"]
    assert _notes(ctx.settings.database_url, "rd-o1-kr3") == ["left behind"]
