"""The command line speaks OKRBOT_LANGUAGE (README: Languages): its help, known before parsing, and its messages to
the administrator, from prompts/cli.j2 and prompts/cli_help.j2; English when it is unset."""

from __future__ import annotations

import pytest

from okrbot.cli import main
from tests.cli.helpers import okrbot


@pytest.mark.parametrize("language, expected", [
    (None, "Run the weekly OKR rituals in Slack and Microsoft Teams."),
    ("es", "Lleva los rituales semanales de OKR en Slack y Microsoft Teams."),
    ("zh-CN", "在 Slack 和 Microsoft Teams 中运行每周的 OKR 例行活动。"),
])
def test_help_speaks_okrbot_language(monkeypatch, capsys, language, expected):
    if language is None:
        monkeypatch.delenv("OKRBOT_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("OKRBOT_LANGUAGE", language)
    with pytest.raises(SystemExit):
        main(["--help"])
    assert expected in capsys.readouterr().out


def test_a_message_to_the_administrator_speaks_it(monkeypatch, capsys, tmp_path, database_url):
    monkeypatch.setenv("OKRBOT_LANGUAGE", "zh-CN")
    code, _out, err = okrbot(monkeypatch, capsys, database_url, "export", "--checkins", "--format", "yaml")
    assert code == 2 and err.startswith("--checkins 以 CSV 写出更新历史"), err
