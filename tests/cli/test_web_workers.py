"""`WEB_CONCURRENCY=2 okrbot serve`: two worker processes answer on one port, and /metrics (whichever
worker answers it) counts the requests of both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

REQUESTS = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    """A fresh connection per request (urllib keeps none), so the kernel picks a worker each time."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_two_workers_share_the_port_and_their_metrics(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/okrbot.db",
           "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json", "METRICS": "1",
           "OKRBOT_SANDBOX": "1", "PROMETHEUS_MULTIPROC_DIR": ""}
    server = subprocess.Popen([sys.executable, "-m", "okrbot.cli", "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        ready, early = 0, []
        while ready < 2:  # each worker says when it listens; then both answer
            line = server.stderr.readline()
            assert line, "okrbot serve stopped before both workers listened"
            early.append(line)
            ready += line.startswith("{") and "worker listening" in json.loads(line)["message"]
        statuses = [get(base + "/healthz")[0] for _ in range(REQUESTS)]
        status, text = get(base + "/metrics")
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert statuses == [200] * REQUESTS and status == 200
    assert server.returncode == 0, err
    assert "with 2 workers" in out
    lines = [json.loads(line) for line in [*early, *err.splitlines()] if line.startswith("{")]
    pids = {line["pid"] for line in lines if line["logger"] == "okrbot.access" and line["path"] == "/healthz"}
    assert len(pids) == 2, "both workers answered"
    answered = sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
                   if s.name == "okrbot_http_requests_total" and s.labels["route"] == "/healthz")
    assert answered == REQUESTS  # every worker's requests, whichever one answered /metrics
