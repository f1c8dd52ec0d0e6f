"""Proof under faults (issue 17): a simulated quarter with crashes and platform errors, then a checker.

One organization on PostgreSQL, `--teams` teams (half on Slack, half on Teams) spread over eight IANA
zones: a half-hour one with no DST (Asia/Kolkata), a half-hour one that falls back inside the quarter
(America/St_Johns), southern ones that spring forward (Australia/Sydney, Pacific/Auckland) or
already did (America/Santiago), northern ones that fall back (Europe/Berlin, America/New_York) and
one without DST (Asia/Tokyo). Every team runs the Monday, Friday, report and wrap-up rituals and a
Tuesday nudge. Simulated time (bench/chaos_proc.SimClock) starts on Sunday 2026-09-27 and runs
`--weeks` weeks, from event to event (Pacer): every simulated hour mark, where the people's requests of
that hour are sent, and every due instant of a ritual, where time stands until the clocks have finished
every run due by then. Empty hours cost nothing, so the wall time is the work's, not a fixed speed's.

While it runs:
- `--serves` `okrbot serve` and `--clocks` `okrbot clock` processes (bench/chaos_proc.py), one of
  them killed every `--kill-hours` simulated hours (SIGKILL, one time in four SIGTERM) and started again;
- the fake Slack Web API and the fake Bot Connector (tests/fakes) answer 5% of calls 503, 1% 429 with
  Retry-After, and carry out 0.5% of the posts but drop their answer (tests/fakes/faults.py);
- people (simulated: each one's own local working hours) send check-ins, wins and priorities as
  signed Slack slash commands and Bot Framework message activities, and send the win form (a Slack
  modal, a Teams dialog); some requests are retried (Slack's X-Slack-Retry-Num, the Bot Connector's
  redelivery of the same activity) or double-clicked (the same form twice at once);
- the database restarts once half way (a private PostgreSQL cluster started with initdb/pg_ctl when
  run as root, else every connection to the bench database is terminated, which is what okrbot sees).

Then the checker (bench/chaos_check.py), reading only the fakes' records and the database, proves
every due ritual posted exactly once in its local window (or recorded skipped/failed), every
answered check-in stored exactly once, no win stored twice, no post orphaned; it prints the counts,
the wall time and the CPU seconds of every part (okrbot's processes by role, the private PostgreSQL
cluster, the bench itself) with their sum per simulated team-week, the load-insensitive cost figure.
It exits 1 on any problem. A post whose answer was dropped is looked for before it is sent again:
in Slack's history, and on Teams in Microsoft Graph (the fake Bot Connector serves Graph's view of
the channels it stored, the bench's Teams team having granted ChannelMessage.Read.Group), so a
double on either platform is a problem.

    .venv/bin/python bench/chaos.py                          # 200 teams, 13 weeks
    .venv/bin/python bench/chaos.py --teams 8 --weeks 1      # about what `make test` runs
                                                             # (tests/robustness/test_chaos.py)
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chaos_check import Records, check  # noqa: E402
from bench.chaos_proc import SimClock  # noqa: E402
from bench.databases import POSTGRES, free_port  # noqa: E402
from tests.fakes.bot_connector import FakeBotConnector, start_bot_connector  # noqa: E402
from tests.fakes.faults import Faults  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

ZONES = ("Asia/Kolkata", "America/St_Johns", "Australia/Sydney", "Pacific/Auckland", "America/Santiago",
         "Europe/Berlin", "America/New_York", "Asia/Tokyo")
START = datetime(2026, 9, 27, 6, 0, tzinfo=UTC)  # a Sunday, before Auckland's first Monday 09:00
SLACK_TEAM, TENANT, SECRET = "TCHAOS", "tenant-chaos", "chaos-signing-secret"
GROUP = "0c4a05e5-c4a0-4c4a-8c4a-0000000c4a05"  # the Teams team's Azure AD group id, for Microsoft Graph
BOT = {"id": "28:okrbot-chaos", "name": "okrbot"}
MEMBERS = 3  # per team: a lead and two members
STARTUP_SECONDS = 90


# ------------------------------------------------------------------ the organization


def team_zone(t: int) -> str:
    return ZONES[t % len(ZONES)]


def on_slack(t: int) -> bool:
    return t % 2 == 0


def slack_user(t: int, i: int) -> str:
    return f"U{t:04d}{i}"


def aad(t: int, i: int) -> str:
    return f"aad-{t:04d}-{i}"


def channel(t: int) -> str:
    return f"C{t:04d}" if on_slack(t) else f"19:chaos-{t:04d}@thread.tacv2"


def organization_yaml(teams: int) -> str:
    """The organization in okrbot's import format (the importer writes the workspaces, whatever their tables)."""
    lines = ["version: 1", "organization:", "  name: Chaos", "  timezone: UTC",
             f"  workspaces: {{slack: {SLACK_TEAM}, teams: {TENANT}}}",
             "cycle: {name: Q4 2026, start: 2026-09-27, end: 2027-01-03}", "people:"]
    for t in range(teams):
        for i in range(MEMBERS):
            account = f"slack: {slack_user(t, i)}" if on_slack(t) else f"teams: {aad(t, i)}"
            lines.append(f"  - {{email: p{t}-{i}@chaos.example, name: Person {t}-{i}, timezone: {team_zone(t)}, "
                         f"{account}}}")
    lines.append("teams:")
    for t in range(teams):
        kind = "slack" if on_slack(t) else "teams"
        lines += [f"  - key: t{t:04d}", f"    name: Team {t}", f"    timezone: {team_zone(t)}",
                  f"    leads: [p{t}-0@chaos.example]",
                  f"    members: [{', '.join(f'p{t}-{i}@chaos.example' for i in range(1, MEMBERS))}]",
                  f"    channels: {{{kind}: '{channel(t)}'}}",
                  "    rituals: {nudge: \"TUE 10:00\"}"]
    lines.append("objectives:")
    for t in range(teams):
        lines += [f"  - key: t{t:04d}-o1", f"    title: Objective of team {t}", f"    owner: {{team: t{t:04d}}}",
                  "    key_results:"]
        for k in (1, 2):
            lines.append(f"      - {{key: t{t:04d}-kr{k}, title: Result {k} of team {t}, start: 0, target: 100, "
                         f"owner: p{t}-0@chaos.example}}")
    return "\n".join(lines) + "\n"


def seed(database_url: str, teams: int) -> dict[str, int]:
    """Migrate, import the organization (created a day before the quarter); team key -> team id."""
    from sqlalchemy import select, update

    from bot.importer import import_text
    from okrbot.platforms import register_platforms
    from storage.db import make_engine, make_sessionmaker, transaction
    from storage.migrate import upgrade
    from storage.models import Organization, Team

    register_platforms()  # the importer knows the platforms a channel may be on from their registry
    engine = make_engine(database_url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        import_text(session, organization_yaml(teams), START - timedelta(days=1))
        session.execute(update(Organization).values(created_at=START - timedelta(days=1)))
        ids = dict(session.execute(select(Team.key, Team.id)).all())
    engine.dispose()
    return ids


# ------------------------------------------------------------------ the database


class Database:
    """The bench's PostgreSQL: a private cluster (root: initdb/pg_ctl as user postgres, restarted for real)
    or a throwaway database on the shared server (a restart: every connection to it terminated)."""

    def __init__(self, workdir: Path, private: bool) -> None:
        self.workdir, self.private = workdir, private
        self.name = f"okrbot_chaos_{uuid.uuid4().hex[:8]}"
        self.url = ""
        self.cpu_before = 0.0  # the cluster's CPU seconds before its restart
        self.cpu_total = 0.0  # ... and all of it, read before it is stopped

    def _pg(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def start(self) -> str:
        from sqlalchemy import create_engine, text

        if self.private:
            self.data = self.workdir / "pgdata"
            self.port = free_port()
            self.data.mkdir()
            shutil.chown(self.workdir, "postgres")
            shutil.chown(self.data, "postgres")
            self._pg("/usr/local/bin/initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
            self._pg_start()
            server = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        else:
            server = POSTGRES
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = server.rsplit("/", 1)[0] + "/" + self.name
        return self.url

    def _pg_start(self) -> None:
        self._pg("/usr/local/bin/pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "pg.log"), "-w", "-o",
                 f"-p {self.port} -k {self.workdir} -c max_connections=300 -c fsync=off", "start")

    def cpu(self) -> float:
        """CPU seconds of the private cluster so far (its postmaster, its live backends and the exited ones);
        kept across a restart. 0 on the shared server, whose other users' work cannot be told apart."""
        if not self.private:
            return 0.0
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return self.cpu_before
        live = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    live += cpu_seconds(int(stat.parent.name))
        return self.cpu_before + cpu_seconds(postmaster, children=True) + live

    def restart(self) -> str:
        from sqlalchemy import text

        if self.private:
            self.cpu_before = self.cpu()
            self._pg("/usr/local/bin/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart", "-o",
                     f"-p {self.port} -k {self.workdir} -c max_connections=300 -c fsync=off")
            self.admin.dispose()
            return "pg_ctl restart (fast)"
        with self.admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                                    "AND pid <> pg_backend_pid()"), {"name": self.name})
        return "every connection terminated"

    def stop(self) -> None:
        from sqlalchemy import text

        self.cpu_total = self.cpu()
        with contextlib.suppress(Exception), self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
        if self.private:
            with contextlib.suppress(Exception):
                self._pg("/usr/local/bin/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")


# ------------------------------------------------------------------ processes


@dataclass
class Process:
    role: str
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen | None = None
    restarting: bool = False
    starts: int = 0
    cpu: float = 0.0  # CPU seconds of its processes, read just before each was stopped (the rest of a stop uncounted)

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "bench.chaos_proc", self.role], env=self.env,
                                          cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGTERM, wait: float = 30) -> None:
        if not self.alive():
            return
        self.cpu += cpu_seconds(self.popen.pid)
        self.popen.send_signal(sig)
        try:
            self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """A live process's CPU seconds (user + system) from /proc, with its reaped children's when `children`
    (0 when it is gone). The bench's cost proxy: wall time on a loaded machine says nothing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ people


@dataclass
class Sent:
    """What the platform side saw of one request people made: its answer, if any (the fakes' records)."""

    kind: str  # checkin | win | priority | winform
    token: str
    team: int
    platform: str
    statuses: list[Any] = field(default_factory=list)  # HTTP status of each delivery (or the error)
    answer: str | None = None  # the bot's answer, as the platform received it


class People:
    """Simulated people sending real platform requests to whichever `okrbot serve` is up."""

    def __init__(self, serves: list[Process], slack: FakeSlack, connector: FakeBotConnector, team_ids: dict[str, int],
                 teams: int, rng: random.Random) -> None:
        self.serves, self.slack, self.connector, self.team_ids = serves, slack, connector, team_ids
        self.teams, self.rng = teams, rng
        self.sent: list[Sent] = []
        self.ids = itertools.count(1)
        self.http: aiohttp.ClientSession | None = None
        self.retried = self.doubled = self.refused_connections = 0

    # -------------------------------------------------------------- transport

    async def _deliver(self, path: str, attempt) -> tuple[int, str]:
        """POST to a live server, as the platform would: a refused connection or a 5xx is delivered again
        (to another process), up to a few times."""
        last: tuple[int, str] = (0, "no server answered")
        for _ in range(6):
            live = [p for p in self.serves if p.alive() and not p.restarting] or self.serves
            server = self.rng.choice(live)
            try:
                status, body = await attempt(server.url + path)
            except (TimeoutError, aiohttp.ClientError) as error:
                self.refused_connections += 1
                last = (0, type(error).__name__)
                await asyncio.sleep(0.3)
                continue
            last = (status, body)
            if status < 500:
                return last
            await asyncio.sleep(0.3)
        return last

    async def _post(self, url: str, **kwargs) -> tuple[int, str]:
        async with self.http.post(url, timeout=aiohttp.ClientTimeout(total=20), **kwargs) as response:
            return response.status, await response.text()

    # -------------------------------------------------------------- Slack

    def _signed(self, body: str, retry: int | None = None) -> dict[str, str]:
        from slack_sdk.signature import SignatureVerifier

        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                   "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)}
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return headers

    async def slack_command(self, sent: Sent, user: str, text: str) -> None:
        body = urlencode({"token": "legacy", "team_id": SLACK_TEAM, "team_domain": "chaos",
                          "channel_id": channel(sent.team), "channel_name": "team", "user_id": user,
                          "user_name": user.lower(), "command": "/okr", "text": text, "api_app_id": "A0APP",
                          "response_url": self.slack.response_url(sent.token), "trigger_id": f"trig-{sent.token}"})
        retries = [None] + ([1] if self.rng.random() < 0.1 else [])  # Slack sends it again: same body, Retry-Num
        self.retried += len(retries) - 1
        for retry in retries:
            status, answer = await self._deliver("/slack/events", lambda url, r=retry: self._post(
                url, data=body.encode(), headers=self._signed(body, r)))
            sent.statuses.append(status)
            if status == 200 and answer.strip():
                sent.answer = sent.answer or answer

    async def slack_win_form(self, sent: Sent, user: str) -> None:
        trigger = f"trig-{sent.token}"
        payload = {"type": "block_actions", "team": {"id": SLACK_TEAM, "domain": "chaos"},
                   "user": {"id": user, "team_id": SLACK_TEAM}, "api_app_id": "A0APP", "trigger_id": trigger,
                   "actions": [{"type": "button", "action_id": "win_open", "block_id": "b1",
                                "value": f"{self.team_ids[f't{sent.team:04d}']}:", "action_ts": "1.1"}]}
        body = urlencode({"payload": json.dumps(payload)})
        await self._deliver("/slack/events",
                            lambda url: self._post(url, data=body.encode(), headers=self._signed(body)))
        opened = [c.body["view"] for c in self.slack.calls_to("views.open") if c.body.get("trigger_id") == trigger
                  and c.fault is None]
        if not opened:
            sent.statuses.append("no form")
            return
        view = opened[-1]
        state = {b["block_id"]: {b["block_id"]: {"type": "plain_text_input", "value": f"{sent.token} shipped"}}
                 for b in view["blocks"] if b["type"] == "input" and b["element"]["type"] == "plain_text_input"}
        submit = {"type": "view_submission", "team": {"id": SLACK_TEAM, "domain": "chaos"},
                  "user": {"id": user, "team_id": SLACK_TEAM}, "api_app_id": "A0APP", "trigger_id": trigger,
                  "view": {"id": f"V{sent.token}", "hash": f"{sent.token}.h", **view, "team_id": SLACK_TEAM,
                           "state": {"values": state}}}
        body = urlencode({"payload": json.dumps(submit)})
        times = 2 if self.rng.random() < 0.2 else 1  # a double click: the same modal submitted twice at once
        self.doubled += times - 1
        answers = await asyncio.gather(*(self._deliver("/slack/events", lambda url: self._post(
            url, data=body.encode(), headers=self._signed(body))) for _ in range(times)))
        sent.statuses += [status for status, _ in answers]
        sent.answer = _form_answer(answers)

    # -------------------------------------------------------------- Teams

    def _activity(self, t: int, i: int, activity_id: str, **fields: Any) -> dict[str, Any]:
        return {"type": "message", "id": activity_id, "channelId": "msteams", "serviceUrl": self.connector.url,
                "timestamp": datetime.now(UTC).isoformat(), "locale": "en-US",
                "from": {"id": f"29:{aad(t, i)}", "name": f"Person {t}-{i}", "aadObjectId": aad(t, i)},
                "recipient": BOT, "conversation": {"id": f"a:personal-{aad(t, i)}", "conversationType": "personal",
                                                   "tenantId": TENANT},
                "channelData": {"tenant": {"id": TENANT}}, **fields}

    async def teams_post(self, activity: dict[str, Any], times: int = 1) -> list[tuple[int, str]]:
        return list(await asyncio.gather(*(self._deliver("/api/messages", lambda url: self._post(url, json=activity))
                                           for _ in range(times))))

    async def teams_message(self, sent: Sent, i: int, text: str) -> None:
        activity = self._activity(sent.team, i, sent.token, text=text, textFormat="plain")
        times = 2 if self.rng.random() < 0.1 else 1  # the Bot Connector delivers the same activity again
        self.retried += times - 1
        for status, _ in [pair for _ in range(times) for pair in await self.teams_post(activity)]:
            sent.statuses.append(status)

    async def teams_win_form(self, sent: Sent, i: int) -> None:
        value = f"{self.team_ids[f't{sent.team:04d}']}:"
        fetch = self._activity(sent.team, i, f"{sent.token}-fetch", type="invoke", name="task/fetch",
                               value={"type": "task/fetch", "data": {"msteams": {"type": "task/fetch"},
                                                                     "okrbot": {"action": "win_open", "value": value}}})
        [(status, body)] = await self.teams_post(fetch)
        try:
            card = json.loads(body)["task"]["value"]["card"]["content"]
            data = {**card["actions"][0]["data"], "text": f"{sent.token} shipped"}
        except (ValueError, KeyError, TypeError, IndexError):  # an apology instead of the form
            sent.statuses.append(f"no form ({status})")
            return
        times = 2 if self.rng.random() < 0.2 else 1
        self.doubled += times - 1
        submits = [self._activity(sent.team, i, f"{sent.token}-submit{n}", type="invoke", name="task/submit",
                                  value={"type": "task/submit", "data": data}) for n in range(times)]
        answers = await asyncio.gather(*(self.teams_post(a) for a in submits))
        sent.statuses += [status for [(status, _)] in answers]
        sent.answer = _form_answer([answer for [answer] in answers])

    # -------------------------------------------------------------- what people do

    async def act(self, now: datetime) -> None:
        """One person of a random team, if it is their working hours, does one thing."""
        t = self.rng.randrange(self.teams)
        local = now.astimezone(ZoneInfo(team_zone(t)))
        if local.weekday() >= 5 or not 8 <= local.hour < 19:
            return
        i = self.rng.randrange(MEMBERS)
        kind = self.rng.choices(("checkin", "win", "priority", "winform"), (10, 4, 1, 4))[0]
        sent = Sent(kind, f"{kind}-{next(self.ids)}", t, "slack" if on_slack(t) else "teams")
        self.sent.append(sent)
        text = {"checkin": f"confidence t{t:04d}-kr{self.rng.randint(1, 2)} {self.rng.randint(1, 10)} {sent.token}",
                "win": f"win {sent.token} landed", "priority": f"priority add P{self.rng.randint(1, 2)} {sent.token}"}
        if on_slack(t):
            if kind == "winform":
                await self.slack_win_form(sent, slack_user(t, i))
            else:
                await self.slack_command(sent, slack_user(t, i), text[kind])
        elif kind == "winform":
            await self.teams_win_form(sent, i)
        else:
            await self.teams_message(sent, i, text[kind])

    async def introduce(self) -> None:
        """Teams: okrbot learns a channel or a chat when it hears from it. Each team's lead writes in the
        team's channel (binding it) and in a personal chat, as on the first day of an install."""
        slots = asyncio.Semaphore(8)

        async def introduce(t: int) -> None:
            root = f"intro-{t}"
            activity = self._activity(t, 0, root, text=f"<at>okrbot</at> bind t{t:04d}", textFormat="plain",
                                      entities=[{"type": "mention", "text": "<at>okrbot</at>", "mentioned": BOT}])
            activity["conversation"] = {"id": f"{channel(t)};messageid={root}", "conversationType": "channel",
                                        "isGroup": True, "tenantId": TENANT}
            activity["channelData"] = {"tenant": {"id": TENANT}, "channel": {"id": channel(t)},
                                       "team": {"id": "19:chaos-team@thread.tacv2", "aadGroupId": GROUP}}
            async with slots:
                await self.teams_post(activity)
                await self.teams_post(self._activity(t, 0, f"hello-{t}", text="help", textFormat="plain"))

        # Microsoft Graph knows the team's channels, and the team's owner granted ChannelMessage.Read.Group
        self.connector.graph_team(GROUP, [channel(t) for t in range(1, self.teams, 2)])
        await asyncio.gather(*(introduce(t) for t in range(1, self.teams, 2)))


def _form_answer(answers: list[tuple[int, str]]) -> str | None:
    """What the person saw after submitting a form (twice, when double-clicked): "closed" when a sending
    closed it (a 200 with no errors: Slack closes a modal, Teams a dialog, on an empty answer or a card),
    else the errors it stayed open with (a Slack `response_action: errors`, a Teams dialog showing the
    form again), else nothing."""
    kept_open = None
    for status, body in answers:
        if status != 200:
            continue
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}  # "null": a dialog closed with no answer
        if data.get("response_action") == "errors" or "\"Input." in body:
            kept_open = body
        else:
            return "closed"
    return kept_open


# ------------------------------------------------------------------ the run


def environment(workdir: Path, database_url: str, slack: FakeSlack, connector: FakeBotConnector, time_file: Path,
                sweep: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OKRBOT_", "Microsoft", "CHAOS_"))}
    env.update(DATABASE_URL=database_url, HOST="127.0.0.1", SLACK_BOT_TOKEN="xoxb-chaos",
               SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url, OKRBOT_SANDBOX="0", OKRBOT_TEAMS="1",
               TEAMS_GRAPH_URL=connector.graph_url,
               SLACK_POSTS_PER_SECOND="0", TEAMS_POSTS_PER_SECOND="0", LOG_LEVEL="INFO",
               CHAOS_TIME_FILE=str(time_file), CHAOS_SWEEP_SECONDS=str(sweep))
    return env


async def healthy(process: Process, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.alive():
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(process.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"okrbot serve on {process.port} did not come up; see {process.log}")


STEP = timedelta(hours=1)  # people act, and kills happen, at every simulated hour mark
LAG = timedelta(hours=2)  # simulated time never goes further past a due run that is not finished


def due_moments(database_url: str, end: datetime) -> list[tuple[datetime, int]]:
    """Every due instant of the quarter with how many runs are due by then (cumulative), from the weekly
    rituals' settings, as the checker computes them: a once-per-cycle ritual's setting has a weekday
    it never runs on, so counting it would keep simulated time standing still for ever."""
    from collections import Counter

    from sqlalchemy import create_engine, text

    from bench.chaos_check import WEEKLY, dues

    engine = create_engine(database_url)
    with engine.connect() as db:
        rows = db.execute(text("SELECT s.ritual, s.weekday, s.time, t.timezone FROM ritual_settings s "
                               "JOIN teams t ON t.id = s.team_id WHERE s.enabled")).all()
    engine.dispose()
    counts = Counter(due for row in rows if row.ritual in WEEKLY
                     for _, due, _ in dues(row.weekday, row.time, row.timezone, START, end))
    total, moments = 0, []
    for moment in sorted(counts):
        total += counts[moment]
        moments.append((moment, total))
    return moments


class Pacer:
    """Simulated time goes from event to event: every hour mark (people's requests, kills) and every due
    instant of a ritual, standing still at each. Before it goes to the next, every run due more than LAG
    before it must be finished (posted, skipped or failed): the platforms' waits (Retry-After, backoff)
    and a killed clock's restart are real seconds, so on a slow machine the run gets longer, never the
    posts later than LAG. Empty hours cost nothing: the wall time is the work's. `waits` counts the
    waits longer than a second, `waited` their wall seconds."""

    def __init__(self, clock: SimClock, moments: list[tuple[datetime, int]], database_url: str):
        from sqlalchemy import create_engine

        self.clock, self.moments = clock, moments
        self.engine = create_engine(database_url, pool_pre_ping=True)
        self.waits, self.waited = 0, 0.0

    def events(self, start: datetime, end: datetime) -> list[datetime]:
        marks = {start + n * STEP for n in range(int((end - start) / STEP) + 1)}
        return sorted(marks | {moment for moment, _ in self.moments if moment <= end})

    def go_to(self, moment: datetime) -> datetime:
        """Simulated time stands at `moment` (never backwards)."""
        now = max(moment.timestamp(), self.clock.timestamp())
        self.clock.set(now, 0.0)
        return datetime.fromtimestamp(now, UTC)

    def due_by(self, moment: datetime) -> int:
        index = bisect.bisect_right(self.moments, (moment, float("inf")))
        return self.moments[index - 1][1] if index else 0

    def finished(self, moment: datetime) -> int:
        """Finished runs of the weekly rituals only: `due_by` counts those, and event runs (early warnings,
        help requests) finish at once, so counting them let time run ahead of unfinished weekly posts."""
        from sqlalchemy import bindparam, text

        from bench.chaos_check import WEEKLY

        query = text("SELECT count(*) FROM ritual_runs WHERE due_at >= :start AND due_at <= :moment "
                     "AND state <> 'claimed' AND ritual IN :weekly").bindparams(bindparam("weekly", expanding=True))
        with self.engine.connect() as db:
            return db.scalar(query, {"start": START, "moment": moment, "weekly": list(WEEKLY)})

    async def keep_up(self, now: datetime) -> None:
        """Wait (time standing still) until every run due LAG before `now` is finished."""
        due = self.due_by(now - LAG)
        stopped = time.monotonic()
        while due:
            try:
                done = await asyncio.to_thread(self.finished, now - LAG)
            except Exception:  # noqa: BLE001 - the database is restarting: ask again
                done = -1
            if done >= due:
                break
            await asyncio.sleep(0.1)
        if time.monotonic() - stopped > 1.0:
            self.waits += 1
            self.waited += time.monotonic() - stopped


def runs_settled(database_url: str, until: datetime) -> bool:
    """Every run due before `until` is finished (none claimed or in a retry)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            open_runs = connection.scalar(text(
                "SELECT count(*) FROM ritual_runs WHERE due_at <= :until AND (state = 'claimed' OR "
                "(state = 'failed' AND reason LIKE 'gave up:%') OR "
                "(state = 'skipped' AND reason LIKE 'no channel:%'))"),
                {"until": until})
            pending = connection.scalar(text("SELECT count(*) FROM inbox WHERE done_at IS NULL"))
    finally:
        engine.dispose()
    return open_runs == 0 and pending == 0


@dataclass
class Outcome:
    report: Any  # bench.chaos_check.Report
    faults: dict[str, int]
    kills: list[str]
    database_restart: str


async def run(args: argparse.Namespace) -> Outcome:
    started = time.monotonic()
    rng = random.Random(args.seed)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="okrbot-chaos-"))
    workdir.mkdir(parents=True, exist_ok=True)
    private = args.private
    if private is None:
        private = os.geteuid() == 0 and Path("/usr/local/bin/initdb").exists()
    database = Database(workdir, private)
    database_url = database.start()
    team_ids = seed(database_url, args.teams)
    end = START + timedelta(weeks=args.weeks)
    pacer = Pacer(clock := SimClock(workdir / "now.json"), due_moments(database_url, end), database_url)
    clock.set(START.timestamp(), 0.0)  # stands still until every process is up
    server_errors, rate_limits, dropped = (float(share) for share in args.faults.split(","))
    faults = Faults(server_errors=server_errors, rate_limits=rate_limits, dropped=dropped, seed=args.seed)
    slack = await FakeSlack(team_id=SLACK_TEAM, now=clock.timestamp).start()
    connector, connector_runner = await start_bot_connector()
    connector.now = clock.timestamp  # Graph dates the messages in simulated time, as okrbot asks in it
    env = environment(workdir, database_url, slack, connector, workdir / "now.json", args.sweep)
    serves = [Process("serve", {**env, "PORT": str(port)}, workdir / f"serve{n}.log", port)
              for n, port in enumerate(free_port() for _ in range(args.serves))]
    clocks = [Process("clock", env, workdir / f"clock{n}.log") for n in range(args.clocks)]
    people = People(serves, slack, connector, team_ids, args.teams, rng)
    kills: list[str] = []
    restarted_db = ""
    try:
        for process in serves + clocks:
            process.start()
        await asyncio.gather(*(healthy(process) for process in serves))
        async with aiohttp.ClientSession() as people.http:
            await people.introduce()
            slack.faults = connector.faults = faults  # the platforms misbehave from now on
            setup = time.monotonic() - started
            print(f"set up in {setup:.0f} s: {args.teams} teams, {len(ZONES)} zones, {args.serves} serve and "
                  f"{args.clocks} clock processes, {'a private cluster' if private else 'the shared server'}; "
                  f"simulated time goes from event to event, never over {LAG} past an unfinished run", flush=True)
            next_kill = START + timedelta(hours=args.kill_hours)
            restart_at = START + (end - START) / 2
            tasks: set[asyncio.Task] = set()
            budget = asyncio.Semaphore(args.concurrency)
            owed = 0.0
            last = START

            chores: set[asyncio.Task] = set()

            async def restart(victim: Process, sig: signal.Signals) -> None:
                victim.restarting = True
                try:
                    await asyncio.to_thread(victim.stop, sig, 30)
                    victim.start()
                    if victim.role == "serve":
                        with contextlib.suppress(RuntimeError):
                            await healthy(victim)
                finally:
                    victim.restarting = False

            async def restart_database(moment: datetime) -> None:
                nonlocal restarted_db
                restarted_db = await asyncio.to_thread(database.restart)
                print(f"database restarted at {moment:%Y-%m-%d %H:%M} UTC: {restarted_db}", flush=True)

            async def act(moment: datetime) -> None:
                try:
                    await people.act(moment)
                finally:
                    budget.release()

            for moment in pacer.events(START, end):
                await pacer.keep_up(moment)
                now = pacer.go_to(moment)
                owed += (now - last).total_seconds() / 3600 * args.actions_per_hour
                last = now
                while owed >= 1:  # this hour's requests, as many in flight as `concurrency` allows
                    owed -= 1
                    await budget.acquire()
                    task = asyncio.ensure_future(act(now))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if now >= next_kill and not chores:
                    next_kill = now + timedelta(hours=args.kill_hours)
                    victim = rng.choice(serves + clocks)
                    sig = signal.SIGTERM if len(kills) % 4 == 1 else signal.SIGKILL  # one kill in four is gentle
                    kills.append(f"{victim.role}:{sig.name}")
                    chores.add(asyncio.ensure_future(restart(victim, sig)))  # time goes on meanwhile
                if not restarted_db and now >= restart_at:
                    restarted_db = "under way"
                    chores.add(asyncio.ensure_future(restart_database(now)))
                chores = {chore for chore in chores if not chore.done()}
                for p in serves + clocks:  # a process that died on its own is started again too (and counted)
                    if not p.alive() and not p.restarting:
                        kills.append(f"{p.role}:exited {p.popen.returncode}")
                        p.start()
                await asyncio.sleep(0)
            clock.set(clock.timestamp(), 60.0)  # the quarter is over: a minute a second while the rest settles
            await asyncio.gather(*tasks, *chores, return_exceptions=True)
            deadline = time.monotonic() + args.settle
            while time.monotonic() < deadline and not runs_settled(database_url, end):
                await asyncio.sleep(1)
    finally:
        for process in serves + clocks:
            process.stop()
        wall = time.monotonic() - started
        records = Records.of(slack, connector, people.sent)
        await slack.stop()
        await connector_runner.cleanup()
    try:
        pacer.engine.dispose()
        report = await asyncio.to_thread(check, database_url, records, START, end)
    finally:
        database.stop()
    faults_seen = dict(faults.injected)
    print(f"time stood still {pacer.waits} times ({pacer.waited:.0f} s) for runs due over {LAG} ago")
    print(f"people: {len(people.sent)} requests ({people.retried} retried, {people.doubled} double-clicked, "
          f"{people.refused_connections} deliveries to a dead server tried again)")
    hours = (end - START).total_seconds() / 3600
    print(f"faults injected: {faults_seen}; kills: {len(kills)}, one every {hours / max(len(kills), 1):.1f} simulated "
          f"hours ({dict(_count(kills))}); database: {restarted_db}")
    print(report.summary())
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    okrbot = children.ru_utime + children.ru_stime  # every child the bench waited for (initdb, pg_ctl: seconds)
    bench = own.ru_utime + own.ru_stime
    roles = {role: (sum(p.cpu for p in group), sum(p.starts for p in group))
             for role, group in (("serve", serves), ("clock", clocks))}
    postgres = database.cpu_total
    team_weeks = args.teams * args.weeks
    print(f"CPU seconds: okrbot processes {okrbot:.0f} (serve {roles['serve'][0]:.0f} over {roles['serve'][1]} "
          f"starts, clock {roles['clock'][0]:.0f} over {roles['clock'][1]} starts, as read before each stop), "
          f"PostgreSQL {f'{postgres:.0f}' if database.private else 'not counted (shared server)'}, the bench "
          f"itself (fakes, people, checker) {bench:.0f}; all: {okrbot + postgres + bench:.0f}, "
          f"{(okrbot + postgres + bench) / team_weeks:.2f} per simulated team-week ({team_weeks})")
    print(f"wall time {wall:.0f} s for the run, {time.monotonic() - started:.0f} s with the check "
          f"(logs in {workdir if args.keep else 'a removed directory'})")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return Outcome(report, faults_seen, kills, restarted_db)


def _count(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--teams", type=int, default=200)
    p.add_argument("--weeks", type=int, default=13)
    p.add_argument("--serves", type=int, default=2)
    p.add_argument("--clocks", type=int, default=2)
    p.add_argument("--kill-hours", type=float, default=30,
                   help="simulated hours between kills (one at a time: a process still starting is not killed)")
    p.add_argument("--actions-per-hour", type=float, default=None,
                   help="people's requests per simulated hour (default: 0.1 per team; only those in a "
                        "person's working hours are sent, about a third)")
    p.add_argument("--concurrency", type=int, default=12, help="people's requests in flight at most")
    p.add_argument("--sweep", type=float, default=0.5, help="wall seconds between a clock's sweeps")
    p.add_argument("--settle", type=float, default=120, help="wall seconds to wait for the last runs")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--faults", default="0.05,0.01,0.005",
                   help="shares of platform calls answered 503, answered 429, and carried out with the answer dropped")
    p.add_argument("--private", action=argparse.BooleanOptionalAction, default=None,
                   help="a private PostgreSQL cluster (default: when root and initdb is there)")
    p.add_argument("--keep", help="keep logs (and the cluster's directory) here")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.actions_per_hour is None:
        args.actions_per_hour = 0.1 * args.teams
    return 0 if asyncio.run(run(args)).report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
