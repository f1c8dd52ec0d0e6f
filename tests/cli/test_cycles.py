"""`okrbot cycle new|status|close` against real databases, and a cycle's planning window and a
once-per-cycle ritual's time through export and import."""

from __future__ import annotations

import yaml

from tests.cli.helpers import empty_database, okrbot
from tests.conftest import EXAMPLE


def test_cycle_new_status_and_close(monkeypatch, capsys, database_url):
    assert okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))[0] == 0
    code, out, err = okrbot(monkeypatch, capsys, database_url, "cycle", "new", "2027-Q1", "--start", "2027-01-01",
                            "--end", "2027-03-31", "--planning-from", "2026-12-07")
    assert code == 0 and "added cycle 2027-Q1" in out and "planning opens 2026-12-07" in out, err
    code, out, _ = okrbot(monkeypatch, capsys, database_url, "cycle", "status")
    assert code == 0
    q1 = next(line for line in out.splitlines() if "2027-Q1" in line)
    assert "2027-01-01 to 2027-03-31" in q1 and "mid-quarter review 2027-02-14" in q1
    assert "closing from 2027-04-01" in q1

    for argv, problem in [
        (("2027-Q1", "--start", "2027-04-01", "--end", "2027-06-30"), "already has a cycle '2027-Q1'"),
        (("2027-Q2", "--start", "2027-03-15", "--end", "2027-06-30"), "overlaps the cycle '2027-Q1'"),
        (("2027-Q2", "--start", "2027-04-01", "--end", "2027-03-30"), "must be after --start"),
        (("2027-Q2", "--start", "2027-04-01", "--end", "2027-06-30", "--planning-from", "2027-04-02"),
         "planning comes first"),
    ]:
        code, out, err = okrbot(monkeypatch, capsys, database_url, "cycle", "new", *argv)
        assert code == 1 and err.startswith("no cycle was added: ") and problem in err, err
    code, _, err = okrbot(monkeypatch, capsys, database_url, "cycle", "close", "2027-Q1")
    assert code == 1 and "runs until 2027-03-31" in err, err
    code, _, err = okrbot(monkeypatch, capsys, database_url, "cycle", "close", "2025-Q9")
    assert code == 1 and "no cycle '2025-Q9'" in err and "2026-Q4, 2027-Q1" in err, err


def test_planning_window_and_a_cycle_rituals_time_round_trip(monkeypatch, capsys, database_url, tmp_path,
                                                             sqlite_template):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["cycle"]["planning_from"] = "2026-09-14"
    data["teams"][0]["rituals"] = {"kickoff": "11:30", "midreview": "off"}
    source = tmp_path / "in.yaml"
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(source))
    assert code == 0, err
    exported = tmp_path / "out.yaml"
    assert okrbot(monkeypatch, capsys, database_url, "export", "--out", str(exported))[0] == 0
    back = yaml.safe_load(exported.read_text())
    assert back["cycle"]["planning_from"].isoformat() == "2026-09-14"
    assert back["teams"][0]["rituals"] == {"kickoff": "11:30", "midreview": "off"}
    fresh = empty_database(database_url, tmp_path, sqlite_template)
    assert okrbot(monkeypatch, capsys, fresh, "import", str(exported))[0] == 0

    data["teams"][0]["rituals"] = {"kickoff": "MON 10:00"}
    source.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(source))
    assert code == 1 and "teams[0].rituals.kickoff: 'MON 10:00': expected a time, like \"10:00\"" in err, err
