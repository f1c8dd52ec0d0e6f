"""Wiring points one way: okrbot/ builds each running adapter's messenger on its own, and mounts routes
only for the web server. The clock gets every messenger (and Slack's finisher) without a web application:
no route module of any adapter is even imported. Settings are read from the environment once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from okrbot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ROUTES = ("okrbot.server", "adapters.slack.routes", "adapters.teams.endpoint", "adapters.sandbox.routes",
          "adapters.web.routes", "adapters.api")
CLOCK = f"""
import json, sys
from okrbot.app import build_context
from okrbot.clock import register_messengers
from okrbot.settings import Settings
ctx = build_context(Settings.from_env())
register_messengers(ctx)
print(json.dumps({{"messengers": sorted(ctx.messengers), "finishers": sorted(ctx.finishers),
                  "routes": sorted(m for m in sys.modules if m in {ROUTES!r})}}))
"""


def test_the_clock_builds_every_messenger_without_any_route(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'okrbot.db'}", "SLACK_SIGNING_SECRET": "s",
           "SLACK_BOT_TOKEN": "xoxb-test", "OKRBOT_TEAMS": "1", "OKRBOT_SANDBOX": "1"}
    done = subprocess.run([sys.executable, "-c", CLOCK], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout.strip().splitlines()[-1])
    assert built == {"messengers": ["sandbox", "slack", "teams"], "finishers": ["slack"], "routes": []}


def test_settings_are_read_from_the_environment_once(monkeypatch):
    monkeypatch.setenv("OKRBOT_TEAMS", "1")
    settings = Settings.from_env()
    monkeypatch.delenv("OKRBOT_TEAMS")
    assert settings.teams_enabled  # what was read at start holds, whatever the environment does later
    assert not Settings().teams_enabled
