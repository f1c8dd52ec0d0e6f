"""The dashboard's CPU per page, held by what it counts rather than by time (the host is shared): a page
makes each macro file of prompts/ into a template module at most once per process, not once per word
it draws (about 170 times a team page did, most of a 1.4-1.7x CPU regression in bench/dashboard.py),
and lexes a line of card markdown once however often the line is drawn."""

from __future__ import annotations

import pytest
from jinja2.environment import Template

from bot import markup


@pytest.fixture
def modules_made(monkeypatch):
    made: list[str] = []
    original = Template.make_module

    def counting(self, *args, **kwargs):
        made.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Template, "make_module", counting)  # jinja2's, counted; nothing of okrbot's replaced
    return made


async def test_a_team_page_makes_no_template_module_per_word(client, modules_made):
    await client.get("/?team=rd-efficiency")  # the first page may make each macro file's module once
    modules_made.clear()
    for _ in range(3):
        response = await client.get("/?team=rd-efficiency")
        assert response.status == 200
    assert len(modules_made) <= 3, sorted(set(modules_made))  # the page's own, not one per card word


def test_a_line_is_lexed_once_and_a_plain_one_not_at_all():
    markup.parse_line.cache_clear()
    line = "Cut *build* times with `make` at https://ci.example"
    assert markup.parse(line) == markup.parse(line)
    assert markup.parse_line.cache_info().hits >= 1
    assert markup.parse_line("plain words, no markers") == markup.Line((markup.Plain("plain words, no markers"),))
    assert markup.parse_line("") == markup.Line(())


@pytest.fixture
def macros_called(monkeypatch):
    """Every call of a card_words.j2 macro (jinja2's Macro, counted; nothing of okrbot's replaced)."""
    from jinja2.runtime import Macro

    called: list[str] = []
    original = Macro.__call__

    def counting(self, *args, **kwargs):
        called.append(self.name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Macro, "__call__", counting)
    return called


async def test_a_team_page_draws_the_same_card_words_once(client, macros_called):
    await client.get("/?team=rd-efficiency")  # the first page draws each word it needs
    macros_called.clear()
    response = await client.get("/?team=rd-efficiency")
    assert response.status == 200
    words = {"colour_word", "trend_chart", "since_last_week", "flagged"}  # card_words.j2's ("badge": the page's too)
    assert [name for name in macros_called if name in words] == []  # the same words again: none redrawn
