"""`okrbot import` of hostile YAML: alias bombs, deep nesting, self-referencing aliases and huge files are
refused quickly with one line, no traceback, and error messages never print an expanded value."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bot.importer import ImportFailed, load
from bot.safeyaml import MAX_BYTES
from storage.models import Organization
from tests.cli.helpers import count_rows, okrbot
from tests.conftest import EXAMPLE, ROOT


def billion_laughs(levels: int = 10, width: int = 10) -> str:
    """The classic: each anchor a list of `width` aliases of the one before; 10 x 10 is 10^10 values."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    lines.append(f"version: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _refused(text: str) -> str:
    with pytest.raises(ImportFailed) as refused:
        load(text)
    (error,) = refused.value.errors
    return error


def test_a_real_bomb_file_is_refused_on_the_cli_in_under_a_second(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "okrbot.cli", "import", str(bomb)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path}/okrbot.db"},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "alias" in done.stderr and "2,000,000" in done.stderr and "lol" not in done.stderr
    # The refusal itself, without the interpreter's start-up: well under a second.
    started = time.monotonic()
    _refused(bomb.read_text())
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("text, says", [
    ("version: " + "[" * 200 + "]" * 200 + "\n", "nests deeper than 64 levels"),
    ("version: &loop [1, *loop]\n", "is inside its own anchor &loop"),
    ("version: &loop {a: *loop}\n", "is inside its own anchor &loop"),
])
def test_deep_nesting_and_an_alias_inside_itself_are_refused(text, says):
    error = _refused(text)
    assert error.startswith("line 1: ") and says in error


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(monkeypatch, capsys, database_url, tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as sparse:
        sparse.truncate(MAX_BYTES + 1)  # no data written: a reader would get 16 MB of NULs
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(huge))
    assert code == 1 and out == ""
    assert err == (f"{huge}: nothing was imported: the file has 16,000,001 bytes; "
                   "okrbot imports files of at most 16,000,000 bytes (16 MB)\n")
    assert count_rows(database_url, Organization) == 0


def test_errors_never_print_an_expanded_value(monkeypatch, capsys, database_url, tmp_path):
    """Under the limit, a value made of aliases is still shown cut short, not as its 10,000 expanded items."""
    value = '&a0 ["lol"]'
    for level in range(1, 5):  # the same bomb inline, 10^4 values
        value = f"&a{level} [{value}" + f", *a{level - 1}" * 9 + "]"
    text = EXAMPLE.read_text().replace("leads: [director.rd@example.com]", f"leads: [{value}]", 1)
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 1 and "leads[0]" in err
    assert all(len(line) < 300 for line in err.splitlines()), err
    assert err.count("lol") <= 4


def test_ordinary_aliases_still_import(monkeypatch, capsys, database_url, tmp_path):
    text = EXAMPLE.read_text().replace("leads: [vp.ecology@example.com]", "leads: &eco [vp.ecology@example.com]")
    text = text.replace("leads: [hr.lead@example.com]", "leads: *eco")
    assert "*eco" in text
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(path))
    assert code == 0, err
    assert "4 teams" in out
