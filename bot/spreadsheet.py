"""The one way okrbot writes CSV: every export goes through `csv_text`, so every cell is neutralised.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
leading tab or carriage return can hide one), so a key result titled `=HYPERLINK("http://evil", "x")`
would become a live link, or worse, in whoever opens the export. OWASP's advice ("CSV Injection"):
prefix such a cell with a single quote, which spreadsheets show as text, and quote every cell that
holds a separator or quote (the csv module does that part). Numbers okrbot writes itself (a negative
start value) are passed as numbers and left alone: they are data, not text someone typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """A cell as written: None is empty, text that a spreadsheet would run gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The whole sheet, header first, one line per row (LF line ends, quotes where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
