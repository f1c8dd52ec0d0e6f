"""Golden files: what a renderer drew, compared byte for byte with what a person reviewed.

Regenerate after an intended change with OKRBOT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, text: str) -> None:
    if os.environ.get("OKRBOT_UPDATE_GOLDEN") or os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; OKRBOT_UPDATE_GOLDEN=1 writes it"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; OKRBOT_UPDATE_GOLDEN=1 to accept"
