"""An organization's chat workspaces in the import file, and `okrbot import --org`.

A Slack workspace installed through OAuth gets an empty organization of its own; its admin fills it by
importing a file that names the workspace (or with --org). A workspace can never end up in two
organizations.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.context import resolve_organization
from bot.workspaces import link, workspaces_of
from storage.db import transaction
from storage.models import Organization, Person
from tests.cli.helpers import okrbot
from tests.conftest import EXAMPLE

NAMED = EXAMPLE.read_text().replace(
    "  multiple_business_lines: true", "  multiple_business_lines: true\n  workspaces: {slack: T0SECOND}", 1
)


def _file(tmp_path, text: str):
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    return path


def test_a_file_naming_its_workspace_fills_the_organization_that_workspace_got_at_install(
    monkeypatch, capsys, database_url, sessions, clock, tmp_path
):
    with transaction(sessions) as session:
        session.add(Organization(name="Other company", created_at=clock.now()))
        session.flush()
        installed = resolve_organization(session, "slack", "T0SECOND", clock.now()).id
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(_file(tmp_path, NAMED)))
    assert code == 0, err
    assert f"organization {installed}" in out
    with sessions() as session:
        org = session.get(Organization, installed)
        assert (org.name, workspaces_of(session, org.id)) == ("JD Retail", {"slack": "T0SECOND"})
        assert session.scalar(select(func.count()).select_from(Person).where(Person.org_id == installed)) == 7


def test_import_into_a_chosen_organization(monkeypatch, capsys, database_url, sessions, clock, tmp_path):
    with transaction(sessions) as session:
        empty = Organization(name="slack workspace T0X", created_at=clock.now())
        session.add(empty)
        session.flush()
        link(session, empty, "slack", "T0X")
        target = empty.id
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE), "--org", str(target))
    assert code == 0, err
    with sessions() as session:
        assert session.get(Organization, target).name == "JD Retail"
        assert session.scalar(select(func.count()).select_from(Organization)) == 1


def test_a_workspace_of_another_organization_or_a_missing_org_is_refused_and_nothing_written(
    monkeypatch, capsys, database_url, sessions, clock, tmp_path
):
    with transaction(sessions) as session:
        owner = Organization(name="Owner", created_at=clock.now())
        session.add(owner)
        session.flush()
        link(session, owner, "slack", "T0SECOND")
        session.add(Organization(name="Someone else", created_at=clock.now()))
        session.flush()
        other = session.scalar(select(Organization.id).where(Organization.name == "Someone else"))
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(_file(tmp_path, NAMED)), "--org", str(other))
    assert code == 1
    assert "T0SECOND is already organization" in err and "--org" in err
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE), "--org", "999")
    assert code == 1 and "no organization with that id" in err
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
        assert sorted(session.scalars(select(Organization.name))) == ["Owner", "Someone else"]
