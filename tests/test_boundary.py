"""The neutral core must stay neutral: bot/ never imports a platform SDK, and Teams code stays in one folder."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "microsoft_agents")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_platform_sdk():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(PLATFORM_SDKS))
        for path in (ROOT / "bot").rglob("*.py")
        if _imports(path) & set(PLATFORM_SDKS)
    }
    assert offenders == {}


def test_core_imports_no_adapter():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py") if "adapters" in _imports(p)]
    assert offenders == []


def test_botbuilder_stays_inside_adapters_teams():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "adapters", "storage", "okrbot")
        for path in (ROOT / folder).rglob("*.py")
        if {"botbuilder", "botframework"} & _imports(path) and "adapters/teams" not in path.as_posix()
    ]
    assert offenders == []
