"""Statements built once with string-named bind parameters only where a benchmark measured the need.

Building a SQLAlchemy statement (coercions, cache key) cost more Python time than running it on the
three measured hot paths (bench/RESULTS.md): `/okr confidence` (bench/slack_ack.py), one team's
four-square and the company roll-up report (bench/core.py). There, statements are module constants run
with `bindparam` names; everywhere else a plain `select()` with its values inline is easier to read
and to change. A module that wants a prebuilt statement first shows the need with a figure, then
joins HOT_PATHS with the path that figure is about.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "adapters", "okrbot")
HOT_PATHS = {
    "bot/context.py": "every request's organization and person, the current cycle, a team's ancestry "
                      "(bench/slack_ack.py; bench/core.py four-square)",
    "bot/services/keyresults.py": "/okr confidence: my key results, a key result by code (bench/slack_ack.py)",
    "bot/services/checkins.py": "/okr confidence: the check-in's INSERT and UPDATE (bench/slack_ack.py)",
    "bot/services/trends.py": "trends of the four-square, the roll-up and the check-in reply (bench/core.py)",
    "bot/services/foursquare.py": "the four-square's and the roll-up's board reads (bench/core.py)",
    "bot/services/priorities.py": "the four-square's priorities (bench/core.py four-square)",
    "bot/inbox.py": "every slash command's and form's inbox look-up and claim: 1.6 ms of CPU through the ORM, 0.5 "
                    "ms prebuilt on the table (SQLite; bench/slack_ack.py --cost)",
    "bot/connectors/refresh.py": "a connector pass: one executemany UPDATE of a batch's statuses, where one "
                                 "statement per key result made 10,000 take minutes (bench/connectors.py)",
}


def _uses_bindparam(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("bindparam", "lambda_stmt"):
                return True
    return False


def _modules_using_bindparam() -> set[str]:
    return {str(path.relative_to(ROOT)) for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if _uses_bindparam(path)}


def test_prebuilt_statements_only_on_the_measured_hot_paths():
    outside = sorted(_modules_using_bindparam() - set(HOT_PATHS))
    assert not outside, f"bindparam outside the measured hot paths (use a plain select()): {outside}"


def test_every_hot_path_module_still_needs_its_place():
    assert set(HOT_PATHS) <= _modules_using_bindparam(), "remove modules that no longer prebuild from HOT_PATHS"


def test_the_scan_sees_a_bindparam(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from sqlalchemy import bindparam, select\nS = select(1).where(bindparam('x') == 1)\n")
    assert _uses_bindparam(source)
    source.write_text("from sqlalchemy import select\nS = select(1)\n")
    assert not _uses_bindparam(source)
