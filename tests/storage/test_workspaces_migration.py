"""Migration 0009 on a database of the previous schema: the workspace columns of organizations become
rows of `workspaces`, nothing else is lost (SQLite rebuilds the table, which must not cascade into the
rows that refer to it), and a downgrade puts the columns back with their values."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, inspect, select, text

from bot.context import resolve_organization
from storage.db import make_engine, make_sessionmaker
from storage.migrate import downgrade, upgrade
from storage.models import ChannelBinding, Person, Workspace

NOW = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)
PREVIOUS = "0008"


def _seed_previous_schema(engine) -> None:
    with engine.begin() as c:
        for org_id, name, slack, teams in ((1, "Both", "T0BOTH", "tenant-both"), (2, "Slack only", "T0ONE", None),
                                           (3, "Sandbox only", None, None)):
            c.execute(text("INSERT INTO organizations (id, name, timezone, multiple_business_lines, red_max, "
                           "green_min, slack_team_id, teams_tenant_id, created_at) "
                           "VALUES (:id, :name, 'UTC', false, 3, 8, :slack, :teams, :now)"),
                      {"id": org_id, "name": name, "slack": slack, "teams": teams, "now": NOW})
            c.execute(text("INSERT INTO people (org_id, email, name) VALUES (:org, :email, 'P')"),
                      {"org": org_id, "email": f"p{org_id}@example.com"})
            c.execute(text("INSERT INTO teams (org_id, key, name, level) VALUES (:org, 'rd', 'R&D', 'team')"),
                      {"org": org_id})
        c.execute(text("INSERT INTO channel_bindings (org_id, team_id, platform, channel_id) "
                       "VALUES (1, 1, 'slack', 'C0RD')"))


def test_workspace_columns_become_rows_and_come_back(blank_database_url):
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine, PREVIOUS)
        _seed_previous_schema(engine)

        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("organizations")}
        assert not columns & {"slack_team_id", "teams_tenant_id"}
        sessions = make_sessionmaker(engine)
        with sessions() as s:
            rows = {(w.org_id, w.platform, w.workspace_id) for w in s.scalars(select(Workspace))}
            assert rows == {(1, "slack", "T0BOTH"), (1, "teams", "tenant-both"), (2, "slack", "T0ONE")}
            # The organizations table was rebuilt on SQLite: the rows that refer to it are all still there.
            assert s.scalar(select(func.count()).select_from(Person)) == 3
            assert s.scalar(select(ChannelBinding.channel_id)) == "C0RD"
            assert resolve_organization(s, "teams", "tenant-both", NOW).name == "Both"
            assert resolve_organization(s, "slack", "T0ONE", NOW).name == "Slack only"

        downgrade(engine, PREVIOUS)
        with engine.connect() as c:
            back = c.execute(text("SELECT id, slack_team_id, teams_tenant_id FROM organizations ORDER BY id")).all()
            assert [tuple(r) for r in back] == [(1, "T0BOTH", "tenant-both"), (2, "T0ONE", None), (3, None, None)]
            assert c.execute(text("SELECT count(*) FROM people")).scalar() == 3
            assert "workspaces" not in inspect(c).get_table_names()
        upgrade(engine)  # and forward again
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Workspace)) == 3
    finally:
        engine.dispose()
