"""`source:` in the import file (checked, exported, round-tripped) and `okrbot connector test KR`."""

from __future__ import annotations

import yaml
from sqlalchemy import select

from storage.models import CheckIn, Connector, KeyResult
from tests.cli.helpers import empty_database, okrbot
from tests.conftest import EXAMPLE

SOURCES = {
    "rd-o1-kr3": {"kind": "http", "url": "https://jira.example.com/rest/api/2/search?jql=x&maxResults=0",
                  "pointer": "/total", "headers": {"Authorization": "JIRA_AUTH"}},
    "rd-o1-kr4": {"kind": "sql", "url_env": "WAREHOUSE_URL", "query": "SELECT count(*) FROM signups",
                  "schedule": "MON 07:30", "timeout": 5},
    "hr-o1-kr1": {"kind": "csv", "file": "/srv/kpi.csv", "cell": "B2"},
}


def with_sources(sources: dict) -> str:
    doc = yaml.safe_load(EXAMPLE.read_text())
    for objective in doc["objectives"]:
        for kr in objective.get("key_results", []):
            if kr["key"] in sources:
                kr["source"] = sources[kr["key"]]
    return yaml.safe_dump(doc, sort_keys=False)


def connectors(database_url) -> dict:
    from storage.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as s:
        rows = s.execute(select(KeyResult.key, Connector.kind, Connector.spec, Connector.schedule)
                         .join(Connector, Connector.key_result_id == KeyResult.id)).all()
    engine.dispose()
    return {key: (kind, spec, schedule) for key, kind, spec, schedule in rows}


def test_sources_import_export_and_round_trip(monkeypatch, capsys, database_url, tmp_path, sqlite_template):
    path = tmp_path / "okrs.yaml"
    path.write_text(with_sources(SOURCES))
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 0, err
    stored = connectors(database_url)
    assert stored["rd-o1-kr4"] == ("sql", {"url_env": "WAREHOUSE_URL", "query": "SELECT count(*) FROM signups",
                                           "timeout": 5}, "MON 07:30")
    assert stored["hr-o1-kr1"][2] == "06:00" and set(stored) == set(SOURCES)
    code, exported, err = okrbot(monkeypatch, capsys, database_url, "export")
    assert code == 0, err
    by_key = {kr["key"]: kr for o in yaml.safe_load(exported)["objectives"] for kr in o.get("key_results", [])}
    assert {key: by_key[key].get("source") for key in SOURCES} == SOURCES
    fresh = empty_database(database_url, tmp_path, sqlite_template)
    again = tmp_path / "again.yaml"
    again.write_text(exported)
    assert okrbot(monkeypatch, capsys, fresh, "import", str(again))[0] == 0
    assert connectors(fresh) == stored
    # A file without the source removes it (the file is the truth for its key results).
    path.write_text(with_sources({}))
    assert okrbot(monkeypatch, capsys, fresh, "import", str(path))[0] == 0
    assert connectors(fresh) == {}


def test_a_bad_source_is_refused_with_its_line(monkeypatch, capsys, database_url, tmp_path):
    path = tmp_path / "okrs.yaml"
    path.write_text(with_sources({"rd-o1-kr3": {"kind": "sql", "url": "postgresql://me:pw@db/x", "query": "q",
                                                "url_env": "DB"},
                                  "rd-o1-kr4": {"kind": "csv", "file": "x.csv", "cell": "2B"}}))
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 1 and "nothing was imported" in err
    assert "key_results[2].source.url: never put a database URL" in err
    assert "key_results[3].source.cell: is '2B'; expected a spreadsheet cell like B2" in err
    assert "line " in err


def test_connector_test_prints_what_it_read_and_writes_nothing(monkeypatch, capsys, database_url, tmp_path,
                                                               org_id, sessions):
    kpi = tmp_path / "kpi.csv"
    kpi.write_text("metric,value\nhires,9\n")
    path = tmp_path / "okrs.yaml"
    path.write_text(with_sources({"hr-o1-kr1": {"kind": "csv", "file": str(kpi), "cell": "B2"}}))
    assert okrbot(monkeypatch, capsys, database_url, "import", str(path))[0] == 0
    with sessions() as s:
        before = s.scalar(select(CheckIn.id).order_by(CheckIn.id.desc()).limit(1))
    code, out, err = okrbot(monkeypatch, capsys, database_url, "connector", "test", "HR-O1-KR1")
    assert code == 0, err
    assert out == "hr-o1-kr1: read 9\n" and f"csv {kpi} cell B2" in err
    kpi.write_text("metric,value\nhires,nine\n")
    code, out, err = okrbot(monkeypatch, capsys, database_url, "connector", "test", "hr-o1-kr1")
    assert code == 1 and out == "" and 'failed: cell B2 is "nine", not a number' in err
    code, out, err = okrbot(monkeypatch, capsys, database_url, "connector", "test", "rd-o1-kr3")
    assert code == 1 and "no key result 'rd-o1-kr3' with a source" in err
    with sessions() as s:
        assert s.scalar(select(CheckIn.id).order_by(CheckIn.id.desc()).limit(1)) == before
