"""`okrbot import` / `okrbot export`: round trips on SQLite and PostgreSQL, and bad files refused whole."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.demo.seed import seed_demo
from bot.exporter import CHECKIN_COLUMNS, CSV_COLUMNS
from bot.importer import ImportFailed, import_text
from bot.services.checkins import record_checkin
from storage.db import make_engine, make_sessionmaker, transaction
from storage.models import CheckIn, KeyResult, Organization, Person, RitualSetting, Team
from tests.cli.helpers import count_rows, empty_database, okrbot, snapshot
from tests.conftest import EXAMPLE, ROOT, START, card_text

HERE = Path(__file__).parent
FULL = HERE / "full.yaml"
SHARED_EXAMPLE = ROOT.parent / "shared" / "examples" / "okrs.yaml"


def _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template) -> tuple[dict, dict, str, str]:
    """Export the database, import the export into an empty database, export that again."""
    before = snapshot(database_url)
    exported = tmp_path / "export.yaml"
    code, _, err = okrbot(monkeypatch, capsys, database_url, "export", "--out", str(exported))
    assert code == 0, err
    fresh = empty_database(database_url, tmp_path, sqlite_template)
    code, out, err = okrbot(monkeypatch, capsys, fresh, "import", str(exported))
    assert code == 0, err
    again = tmp_path / "again.yaml"
    assert okrbot(monkeypatch, capsys, fresh, "export", "--out", str(again))[0] == 0
    return before, snapshot(fresh), exported.read_text(), again.read_text()


def test_the_example_imports_unchanged_and_round_trips(monkeypatch, capsys, database_url, tmp_path, sqlite_template):
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))
    assert code == 0, err
    assert "7 people, 4 teams, 11 objectives, 14 key results" in out
    before, after, first, second = _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template)
    assert after == before
    assert second == first
    assert before["objectives"]["ecology-o6"][7] == "retail-o3-kr1"  # aligned to a key result
    assert before["objectives"]["ecology-o7"][6] == "retail-o3"  # aligned to an objective


def test_every_optional_key_survives_export_then_import(
    monkeypatch, capsys, database_url, tmp_path, sqlite_template, sessions, clock
):
    assert okrbot(monkeypatch, capsys, database_url, "import", str(FULL))[0] == 0
    # Confidence and values move after the import: the export carries the current state, not the file's.
    with transaction(sessions) as session:
        kr = session.scalar(select(KeyResult).where(KeyResult.key == "acme-kr2"))
        record_checkin(session, kr, person_id=None, at=clock.now(), source="cli", confidence=2, value=97.25)
        eng = session.scalar(select(Team).where(Team.key == "eng"))
        session.get(RitualSetting, (eng.id, "wrapup")).enabled = False
    before, after, first, second = _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template)
    assert after == before
    assert second == first
    kr2 = after["key_results"]["acme-kr2"]
    assert (kr2[5], kr2[8]) == (97.25, 2)
    assert after["people"]["Bob@Acme.test"] == ("Bob: the builder", "ada@acme.test", "America/New_York", {})
    assert after["people"]["ada@acme.test"][3] == {"slack": "U0ADA", "teams": "8f1c-ada"}
    eng = after["teams"]["eng"]
    assert eng[5] == {("slack", "C0ENG"), ("slack", "C0ENG2"), ("teams", "19:eng@thread.tacv2")}
    assert eng[6] == ["Build time", "Morale", "Pager load"]
    assert eng[7]["monday"] == (1, "08:30") and eng[7]["friday"] == eng[7]["wrapup"] == "off"
    assert eng[7]["nudge"] == (2, "11:00") and eng[8] == {"2026-W52", "2027-W01"}
    assert after["objectives"]["eng-o1"][8:] == ("closed", 0.7, "2026-Q4")
    assert after["objectives"]["eng-o2"][10] == "2027-H1"
    assert after["key_results"]["eng-kr1"][7] == "CE certificate received"
    assert after["organization"] == ("Acme Robotics", "Europe/Berlin", False, 4, 7,
                                   {"slack": "T0ACME", "teams": "72f988bf-acme-tenant"})


def test_demo_data_round_trips(monkeypatch, capsys, database_url, tmp_path, sqlite_template, sessions, clock):
    with transaction(sessions) as session:
        seed_demo(session, clock.now())
    before, after, first, second = _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template)
    assert after == before
    assert second == first
    assert after["key_results"]["rd-o1-kr3"][8] == 4  # the demo's last-week drop, not the file's 5


def test_a_channel_bound_in_the_sandbox_round_trips(
    monkeypatch, capsys, database_url, tmp_path, sqlite_template, chat
):
    """`/okr bind` works on every platform, so the export has every kind of channel and the import takes it."""
    reply = chat.say("bind rd-efficiency", actor="director.rd@example.com", conversation="rd-efficiency")
    assert "R&D Efficiency" in card_text(reply)
    before, after, first, second = _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template)
    assert "sandbox: rd-efficiency" in first
    assert after == before
    assert second == first
    assert after["teams"]["rd-efficiency"][5] == {("slack", "C0RDEFF"), ("sandbox", "rd-efficiency")}


def test_csv_export_has_one_row_per_key_result(monkeypatch, capsys, database_url):
    okrbot(monkeypatch, capsys, database_url, "import", str(FULL))
    code, out, err = okrbot(monkeypatch, capsys, database_url, "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == count_rows(database_url, KeyResult) == 6
    assert [r["level"] for r in rows] == sorted((r["level"] for r in rows), key=["company", "department", "team",
                                                                                 "individual"].index)
    kr1 = next(r for r in rows if r["kr_key"] == "acme-kr1")
    assert kr1 | {"updated_at": ""} == {
        "cycle": "2026-Q4", "objective_key": "acme-o1", "objective": "Become the default arm for small factories",
        "level": "company", "type": "business", "status": "active", "team": "acme", "objective_owner": "acme",
        "kr_key": "acme-kr1", "key_result": "Factories running our arm", "kr_owner": "ada@acme.test",
        "confidence": "7", "colour": "green", "start": "10", "current": "18", "target": "40", "unit": "factories",
        "milestone": "", "updated_at": "",
    }
    individual = next(r for r in rows if r["kr_key"] == "di-kr1")
    assert (individual["level"], individual["team"]) == ("individual", "")
    assert individual["objective_owner"] == "di@acme.test"


def test_export_names_the_organizations_when_it_cannot_choose(monkeypatch, capsys, database_url, tmp_path):
    code, _, err = okrbot(monkeypatch, capsys, database_url, "export")
    assert code == 1 and "no organization yet" in err
    okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))
    okrbot(monkeypatch, capsys, database_url, "import", str(FULL))
    code, out, err = okrbot(monkeypatch, capsys, database_url, "export")
    assert code == 1 and out == ""
    assert "--org ID" in err and "1 JD Retail" in err and "2 Acme Robotics" in err
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "export", "--org", "2")
    assert code == 0 and "name: Acme Robotics" in out
    assert okrbot(monkeypatch, capsys, database_url, "export", "--org", "9")[2].startswith("nothing was exported")


# ------------------------------------------------------------------ bad files


def _broken(old: str, new: str) -> str:
    text = EXAMPLE.read_text()
    assert old in text, old
    return text.replace(old, new, 1)


BROKEN = {
    "bad yaml": (_broken("  - {email: ceo@example.com, name: Chen Hao}", "  - {email: ceo@example.com, name: Chen"),
                 ["line 21", "not valid YAML"]),
    "unknown manager": (_broken("manager: ceo@example.com}", "manager: boss@example.com}"),
                        ["line 21: people[1].manager: 'boss@example.com' is not in people"]),
    "unknown parent": (_broken("parent: retail", "parent: retial"),
                       ["line 36: teams[1].parent: 'retial' is not a team key"]),
    "confidence 11": (_broken("owner: vp.ecology@example.com, confidence: 6}", "owner: vp.ecology@example.com, "
                                                                               "confidence: 11}"),
                      ["line 79: objectives[4].key_results[0].confidence: is 11; "
                       "expected a whole number from 1 to 10"]),
    "bad time zone": (_broken("timezone: Asia/Shanghai          #", "timezone: Asia/Shanghia          #"),
                      ["line 10: organization.timezone: 'Asia/Shanghia' is not an IANA time zone"]),
    "duplicate key": (_broken("  multiple_business_lines: true", "  name: Other\n  multiple_business_lines: true"),
                      ["line 11: name: appears twice in the same mapping (first on line 9); keep one"]),
    "wrong version": (_broken("version: 1\n", "version: 2\n"), ["line 6: version: is 2; this okrbot reads version 1"]),
    "duplicate team": (_broken("  - key: ecology-hr", "  - key: ecology"),
                       ["line 52: teams[3].key: ecology appears twice"]),
    "list for a key": (_broken("parent: retail", "parent: [retail]"),
                       ["line 36: teams[1].parent: expected a single key or email"]),
    "channel twice": (_broken("channels: {slack: C0RDEFF}", "channels: {slack: C0ECOLOGY}"),
                      ["teams[2].channels.slack: C0ECOLOGY is already the channel of team ecology"]),
    "end before start": (_broken("end: 2026-12-31", "end: 2026-09-30"), ["line 17: cycle.end: must be after start"]),
    "alias to itself": (_broken("leads: [ceo@example.com]", "leads: &self [*self]"),
                        ["line 32: the alias *self is inside its own anchor &self"]),
    "misspelt key": (_broken("    aligns_to: ecology-o7\n    key_results:\n      - {key: rd-o1-kr1",
                             "    aligns-to: ecology-o7\n    key_results:\n      - {key: rd-o1-kr1"),
                     ["objectives[6].aligns-to: is not a key of this format; did you mean aligns_to?"]),
    "unknown top-level key": (_broken("version: 1\n", "version: 1\nobjectifs: []\n"),
                              ["line 7: objectifs: is not a key of this format; did you mean objectives?"]),
    "not a mapping": ("- just\n- a list\n", ["line 1: file: expected a mapping"]),
    "empty file": ("", ["file: expected a mapping"]),
    "several problems": (_broken("parent: retail", "parent: retial").replace("level: team", "level: squad", 1),
                         ["line 36: teams[1].parent", "line 43: teams[2].level: is 'squad'; expected one of company"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_bad_file_is_refused_whole_with_the_line_and_what_is_expected(
    case, monkeypatch, capsys, database_url, tmp_path
):
    text, expected = BROKEN[case]
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 1 and out == ""
    assert err.startswith(f"{path}: nothing was imported")
    for fragment in expected:
        assert fragment in err
    assert "Traceback" not in err
    assert count_rows(database_url, Organization) == 0


def test_a_bad_update_leaves_the_imported_organization_as_it_was(monkeypatch, capsys, database_url, tmp_path):
    okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))
    before = snapshot(database_url)
    text, _ = BROKEN["unknown parent"]
    path = tmp_path / "update.yaml"
    path.write_text(text.replace("title: Market penetration", "title: Market share"))
    assert okrbot(monkeypatch, capsys, database_url, "import", str(path))[0] == 1
    assert snapshot(database_url) == before


def test_an_unreadable_file_is_named(monkeypatch, capsys, database_url, tmp_path):
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read" in err and "missing.yaml" in err


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 20), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6), st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                   max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


EXAMPLE_DATA = yaml.safe_load(EXAMPLE.read_text())
EXAMPLE_PATHS = [p for p in _paths(EXAMPLE_DATA) if p]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(EXAMPLE_PATHS), junk=JUNK)
def test_any_one_wrong_value_is_either_imported_or_refused_never_a_crash(where, junk, sqlite_template, tmp_path):
    import copy

    data = copy.deepcopy(EXAMPLE_DATA)
    node = data
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = junk
    database = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    session = make_sessionmaker(engine)()
    try:
        import_text(session, yaml.safe_dump(data, sort_keys=False), START)
    except ImportFailed as failed:
        assert failed.errors and all(e.startswith("line ") for e in failed.errors)
    finally:
        session.rollback()
        session.close()
        engine.dispose()


def test_bot_demo_example_is_the_shared_example_byte_for_byte():
    if not SHARED_EXAMPLE.exists():
        pytest.skip(f"{SHARED_EXAMPLE} is not beside this checkout")
    assert EXAMPLE.read_bytes() == SHARED_EXAMPLE.read_bytes()


def test_demo_data_twice_adds_nothing(monkeypatch, capsys, database_url, clock):
    code, out, err = okrbot(monkeypatch, capsys, database_url, "demo-data")
    assert code == 0, err
    assert "loaded the demo organization 1" in out
    first = snapshot(database_url)
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "demo-data")
    assert code == 0 and "already loaded" in out
    assert snapshot(database_url) == first


def test_importing_again_updates_in_place_and_appends_changes(monkeypatch, capsys, database_url, tmp_path):
    okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))
    first = snapshot(database_url)
    checkins = count_rows(database_url, CheckIn)
    changed = (EXAMPLE.read_text()
               .replace("name: Zhou Qiang", "name: Zhou Qiang Jr")
               .replace("vp.ecology@example.com, confidence: 6}", "vp.ecology@example.com, confidence: 8}")
               .replace('      friday: "FRI 16:00"', '      friday: "off"\n      nudge: "TUE 11:00"')
               .replace("members: [hr.partner@example.com]", "members: [hr.partner@example.com, engineer@example.com]"))
    path = tmp_path / "again.yaml"
    path.write_text(changed)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 0, err
    assert "1 check-in" in out
    after = snapshot(database_url)
    assert after["people"]["engineer@example.com"][0] == "Zhou Qiang Jr"
    assert after["key_results"]["ecology-o6-kr1"][8] == 8
    assert after["teams"]["rd-efficiency"][7]["friday"] == "off"
    assert after["teams"]["rd-efficiency"][7]["nudge"] == (1, "11:00")
    assert ("engineer@example.com", "member") in after["teams"]["ecology-hr"][4]
    assert count_rows(database_url, CheckIn) == checkins + 1
    unchanged = {k: v for k, v in after.items() if k not in ("people", "key_results", "teams")}
    assert unchanged == {k: v for k, v in first.items() if k not in ("people", "key_results", "teams")}
    assert set(after["people"]) == set(first["people"]) and set(after["key_results"]) == set(first["key_results"])


def test_checkin_history_export_has_every_checkin_with_its_note(monkeypatch, capsys, database_url, sessions, clock):
    okrbot(monkeypatch, capsys, database_url, "import", str(FULL))
    with transaction(sessions) as session:
        kr = session.scalar(select(KeyResult).where(KeyResult.key == "acme-kr2"))
        ada = session.scalar(select(Person).where(Person.email == "ada@acme.test"))
        record_checkin(session, kr, person_id=ada.id, at=clock.now(), source="slack", confidence=3,
                       note="supplier slipped, a week late")
        record_checkin(session, kr, person_id=None, at=clock.advance(hours=1), source="cli", value=97.25)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "export", "--format", "csv", "--checkins")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CHECKIN_COLUMNS
    assert len(rows) == count_rows(database_url, CheckIn)
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    slack, cli = [r for r in rows if r["kr_key"] == "acme-kr2" and r["source"] != "import"]
    assert slack == {
        "at": "2026-11-18T04:00:00+00:00", "kr_key": "acme-kr2", "key_result": slack["key_result"],
        "objective_key": "acme-o1", "team": "acme", "person": "ada@acme.test", "person_name": "Ada Lovelace",
        "confidence": "3", "value": "", "unit": slack["unit"], "note": "supplier slipped, a week late",
        "source": "slack",
    }
    assert (cli["person"], cli["confidence"], cli["value"], cli["source"]) == ("", "3", "97.25", "cli")
    code, _, err = okrbot(monkeypatch, capsys, database_url, "export", "--format", "yaml", "--checkins")
    assert code == 2 and "--format csv" in err
    assert okrbot(monkeypatch, capsys, database_url, "export", "--checkins")[1] == out


def test_away_periods_round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template, chat):
    """`/okr away` periods are part of the set-up: exported under the person, imported back the same."""
    chat.say("away 2026-12-21..2027-01-04 delegate @sunmei", actor="engineer@example.com")
    chat.say("away 2026-11-20", actor="hr.lead@example.com")
    before, after, first, second = _round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template)
    assert "away: [{start: 2026-12-21, end: 2027-01-04, delegate: hr.lead@example.com}]" in first, first
    assert "away: [{start: 2026-11-20, end: 2026-11-20}]" in first
    assert second == first and after == before  # the second export is of the database the first was imported into


def test_a_bad_away_period_is_refused_whole(monkeypatch, capsys, database_url, tmp_path):
    text = EXAMPLE.read_text().replace(
        "  - {email: engineer@example.com,",
        "  - {away: [{start: 2027-01-04, end: 2026-12-21, delegate: nobody@example.com}],"
        " email: engineer@example.com,", 1)
    assert "nobody@example.com" in text
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 1 and "nothing was imported" in err
    assert "away[0].end: must be after start" in err
    assert "away[0].delegate: 'nobody@example.com' is not in people" in err
    assert count_rows(database_url, Organization) == 0
