"""The persona sweep: every person, every command, every button, on every platform, over each database.

For the demo organization plus the edge personas (tests/personas/conftest.py), over the sandbox, Slack
and Teams through their real HTTP routes: post every ritual, type every command of the grammar (valid
and invalid forms, derived from bot.commands: tests/personas/grammar.py), then click every button and
submit every form okrbot showed, and those the answers showed in turn (depth 2); under every post okrbot
started a thread with, reply with a win and with a cheer. It passes only with
no 5xx, no apology ("something went wrong") anywhere okrbot wrote, and no ERROR or traceback in the logs.

To stay fast it is linear, not combinatorial: each persona types one form of every command, the other
forms are shared out among the personas of the platform, the invalid forms are typed once per platform
(the grammar refuses them before anything personal happens), and a button or form is tried once per
persona (by its action and value, or its form id), wherever it was shown.
"""

from __future__ import annotations

import logging
from itertools import cycle

import pytest

from adapters.slack.routes import BRIDGE
from bot.commands import ALIASES
from bot.rituals import run_ritual
from bot.rituals.catalog import names as ritual_names
from tests.personas import grammar
from tests.personas.conftest import DEMO, EDGE, STRANGER, Persona
from tests.personas.drivers import CHANNEL_TEAM, SandboxDriver, Shown, SlackDriver, TeamsDriver, Trace
from tests.sandbox.conftest import make_client
from tests.slack.conftest import SlackSender, slack_settings, start_app
from tests.teams import conftest as teams_conftest

DEPTH = 2
TEAMS = ("retail", "ecology", "rd-efficiency", "ecology-hr")
# The demo's people shared out among the platforms (each is swept somewhere); the edge personas are on all.
DEMO_ON = {
    "sandbox": ("ceo", "hrpartner"),
    "slack": ("vp", "engineer", "hrlead"),
    "teams": ("liu", "director"),
}


def personas_of(platform: str) -> list[Persona]:
    return [p for p in DEMO if p.key in DEMO_ON[platform]] + list(EDGE)


def commands_for(platform: str, people: list[Persona]) -> dict[str, list[str]]:
    """One form of every command for everyone; the other forms dealt out in turn; a third of the invalid ones
    (each platform its own third) to the first persona."""
    first: dict[str, str] = {}
    others: list[str] = []
    for text in grammar.valid_commands():
        name = ALIASES.get(text.split()[0], text.split()[0]) if text else ""
        if name not in first:
            first[name] = text
        else:
            others.append(text)
    plan = {p.key: list(first.values()) for p in people}
    for persona, text in zip(cycle(people), others, strict=False):
        plan[persona.key].append(text)
    share = list(DEMO_ON).index(platform)
    plan[people[0].key] += grammar.invalid_commands()[share::len(DEMO_ON)]
    return plan


class Sweep:
    def __init__(self, driver) -> None:
        self.driver = driver
        self.tried: dict[str, dict[tuple, int]] = {}  # persona -> what was tried, at the shallowest depth
        self.steps = 0

    async def follow(self, persona: Persona, shown: list[Shown], depth: int = 1) -> None:
        """Try each thing shown once per persona; again only when seen nearer the top (its answers get deeper)."""
        if depth > DEPTH:
            return
        tried = self.tried.setdefault(persona.key, {})
        for item in shown:
            if tried.get(item.key, DEPTH + 1) <= depth:
                continue
            if item.kind == "thread" and not self.driver.in_my_channel(persona, item):
                continue  # people reply under their own team's posts
            tried[item.key] = depth
            self.steps += 1
            action = {"button": self.driver.click, "form": self.driver.submit, "thread": self.driver.reply}[item.kind]
            await self.follow(persona, await action(persona, item), depth + 1)

    async def run(self, people: list[Persona], posts) -> None:
        for persona, texts in commands_for(self.driver.platform, people).items():
            who = next(p for p in people if p.key == persona)
            for text in texts:
                self.steps += 1
                await self.follow(who, await self.driver.command(who, text))
        for persona in people:
            await self.follow(persona, await posts(persona))
        await self.driver.stranger(STRANGER)


def assert_quiet_logs(caplog) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in bad[:5])


async def _post_rituals(app_ctx, org_id: int) -> None:
    for team in TEAMS:
        for ritual in ritual_names():
            await run_ritual(app_ctx, team, ritual, at=app_ctx.clock.now(), force=True, org_id=org_id)


async def test_sandbox(database_url, clock, demo_org, sessions, caplog):
    caplog.set_level(logging.INFO)
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    trace = Trace()
    try:
        driver = SandboxDriver(client, sessions, demo_org, trace)
        people = personas_of("sandbox")
        await _post_rituals(ctx, demo_org)
        posted = [item for team in TEAMS for item in await driver.threads(people[0], team)]

        async def posts(persona: Persona) -> list[Shown]:
            return posted + await driver.direct(persona)

        sweep = Sweep(driver)
        await sweep.run(people, posts)
    finally:
        await client.close()
        ctx.engine.dispose()
    assert_quiet_logs(caplog)


async def test_slack(database_url, clock, demo_org, fake_slack, caplog):
    caplog.set_level(logging.INFO)
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    trace = Trace()
    try:
        driver = SlackDriver(SlackSender(client, fake_slack), fake_slack, app, trace)
        people = personas_of("slack")
        for persona in [*people, STRANGER]:
            driver.user(persona)
        for persona in people:  # first contact links each account, so direct messages can reach them
            await driver.command(persona, "help")
        mark = len(fake_slack.calls)
        await _post_rituals(ctx, demo_org)
        await app[BRIDGE].drain()
        posted = driver.posts(mark)

        async def posts(persona: Persona) -> list[Shown]:
            return posted + await driver.home(persona)

        await Sweep(driver).run(people, posts)
    finally:
        await app[BRIDGE].drain()
        await client.close()
        ctx.engine.dispose()
    assert_quiet_logs(caplog)


async def test_teams(database_url, clock, demo_org, bot_connector, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    people = personas_of("teams")
    for persona in [*people, STRANGER]:
        monkeypatch.setitem(teams_conftest.PEOPLE, persona.key, (persona.email, persona.name))
    harness, client = await teams_conftest.start_harness(database_url, clock, bot_connector, monkeypatch)
    trace = Trace()
    try:
        driver = TeamsDriver(harness, trace)
        # The team's channel bound by its lead, so the rituals post there as well.
        await harness.post(harness.message(f"bind {CHANNEL_TEAM}", "director", where="channel"))
        for persona in people:  # first contact: okrbot remembers the personal chat, for direct messages
            await driver.command(persona, "help")
            await harness.post(harness.message("help", persona.key))
        mark = len(bot_connector.calls)
        await _post_rituals(harness.ctx, demo_org)
        posted = driver.posts(mark)

        async def posts(_persona: Persona) -> list[Shown]:
            return posted

        await Sweep(driver).run(people, posts)
    finally:
        await client.close()
        harness.ctx.engine.dispose()
    assert_quiet_logs(caplog)


@pytest.mark.parametrize("form", grammar.forms())
def test_every_usage_form_yields_commands_the_parser_accepts(form):
    """The sweep's valid forms are valid: a usage string the sweep misreads would sweep nothing real."""
    from bot.commands import UsageError, parse

    accepted = [text for text in grammar.valid(form) if not isinstance(parse(text), UsageError)]
    assert accepted, f"no form derived from {form!r} parses"
