"""`okrbot` as a separate process, the way a shell runs it: pipes that close early and ports already taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.conftest import ROOT


def _okrbot(*argv: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "okrbot.cli", *argv], env=environment, cwd=ROOT,
                          stderr=subprocess.PIPE, text=True, timeout=60, **kwargs)


def _closed_pipe():
    """A pipe whose reader is already gone, as with `| head` after its lines: every write gets EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    for argv in (["manifest", "slack", "--url", "https://okr.example.com"],
                 ["ritual", "status"]):
        write = _closed_pipe()
        try:
            done = _okrbot(*argv, stdout=write, env={"DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
        finally:
            os.close(write)
        assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, (argv, done.stderr)


def test_a_busy_port_is_one_line_naming_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _okrbot("serve", stdout=subprocess.PIPE, env={
            "DATABASE_URL": f"sqlite:///{tmp_path}/okrbot.db", "HOST": "127.0.0.1", "PORT": str(port)})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "okrbot serve:" in line]
    assert len(lines) == 1 and f"127.0.0.1:{port} is already in use" in lines[0] and "PORT" in lines[0], done.stderr
    assert "serving on" not in done.stdout  # never announced as answering
