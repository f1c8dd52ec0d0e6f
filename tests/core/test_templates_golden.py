"""Golden files for every template in prompts/ and every macro of a macro file (errors.j2, advice.j2).

Each template `prompts/NAME.j2` has `tests/golden/prompts/NAME.json`: a mapping of case name to the
context it is rendered with (plain JSON: Jinja reads `p.level` from a dict as well as an object).
Each case's text is kept in `tests/golden/prompts/NAME.CASE.txt`. For a file of macros the case
name is the macro's name, optionally followed by `--variant`; every macro needs at least one case.

A template with translatable messages is rendered in every shipped language too, kept in
`NAME.CASE.LANG.txt` (`errors.bad_language.zh-CN.txt`): the translations are reviewed like the English.

A new template without a context file fails here. Write the JSON, then regenerate the text with
`OKRBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/core/test_templates_golden.py` and read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jinja2 import nodes

from bot import i18n
from bot.render import environment

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "prompts"
GOLDEN = ROOT / "tests" / "golden" / "prompts"
UPDATE = os.environ.get("OKRBOT_UPDATE_GOLDEN") == "1"


def templates() -> list[str]:
    return sorted(p.stem for p in PROMPTS.glob("*.j2"))


def macros_of(name: str) -> list[str]:
    """The macros a template defines at its top level (not the private `_helpers`); empty for an ordinary one."""
    source = (PROMPTS / f"{name}.j2").read_text()
    return [m.name for m in environment().parse(source).find_all(nodes.Macro) if not m.name.startswith("_")]


def contexts(name: str) -> dict[str, dict]:
    path = GOLDEN / f"{name}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def translated(name: str) -> bool:
    """Whether the template says anything through the catalogs (`_(`, `ngettext(`, `{% trans`)."""
    source = (PROMPTS / f"{name}.j2").read_text()
    return any(call in source for call in ("_(", "gettext(", "{% trans"))


def cases() -> list[tuple[str, str]]:
    return [(name, case) for name in templates() for case in contexts(name)]


OTHER_LANGUAGES = [tag for tag, _name in i18n.languages() if tag != i18n.ENGLISH]


def translated_cases() -> list[tuple[str, str, str]]:
    return [(name, case, tag) for name, case in cases() if translated(name) for tag in OTHER_LANGUAGES]


def render_case(name: str, case: str, context: dict) -> str:
    if macros_of(name):
        module = environment().get_template(f"{name}.j2").make_module()
        return str(getattr(module, case.split("--")[0])(**context)).strip()
    return environment().get_template(f"{name}.j2").render(**context).strip()


@pytest.mark.parametrize("name", templates())
def test_every_template_has_golden_cases(name):
    found = contexts(name)
    assert found, f"prompts/{name}.j2 has no golden cases: write tests/golden/prompts/{name}.json (see this file)"
    macros = macros_of(name)
    if macros:
        covered = {case.split("--")[0] for case in found}
        assert not set(macros) - covered, f"macros of {name}.j2 without a golden case: {set(macros) - covered}"
        assert not covered - set(macros), f"cases of {name}.json name no macro: {covered - set(macros)}"


def check_golden(name: str, case: str, suffix: str = "") -> None:
    text = render_case(name, case, contexts(name)[case]) + "\n"
    golden = GOLDEN / f"{name}.{case}{suffix}.txt"
    if UPDATE:
        golden.write_text(text)
    assert golden.exists(), f"{golden.name} is missing: run with OKRBOT_UPDATE_GOLDEN=1"
    assert text == golden.read_text()


@pytest.mark.parametrize(("name", "case"), cases())
def test_template_renders_as_its_golden_file(name, case):
    check_golden(name, case)


@pytest.mark.parametrize(("name", "case", "language"), translated_cases())
def test_template_renders_in_each_language_as_its_golden_file(name, case, language):
    with i18n.speaking(language):
        check_golden(name, case, f".{language}")


def test_no_golden_file_is_left_without_its_case():
    wanted = {f"{name}.{case}.txt" for name, case in cases()}
    wanted |= {f"{name}.{case}.{language}.txt" for name, case, language in translated_cases()}
    orphans = sorted(p.name for p in GOLDEN.glob("*.txt") if p.name not in wanted)
    if UPDATE:
        for orphan in orphans:
            (GOLDEN / orphan).unlink()
        orphans = []
    assert not orphans, f"golden files of cases that no longer exist: {orphans}"
