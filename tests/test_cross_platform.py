"""One scenario, two platforms: the same script through Slack and through Teams stores the same data.

Each run goes through the real web app and the platform's real wire format (signed Slack requests
against the fake Slack Web API; Bot Framework activities against the fake Bot Connector) on a freshly
imported example organization; the stored rows, with the platform's own ids left out, must be equal.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from adapters.slack.routes import BRIDGE
from bot.importer import import_text
from storage.db import transaction
from storage.models import (
    Base,
    ChannelBinding,
    CheckIn,
    HealthMetric,
    HealthUpdate,
    KeyResult,
    Person,
    Plan,
    Priority,
    Team,
    Win,
)
from tests.conftest import EXAMPLE
from tests.slack.conftest import SlackSender, slack_settings, start_app
from tests.teams.conftest import start_harness

SCRIPT = (
    ("engineer", "confidence rd-o1-kr3 7 vendor signed"),
    ("engineer", "progress rd-o1-kr4 55 new contract tests"),
    ("engineer", "confidence rd-o1-kr3 11"),  # refused: nothing stored
    ("director", "bind rd-efficiency"),
    ("engineer", "priority add P1 ship the *new* pipeline"),
    ("engineer", "priority add P2 retire the old runners"),
    ("engineer", "priority done 2"),
    ("engineer", "plan migrate the build farm"),
    ("director", "health On-call load yellow too many pages"),
    ("engineer", "win cut delivery time to 38 days <!channel>"),
    ("stranger", "confidence rd-o1-kr3 1"),  # not in the OKR file: nothing stored
)
SLACK_USERS = {"engineer": "U0ENGINEER", "director": "U0DIRECTOR", "stranger": "U0STRANGER"}


def snapshot(sessions) -> dict[str, list[tuple]]:
    """What the scenario stored, in platform-neutral terms (emails, keys, texts; no platform ids)."""
    author = aliased(Person)
    with sessions() as s:
        return {
            "checkins": s.execute(
                select(KeyResult.key, author.email, CheckIn.confidence, CheckIn.value, CheckIn.note)
                .join(KeyResult, KeyResult.id == CheckIn.key_result_id).join(author, author.id == CheckIn.person_id)
                .where(CheckIn.source != "import").order_by(CheckIn.id)).all(),
            "key_results": s.execute(
                select(KeyResult.key, KeyResult.confidence, KeyResult.current_value).order_by(KeyResult.key)).all(),
            "priorities": s.execute(
                select(Team.key, Priority.week, Priority.level, Priority.text, author.email, Priority.status)
                .join(Team, Team.id == Priority.team_id).join(author, author.id == Priority.owner_person_id)
                .order_by(Priority.id)).all(),
            "plans": s.execute(
                select(Team.key, Plan.week, Plan.text, author.email)
                .join(Team, Team.id == Plan.team_id).join(author, author.id == Plan.author_person_id)
                .order_by(Plan.id)).all(),
            "health": s.execute(
                select(HealthMetric.name, HealthUpdate.week, HealthUpdate.status, HealthUpdate.note, author.email)
                .join(HealthMetric, HealthMetric.id == HealthUpdate.metric_id)
                .join(author, author.id == HealthUpdate.person_id).order_by(HealthUpdate.id)).all(),
            "wins": s.execute(
                select(Team.key, Win.week, Win.text, author.email)
                .join(Team, Team.id == Win.team_id).join(author, author.id == Win.author_person_id)
                .order_by(Win.id)).all(),
        }


def bound_teams(sessions, platform: str) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(Team.key).join(ChannelBinding, ChannelBinding.team_id == Team.id)
                              .where(ChannelBinding.platform == platform)))


def fresh_example(sessions, clock) -> None:
    with transaction(sessions) as s:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                s.execute(delete(table))
        import_text(s, EXAMPLE.read_text(), clock.now())


async def run_in_slack(database_url, clock, fake_slack, sessions) -> dict:
    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    fake_slack.add_user("U0STRANGER", "nobody@elsewhere.example", "No Body")
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    try:
        slack = SlackSender(client, fake_slack)
        for who, text in SCRIPT:
            status, _ = await slack.command(text, user=SLACK_USERS[who])
            assert status == 200, (who, text)
        await app[BRIDGE].drain()
    finally:
        await client.close()
        ctx.engine.dispose()
    assert "rd-efficiency" in bound_teams(sessions, "slack")
    return snapshot(sessions)


async def run_in_teams(database_url, clock, bot_connector, monkeypatch, sessions) -> dict:
    teams, client = await start_harness(database_url, clock, bot_connector, monkeypatch)
    try:
        for who, text in SCRIPT:
            await teams.say(text, who, where="channel")
    finally:
        await client.close()
        teams.ctx.engine.dispose()
    assert bound_teams(sessions, "teams") == ["rd-efficiency"]
    return snapshot(sessions)


async def test_the_same_script_stores_the_same_data_in_slack_and_teams(
    database_url, sessions, clock, org_id, fake_slack, bot_connector, monkeypatch
):
    slack = await run_in_slack(database_url, clock, fake_slack, sessions)
    fresh_example(sessions, clock)
    teams = await run_in_teams(database_url, clock, bot_connector, monkeypatch, sessions)
    assert slack == teams
    # ...and the scenario did store something of every kind, so equality means something.
    assert all(slack[kind] for kind in slack), {kind: len(rows) for kind, rows in slack.items()}
    assert [row[2] for row in slack["checkins"]] == [7, 5]
    assert slack["wins"][0][2] == "cut delivery time to 38 days <!channel>"
