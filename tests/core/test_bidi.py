"""A right-to-left override in someone's text never reorders what is printed after it, in any renderer.

`open_controls_at` follows the bidi algorithm's explicit levels (embeddings, overrides, isolates,
paragraph ends): at the position of the author's name, nothing the win opened may still be open.
Without `bot.bidi` the override in the win is open there and the name comes out reversed.
"""

from __future__ import annotations

import json

import pytest

from adapters.slack import blocks
from adapters.teams import cards
from adapters.web.html import environment
from bot.bidi import FSI, PDF, PDI, RLE, RLO, balance, isolate
from bot.model import Card, KeyResultLine, Text
from bot.render import render
from bot.serialize import card_to_dict
from okrbot.textcard import render_card

AUTHOR = "Ann Lee"
EVIL = f"shipped the API {RLO}and more"  # an override nobody closes


def open_controls_at(text: str, index: int) -> list[str]:
    """The explicit embeddings, overrides and isolates in effect at `index` (UAX #9, X1-X8)."""
    stack: list[str] = []
    for char in text[:index]:
        if char in "\n\r\u2029":
            stack = []
        elif char in "\u202a\u202b\u202d\u202e\u2066\u2067\u2068":
            stack.append(char)
        elif char == PDF and stack and stack[-1] not in "\u2066\u2067\u2068":
            stack.pop()
        elif char == PDI and any(c in "\u2066\u2067\u2068" for c in stack):
            while stack.pop() not in "\u2066\u2067\u2068":
                pass
    return stack


def assert_name_is_safe(output: str, name: str = AUTHOR) -> None:
    assert RLO in output, "the person's text is kept as written, only sealed"
    at = output.index(name)
    assert open_controls_at(output, at) == [], f"{name!r} is printed inside the win's override"


def win_card() -> Card:
    """The wrap-up's list of wins, through the real template, as every platform gets it."""
    return Card("Wins", (Text(render("wins_list", wins=[(AUTHOR, EVIL)])),), fallback="wins")


def test_the_unprotected_template_would_reverse_the_name():
    raw = f"• {EVIL} · _{AUTHOR}_"  # what the wins template printed before
    assert open_controls_at(raw, raw.index(AUTHOR)) == [RLO]


def test_slack_blocks():
    assert_name_is_safe(json.loads(json.dumps(blocks.message(win_card())))["blocks"][1]["text"]["text"])


def test_teams_adaptive_card():
    body = json.dumps(cards.render_card(win_card()), ensure_ascii=False)
    assert_name_is_safe(json.loads(body)["body"][1]["text"])


def test_sandbox_html():
    macros = environment().get_template("card.html.j2").make_module()
    assert_name_is_safe(str(macros.card(card_to_dict(win_card()))))


def test_terminal_text():
    assert_name_is_safe(render_card(win_card()))


def test_fields_straight_from_data_are_sealed():
    line = KeyResultLine(code="kr1", title=EVIL, confidence=5, colour="yellow", owner=AUTHOR)
    assert_name_is_safe(blocks.kr_text(line))


@pytest.mark.parametrize("text", [
    "plain words", "", "Größe 7 — ok", "50% · 55 / 70 %",
])
def test_ordinary_text_is_untouched(text):
    assert isolate(text) == text


def test_isolating_twice_adds_nothing_and_stray_closers_go():
    once = isolate(f"{PDI}{PDF}עברית {RLE}x")
    assert once == f"{FSI}עברית {RLE}x{PDF}{PDI}"
    assert isolate(once) == once
    assert balance(f"a{PDI}b{PDF}") == "ab"


def test_each_line_is_sealed_on_its_own():
    sealed = isolate(f"one {RLO}\ntwo")
    assert sealed == f"{FSI}one {RLO}{PDF}{PDI}\n{FSI}two{PDI}"
