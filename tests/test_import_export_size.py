"""The import/export modules stay readable: no function longer than a screen (issue #11).

The import format's spec (bot.spec) is shared by both directions; before it, the importer's one
validation function ran to 200 lines. This holds every function of those modules to MAX_LINES."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("bot/spec.py", "bot/importer.py", "bot/exporter.py")
MAX_LINES = 60


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def test_no_function_of_the_import_export_modules_is_over_60_lines():
    long = [f"{module}:{line} {name} ({length} lines)" for module in MODULES
            for name, line, length in _functions(ROOT / module) if length > MAX_LINES]
    assert not long, f"split these (at most {MAX_LINES} lines each): {long}"


def test_the_measure_sees_a_long_function(tmp_path):
    source = tmp_path / "long.py"
    source.write_text("def short():\n    pass\n\n\ndef long():\n" + "    x = 1\n" * MAX_LINES)
    assert [(name, length) for name, _, length in _functions(source)] == [("short", 2), ("long", MAX_LINES + 1)]
