"""The platforms one scenario is driven over, each a thin layer on the persona sweep's driver for it
(tests/personas/drivers.py): people type, click, submit and reply through the real HTTP routes; the clock's
sweep posts through the platform's real messenger; and what okrbot posted is read back from that platform's
fake (the fake Slack Web API, the fake Bot Connector, the sandbox's own message store).

Each leg binds a channel to every team of the example organization (its lead types `bind TEAM` there) and
lets every person of the scenario make first contact, so direct messages can reach them on every platform.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import select

from adapters.slack.routes import BRIDGE
from okrbot.app import AppContext
from storage.models import RitualRun, SandboxMessage
from tests.fakes.bot_connector import THREAD_MARK, start_bot_connector
from tests.fakes.slack_api import FakeSlack
from tests.personas.conftest import DEMO, Persona
from tests.personas.drivers import SandboxDriver, Shown, SlackDriver, TeamsDriver, Trace
from tests.sandbox.conftest import make_client
from tests.slack.conftest import SlackSender, slack_settings, start_app
from tests.teams import conftest as teams_conftest

PLATFORMS = ("sandbox", "slack", "teams")
PEOPLE = {p.key: p for p in DEMO}
LEADS = {"retail": "ceo", "ecology": "vp", "rd-efficiency": "director", "ecology-hr": "hrlead"}


@dataclass(frozen=True)
class Post:
    """A message okrbot posted: where (a channel, or a person's direct chat) and its title (the card's
    fallback text, which is a ritual post's title)."""

    where: str
    title: str
    body: str


class Leg:
    """One platform: `say` a command as a person and read the words of the answer, `press` what was shown,
    `reply` under a ritual's post, and the `posts` its fake recorded."""

    platform = ""
    channels: dict[str, str] = {}  # team key -> its channel on this platform

    def __init__(self, driver, ctx: AppContext) -> None:
        self.driver, self.ctx = driver, ctx
        self.shown: list[Shown] = []

    def fresh(self) -> None:
        """Before each step: what the platform needs after the clock moved."""

    async def say(self, who: str, text: str) -> str:
        self.fresh()
        self.shown = await self.driver.command(PEOPLE[who], text)
        return self.driver.said

    async def press(self, who: str, item: Shown) -> str:
        self.fresh()
        self.shown = await self.driver.click(PEOPLE[who], item)
        return self.driver.said

    async def fill(self, who: str, item: Shown, values: dict[str, str]) -> str:
        """Submit the form `item` with these answers (the rest as shown)."""
        self.fresh()
        self.shown = await self.driver.submit(PEOPLE[who], item, values)
        return self.driver.said

    def button(self, action_id: str, value: str | None = None, shown: list[Shown] | None = None) -> Shown:
        """The (last) button with this action (and value) of the last answer, or of `shown`."""
        found = [item for item in (self.shown if shown is None else shown) if item.kind == "button"
                 and item.key[1] == action_id and (value is None or item.key[2] == value)]
        assert found, f"no {action_id} button in {[item.key for item in self.shown]}"
        return found[-1]

    def form(self) -> Shown:
        """The form the last answer opened."""
        found = [item for item in self.shown if item.kind == "form"]
        assert found, f"no form in {[item.key for item in self.shown]}"
        return found[-1]

    def mark(self) -> int:
        """Where the fake's record is now: `direct` shows what came after."""
        return 0

    async def direct(self, who: str, mark: int) -> list[Shown]:
        """The buttons of what okrbot sent since `mark` (a direct message to `who`, for one)."""
        return self.driver.posts(mark)

    async def reply(self, who: str, run: RitualRun, *texts: str) -> None:
        self.fresh()
        await self.driver.reply(PEOPLE[who], self.thread(run), texts)

    def thread(self, run: RitualRun) -> Shown:
        raise NotImplementedError

    def posts(self) -> list[Post]:
        raise NotImplementedError

    async def setup(self) -> None:
        """Every team's channel bound by its lead; everyone's first contact (for direct messages)."""
        for team, lead in LEADS.items():
            await self.say(lead, f"bind {team}")
        for persona in DEMO:
            await self.first_contact(persona)

    async def first_contact(self, persona: Persona) -> None:
        await self.driver.command(persona, "help")


class SandboxLeg(Leg):
    platform = "sandbox"

    def __init__(self, driver, ctx: AppContext) -> None:
        super().__init__(driver, ctx)
        self.channels = {team: team for team in LEADS}
        self.signed_at = ctx.clock.now()

    def fresh(self) -> None:
        """A sign-in lasts as long as the sandbox's session does, by the injected clock: later, sign in again."""
        if self.ctx.clock.now() != self.signed_at:
            self.driver.current, self.signed_at = None, self.ctx.clock.now()

    def thread(self, run: RitualRun) -> Shown:
        return Shown("thread", (), None, f"/sandbox/c/{run.channel_id}/threads/{run.message_ref}")

    async def direct(self, who: str, mark: int) -> list[Shown]:  # the person's direct messages, newest last
        self.fresh()
        return await self.driver.direct(PEOPLE[who])

    def posts(self) -> list[Post]:
        with self.ctx.sessions() as s:
            rows = s.scalars(select(SandboxMessage).where(  # a channel's posts, and the direct messages
                SandboxMessage.author_person_id.is_(None), SandboxMessage.thread_id.is_(None),
                SandboxMessage.visible_to_person_id.is_(None) | SandboxMessage.channel_id.startswith("dm:"))
                .order_by(SandboxMessage.id))
            return [Post(row.channel_id, row.text, json.dumps(row.card, ensure_ascii=False)) for row in rows]


class SlackLeg(Leg):
    platform = "slack"

    def __init__(self, driver, ctx: AppContext) -> None:
        super().__init__(driver, ctx)
        self.channels = driver.channels = {"retail": "C0RETAIL", "ecology": "C0ECOLOGY", "rd-efficiency": "C0RDEFF",
                                           "ecology-hr": "C0ECOHR"}
        for persona in DEMO:
            driver.user(persona)

    def thread(self, run: RitualRun) -> Shown:
        return Shown("thread", (), (run.channel_id, run.message_ref), run.channel_id)

    def mark(self) -> int:
        return len(self.driver.fake.calls)

    def posts(self) -> list[Post]:
        return [Post(call.body["channel"], call.body.get("text", ""), json.dumps(call.body, ensure_ascii=False))
                for call in self.driver.fake.calls if call.method == "chat.postMessage"]


class TeamsLeg(Leg):
    platform = "teams"

    def __init__(self, driver, ctx: AppContext) -> None:
        super().__init__(driver, ctx)
        self.channels = driver.channels

    def thread(self, run: RitualRun) -> Shown:
        return Shown("thread", (), run.message_ref, "channel")

    def mark(self) -> int:
        return len(self.driver.harness.connector.calls)

    async def first_contact(self, persona: Persona) -> None:  # a personal chat, where direct messages go
        harness = self.driver.harness
        await harness.post(harness.message("help", persona.key))

    def posts(self) -> list[Post]:
        found = []
        for call in self.driver.harness.connector.calls:
            if call.kind in ("create", "send") and call.card is not None:
                where = (call.conversation or "").split(THREAD_MARK)[0]
                found.append(Post(where, call.card.get("fallbackText", ""), json.dumps(call.body, ensure_ascii=False)))
        return found


@asynccontextmanager
async def leg(platform: str, database_url: str, clock, org_id: int, monkeypatch) -> AsyncIterator[Leg]:
    """The real app serving `platform` over the database, its fake running, the leg set up."""
    trace = Trace()
    if platform == "sandbox":
        ctx, client = make_client(database_url, clock, sandbox=True)
        await client.start_server()
        try:
            yield SandboxLeg(SandboxDriver(client, ctx.sessions, org_id, trace), ctx)
        finally:
            await client.close()
            ctx.engine.dispose()
    elif platform == "slack":
        async with FakeSlack() as fake:
            ctx, app, client = await start_app(slack_settings(database_url, fake), clock)
            try:
                found = SlackLeg(SlackDriver(SlackSender(client, fake), fake, app, trace), ctx)
                await found.setup()
                yield found
            finally:
                await app[BRIDGE].drain()
                await client.close()
                ctx.engine.dispose()
    else:
        connector, runner = await start_bot_connector()
        channels = {team: f"19:{team}@thread.tacv2" for team in LEADS}
        channels["rd-efficiency"] = teams_conftest.CHANNEL
        for persona in DEMO:
            monkeypatch.setitem(teams_conftest.PEOPLE, persona.key, (persona.email, persona.name))
        harness, client = await teams_conftest.start_harness(database_url, clock, connector, monkeypatch)
        try:
            found = TeamsLeg(TeamsDriver(harness, trace, channels), harness.ctx)
            await found.setup()
            yield found
        finally:
            await client.close()
            harness.ctx.engine.dispose()
            await runner.cleanup()
