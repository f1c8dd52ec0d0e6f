"""From install to the first Monday post, through Slack requests only, on an empty database (issue #18).

The installer adds okrbot through OAuth, gets the set-up welcome as a direct message and on the App Home,
sets up the organization, two teams from channels (with their members, from conversations.members and
users.info), one objective with three key results and the rituals; then the clock posts each team's first
Monday four-square in its channel at 09:00 in the team's own zone. Everything is then what `okrbot
export` shows, and importing that export changes nothing. A second test follows channel joins and leaves.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from adapters.slack.routes import BRIDGE
from bot.exporter import export_yaml
from bot.importer import import_text
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import KeyResult, Objective, Organization, Person, Team, TeamMember
from tests.slack.conftest import TEAM, SlackSender, slack_settings, start_app

BOSS, ANA, BEN, CY, DEE, EVE = "U0BOSS", "U0ANA", "U0BEN", "U0CY", "U0DEE", "U0EVE"
DESIGN, SALES, ELSEWHERE = "C0DESIGN", "C0SALES", "C0ELSE"
DM = "D0BOSS"
# Monday 2026-11-23 09:00 in Paris (UTC+1) and in New York (UTC-5)
PARIS_MONDAY_0900 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NEW_YORK_MONDAY_0900 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def people(fake) -> None:
    fake.add_user(BOSS, "boss@acme.example", "Ada Boss", tz="Europe/Paris")
    fake.add_user(ANA, "ana@acme.example", "Ana Design", tz="Europe/Paris")
    fake.add_user(BEN, "ben@acme.example", "Ben Pixel", tz="Europe/Paris")
    fake.add_user(CY, "cy@acme.example", "Cy Sales", tz="America/New_York")
    fake.add_user(DEE, "dee@acme.example", "Dee Deal", tz="America/New_York")
    fake.add_user(EVE, "eve@acme.example", "Eve Late", tz="Europe/Paris")
    fake.add_user("U0GUEST", None, "Guest Without Email")
    fake.add_channel(DESIGN, "design", [BOSS, ANA, BEN, "U0GUEST"])
    fake.add_channel(SALES, "sales", [BOSS, CY, DEE])
    fake.add_channel(ELSEWHERE, "random", [BOSS, ANA], bot_in=False)


@pytest.fixture
async def empty_oauth_app(database_url, clock, fake_slack):
    """The real app, Slack through OAuth, on an empty database."""
    people(fake_slack)
    settings = slack_settings(database_url, fake_slack, slack_bot_token=None, slack_client_id="111.222",
                              slack_client_secret="client-secret")
    ctx, app, client = await start_app(settings, clock)
    yield ctx, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


@pytest.fixture
async def empty_token_app(database_url, clock, fake_slack):
    """The real app, one workspace through a bot token (no OAuth redirect), on an empty database."""
    people(fake_slack)
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    yield ctx, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


async def install(slack: SlackSender, installer: str = BOSS) -> None:
    slack.fake.installs[TEAM] = {"access_token": "xoxb-acme", "scope": "commands,chat:write", "user": installer}
    page = await slack.client.get("/slack/install")
    state = re.search(r"state=([\w-]+)", await page.text()).group(1)
    done = await slack.client.get(f"/slack/oauth_redirect?code={TEAM}&state={state}",
                                  headers={"Cookie": f"slack-app-oauth-state={state}"})
    assert done.status == 200, await done.text()


async def open_form(slack: SlackSender, action_id: str, value: str = "", user: str = BOSS,
                    channel: str | None = DM) -> dict:
    """Click a button; the modal okrbot opened."""
    before = len(slack.fake.calls_to("views.open"))
    status, _ = await slack.click(action_id, value, user=user, channel=channel)
    assert status == 200
    with contextlib.suppress(TimeoutError):  # a slow core acks first and opens the form after (the ack budget)
        await slack.fake.wait_for("views.open", before + 1, timeout=10)
    opened = slack.fake.calls_to("views.open")
    assert len(opened) == before + 1, f"{action_id} opened no form: {slack.fake.bodies('response_url')[-1:]}"
    return opened[-1].body["view"]


async def send(slack: SlackSender, view: dict, values: dict[str, str], user: str = BOSS) -> dict | None:
    """Submit a modal; its answer (None: accepted)."""
    status, answer = await slack.submit(view, values, user=user)
    assert status == 200
    return answer


def last_said(fake) -> str:
    """What okrbot last told someone after a form: through a response_url or a direct message."""
    said = [c for c in fake.calls if c.method in ("chat.postMessage", "response_url")]
    return str(said[-1].body)


def team_of(sessions, name: str) -> Team:
    with sessions() as s:
        return s.scalar(select(Team).where(Team.name == name))


def members(sessions, team: str) -> dict[str, str]:
    with sessions() as s:
        return dict(s.execute(select(Person.email, TeamMember.role).join(TeamMember, TeamMember.person_id == Person.id)
                              .join(Team, Team.id == TeamMember.team_id).where(Team.name == team)).all())


async def set_up(slack: SlackSender, sessions) -> None:
    """The whole walk, as the installer does it in Slack."""
    fake = slack.fake
    await install(slack)
    welcome = [c.body for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == BOSS]
    assert welcome and "Set up your organization" in str(welcome[0])
    home = fake.calls_to("views.publish")[-1].body
    assert home["user_id"] == BOSS and "Set up your organization" in str(home["view"])

    view = await open_form(slack, "setup_org")
    timezone = next(b for b in view["blocks"] if b.get("block_id") == "timezone")
    assert timezone["element"]["initial_value"] == "Europe/Paris"  # from the installer's Slack profile
    assert await send(slack, view, {"name": "Acme", "company": "Acme", "lead": "boss@acme.example"}) is None

    view = await open_form(slack, "setup_team")
    assert await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example"}) is None
    assert "design" in last_said(fake) and "Ana Design" in last_said(fake)

    status, _ = await slack.command("team add", user=BOSS, channel=SALES)  # in the channel itself
    assert status == 200
    view = fake.calls_to("views.open")[-1].body["view"]
    channel = next(b for b in view["blocks"] if b.get("block_id") == "channel")["element"]
    assert channel["type"] == "conversations_select" and channel["initial_conversation"] == SALES
    assert await send(slack, view, {"lead": "cy@acme.example", "timezone": "America/New_York",
                                    "follow": "no"}) is None

    design = team_of(sessions, "design")
    view = await open_form(slack, "setup_objective", str(design.id))
    assert {"kr1_measure", "kr1_owner", "kr4_target", "type"} <= {b.get("block_id") for b in view["blocks"]}
    objective = {"title": "Make design the reason people choose us",
                 "kr1": "Design reviews per week from 1 to 4", "kr2": "NPS from 30 to 45",
                 "kr3": "Ship the new design system"}
    # The drafting form's lint: a key result without a number or a milestone is answered by its field first
    answer = await send(slack, view, objective)
    assert "has no number and no milestone" in answer["errors"]["kr3_target"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Objective)) == 0
    assert await send(slack, view, {**objective, "kr3_measure": "milestone"}) is None
    said = last_said(fake)
    assert "design-2026-q4-o1" in said and "active in 2026-Q4" in said
    assert "aligns to nothing above it" in said  # nothing above has a key result yet: advice, not a refusal
    assert "Nobody updated the confidence" not in said  # how it is written, never "stale" when just written

    view = await open_form(slack, "setup_rituals", str(design.id))
    monday = next(b for b in view["blocks"] if b.get("block_id") == "monday")
    assert monday["element"]["initial_value"] == "MON 09:00"
    assert await send(slack, view, {}) is None
    said = last_said(fake)
    assert "Preview" in said and "Ship the new design system" in said, said


async def test_from_install_to_the_first_monday_post_through_slack_only(empty_oauth_app, sessions, clock):
    ctx, slack = empty_oauth_app
    await set_up(slack, sessions)

    with sessions() as s:
        org = s.scalar(select(Organization))
        assert (org.name, org.timezone) == ("Acme", "Europe/Paris")
        assert s.scalar(select(func.count()).select_from(Organization)) == 1
        assert s.scalar(select(func.count()).select_from(KeyResult)) == 3
        objective = s.scalar(select(Objective))
        assert objective.title == "Make design the reason people choose us"
        assert objective.status == "active"  # the quarter is running: no approval round at set-up
        kr1 = s.scalar(select(KeyResult).where(KeyResult.key == "design-2026-q4-o1-kr1"))
        assert (kr1.start_value, kr1.target_value) == (1, 4)
        assert s.get(Person, kr1.owner_person_id).email == "ana@acme.example"  # the lead, first of the owners
    assert members(sessions, "Acme") == {"boss@acme.example": "lead"}
    assert members(sessions, "design") == {"ana@acme.example": "lead", "ben@acme.example": "member",
                                           "boss@acme.example": "member"}  # the guest has no email: left out
    assert members(sessions, "sales") == {"cy@acme.example": "lead", "dee@acme.example": "member",
                                          "boss@acme.example": "member"}
    design, sales, company = (team_of(sessions, n) for n in ("design", "sales", "Acme"))
    assert design.parent_id == company.id and sales.parent_id == company.id
    assert (design.follows_channel, sales.follows_channel) == (True, False)

    fake = slack.fake
    posted = len(fake.calls_to("chat.postMessage"))
    clock.set(PARIS_MONDAY_0900)
    await sweep(ctx, clock.now())
    new = [c.body for c in fake.calls_to("chat.postMessage")[posted:]]
    assert [b["channel"] for b in new] == [DESIGN]  # 09:00 in Paris; not yet 09:00 in New York
    assert "Ship the new design system" in str(new[0])

    clock.set(NEW_YORK_MONDAY_0900)
    await sweep(ctx, clock.now())
    new = [c.body for c in fake.calls_to("chat.postMessage")[posted:]]
    assert [b["channel"] for b in new] == [DESIGN, SALES]

    with transaction(sessions) as s:
        org = s.scalar(select(Organization))
        exported = export_yaml(s, org)
    for expected in ("name: Acme", "timezone: Europe/Paris", "slack: C0DESIGN", "slack: C0SALES",
                     "ben@acme.example", "follow_channel: true", "timezone: America/New_York",
                     "design-2026-q4-o1-kr3", "Ship the new design system"):
        assert expected in exported
    with transaction(sessions) as s:
        import_text(s, exported, clock.now(), org.id)
    with transaction(sessions) as s:
        assert export_yaml(s, s.get(Organization, org.id)) == exported  # the round trip changes nothing


async def test_bad_input_is_answered_kindly_and_nothing_is_half_written(empty_oauth_app, sessions):
    _ctx, slack = empty_oauth_app
    fake = slack.fake
    await install(slack)
    view = await open_form(slack, "setup_org")
    answer = await send(slack, view, {"name": "Acme", "timezone": "Mars/Olympus", "lead": "boss@acme.example"})
    assert "time zone" in answer["errors"]["timezone"]
    answer = await send(slack, view, {"name": "Acme", "lead": "nobody@acme.example"})
    assert "Nobody in this workspace has the email" in answer["errors"]["lead"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 0  # nothing half-written
    assert await send(slack, view, {"name": "Acme", "lead": "boss@acme.example"}) is None

    view = await open_form(slack, "setup_team")
    answer = await send(slack, view, {"channel": ELSEWHERE, "lead": "ana@acme.example"})
    assert "/invite @okrbot" in answer["errors"]["channel"]
    answer = await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example", "level": "company"})
    assert "company team already" in answer["errors"]["level"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Team)) == 1
    assert await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example"}) is None
    assert await send(slack, view, {"channel": SALES, "lead": "cy@acme.example"}) is None
    design, sales = team_of(sessions, "design"), team_of(sessions, "sales")

    # sales under design, then design under sales: a circle
    view = await open_form(slack, "setup_team")  # its parents now list the new teams
    assert await send(slack, view, {"channel": SALES, "lead": "cy@acme.example", "parent": str(design.id)}) is None
    answer = await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example", "parent": str(sales.id)})
    assert "circle" in answer["errors"]["parent"]
    assert team_of(sessions, "design").parent_id != sales.id

    # Someone who neither installed okrbot nor leads a team
    status, body = await slack.command("team add", user=BEN, channel=DESIGN)
    assert status == 200 and "Ada Boss, who installed okrbot" in str(body)
    status, _ = await slack.click("setup_org", user=BEN, channel=DESIGN)
    assert status == 200 and "who installed okrbot" in str(fake.bodies("response_url")[-1])

    view = await open_form(slack, "setup_objective", str(design.id))
    answer = await send(slack, view, {"title": "Be loved", "kr1": "NPS from 30 to 45"})
    assert "keep between 2 and 5" in answer["errors"]["kr2"]
    answer = await send(slack, view, {"title": "Grow revenue 30%", "kr1": "NPS from 30 to 45",
                                      "kr2": "Reviews from 1 to 4", "kr3": "Ship it", "kr3_measure": "milestone"})
    assert "reads as a number" in answer["errors"]["title"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Objective)) == 0


async def test_membership_follows_the_channel_when_the_lead_wants(empty_oauth_app, sessions):
    _ctx, slack = empty_oauth_app
    await install(slack)
    view = await open_form(slack, "setup_org")
    await send(slack, view, {"name": "Acme", "lead": "boss@acme.example"})
    view = await open_form(slack, "setup_team")
    await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example", "follow": "yes"})
    await send(slack, view, {"channel": SALES, "lead": "cy@acme.example", "follow": "no"})

    for channel in (DESIGN, SALES):
        status, _ = await slack.event({"type": "member_joined_channel", "user": EVE, "channel": channel,
                                       "channel_type": "C", "team": TEAM, "event_ts": "1700000001.1"})
        assert status == 200
    assert members(sessions, "design")["eve@acme.example"] == "member"
    assert "eve@acme.example" not in members(sessions, "sales")  # it stays as set

    for user in (BEN, ANA):
        await slack.event({"type": "member_left_channel", "user": user, "channel": DESIGN, "channel_type": "C",
                           "team": TEAM, "event_ts": "1700000002.1"})
    await slack.event({"type": "member_left_channel", "user": DEE, "channel": SALES, "channel_type": "C",
                       "team": TEAM, "event_ts": "1700000003.1"})
    design = members(sessions, "design")
    assert "ben@acme.example" not in design
    assert design["ana@acme.example"] == "lead"  # a lead stays a lead
    assert members(sessions, "sales")["dee@acme.example"] == "member"


async def test_a_big_channel_is_looked_up_before_the_transaction_that_writes_it(empty_oauth_app, sessions):
    """A big channel's people are read from users.list in pages, none of them while a transaction is open (it would
    hold SQLite's write lock, or a PostgreSQL connection, over the HTTP calls); the team is one write.
    (250 members: two pages of conversations.members and of users.list, and the suite stays quick.)"""
    ctx, slack = empty_oauth_app
    fake = slack.fake
    crowd = [f"U1{n:04d}" for n in range(250)]
    for user in crowd:
        fake.add_user(user, f"{user.lower()}@acme.example", f"Person {user}")
    fake.add_channel("C0ALL", "everyone", [BOSS, *crowd])
    await install(slack)
    view = await open_form(slack, "setup_org")
    assert await send(slack, view, {"name": "Acme", "lead": "boss@acme.example"}) is None

    inside: list[list[str]] = []  # the Slack calls made during each transaction of the app's engine
    opened: list[int] = []

    def began(_connection) -> None:
        opened.append(len(fake.calls))

    def ended(_connection) -> None:
        if opened:
            inside.append([c.method for c in fake.calls[opened.pop():]])

    listeners = (("begin", began), ("commit", ended), ("rollback", ended))
    for name, fn in listeners:
        event.listen(ctx.engine, name, fn)
    try:
        view = await open_form(slack, "setup_team")
        assert await send(slack, view, {"channel": "C0ALL", "lead": "boss@acme.example"}) is None
    finally:
        for name, fn in listeners:
            event.remove(ctx.engine, name, fn)
    # users.list pages (200 people each) rather than a users.info per member: 250 calls would outlast Slack's three
    # seconds and its Tier 4 rate limit
    assert len(fake.calls_to("users.list")) == 2
    assert not [c for c in fake.calls_to("users.info") if c.body.get("user") in crowd]
    assert [calls for calls in inside if calls] == []
    with sessions() as s:
        team = s.scalar(select(Team).where(Team.name == "everyone"))
        assert s.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id)) == 251


async def test_the_rituals_step_names_the_rituals_in_the_installers_language(empty_oauth_app, sessions):
    _ctx, slack = empty_oauth_app
    slack.fake.locales[BOSS] = "es-ES"
    await install(slack)
    view = await open_form(slack, "setup_org")
    assert await send(slack, view, {"name": "Acme", "lead": "boss@acme.example"}) is None
    view = await open_form(slack, "setup_team")
    assert await send(slack, view, {"channel": DESIGN, "lead": "ana@acme.example"}) is None
    view = await open_form(slack, "setup_rituals", str(team_of(sessions, "design").id))
    monday = next(b for b in view["blocks"] if b.get("block_id") == "monday")
    assert monday["label"]["text"] == "cuatro cuadrantes del lunes"


async def test_a_one_token_install_welcomes_whoever_opens_the_home_tab_first(empty_token_app, sessions):
    """No OAuth redirect says who installed okrbot: the first person to open its Home tab (or to use it) is."""
    _ctx, slack = empty_token_app
    fake = slack.fake
    status, _ = await slack.event({"type": "app_home_opened", "user": BOSS, "channel": DM, "tab": "home",
                                   "event_ts": "1700000000.000001"})
    assert status == 200
    await fake.wait_for("views.publish", 1, timeout=10)
    home = fake.calls_to("views.publish")[-1].body
    assert home["user_id"] == BOSS and "Set up your organization" in str(home["view"]), home
    welcome = [c.body for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == BOSS]
    assert len(welcome) == 1 and "Set up your organization" in str(welcome[0])
    with sessions() as s:
        org = s.scalar(select(Organization))
        assert s.get(Person, org.installer_id).email == "boss@acme.example"

    status, _ = await slack.event({"type": "app_home_opened", "user": ANA, "channel": "D0ANA", "tab": "home",
                                   "event_ts": "1700000000.000002"})
    await fake.wait_for("views.publish", 2, timeout=10)
    assert "Set up your organization" not in str(fake.calls_to("views.publish")[-1].body["view"])  # one installer
    assert len([c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == ANA]) == 0
