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


def test_adapters_import_nothing_from_okrbot():
    """Wiring points one way: okrbot/ (the composition root) imports the adapters and gives each its own
    configuration; an adapter never reaches back for okrbot's settings or application."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "adapters").rglob("*.py") if "okrbot" in _imports(p)]
    assert offenders == []


BUILT_IN_PLATFORMS = {"slack", "teams", "sandbox"}


def _branches_on_a_platform_name(path: Path) -> list[int]:
    """Lines comparing something with a built-in platform's name (`platform == "slack"`, `in ("teams", …)`)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operand in operands:
                values = operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand]
                if any(isinstance(v, ast.Constant) and v.value in BUILT_IN_PLATFORMS for v in values):
                    lines.append(node.lineno)
    return lines


def test_core_and_storage_never_branch_on_a_platform_name():
    """What differs between platforms is each adapter's registration (bot.platforms), never an if in the core."""
    offenders = {
        str(path.relative_to(ROOT)): lines
        for folder in ("bot", "storage")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and (lines := _branches_on_a_platform_name(path))
    }
    assert offenders == {}
