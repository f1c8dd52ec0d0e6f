"""The import file's problems are said in the language being spoken (prompts/import_errors.j2), each still naming
its line and field: `okrbot import` speaks OKRBOT_LANGUAGE, `/okr source` the person's language."""

from __future__ import annotations

import pytest

from bot import i18n
from bot.importer import ImportFailed, import_text, load
from storage.db import transaction
from tests.conftest import EXAMPLE


def _refusal(sessions, clock, text: str, language: str) -> list[str]:
    with i18n.speaking(language), transaction(sessions) as s, pytest.raises(ImportFailed) as failed:
        import_text(s, text, clock.now())
    return failed.value.errors


@pytest.mark.parametrize("language, expected", [
    ("en", "line 36: teams[1].parent: 'retial' is not a team key"),
    ("es", "línea 36: teams[1].parent: 'retial' no es la clave de un equipo"),
    ("zh-CN", "第 36 行：teams[1].parent：'retial' 不是团队的键"),
])
def test_a_bad_reference_is_said_in_the_language_with_its_line_and_field(sessions, clock, language, expected):
    text = EXAMPLE.read_text().replace("parent: retail", "parent: retial", 1)
    assert _refusal(sessions, clock, text, language) == [expected]


def test_every_problem_of_a_file_is_translated_and_keeps_its_values(sessions, clock):
    text = (EXAMPLE.read_text().replace("level: team", "level: squad", 1)
            .replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghia", 1))
    errors = _refusal(sessions, clock, text, "es")
    assert any("organization.timezone: 'Asia/Shanghia' no es una zona horaria IANA" in e for e in errors), errors
    assert any("level: es 'squad'; se esperaba uno de company" in e for e in errors), errors
    assert all(e.startswith("línea ") for e in errors), errors


def test_yaml_that_does_not_parse_is_said_in_the_language(tmp_path):
    with i18n.speaking("zh-CN"), pytest.raises(ImportFailed) as failed:
        load("version: [1\n")
    (error,) = failed.value.errors
    assert error.startswith("第 2 行：这不是有效的 YAML（"), error
