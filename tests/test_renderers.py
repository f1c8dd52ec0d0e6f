"""Every card and form of tests/corpus.py drawn by every renderer, against golden files; and every card
element type handled by every renderer, an unknown one refused loudly by each.

The four renderers: Block Kit (adapters/slack/blocks.py), Adaptive Cards (adapters/teams/cards.py), plain
text for the terminal (okrbot/textcard.py) and HTML for the sandbox and dashboard (adapters/web/html.py).
The terminal shows no forms, so forms have three. Golden files: tests/golden/cards/NAME.RENDERER.EXT;
regenerate after an intended change with OKRBOT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest

from adapters.slack import blocks
from adapters.teams import cards
from adapters.web import html
from bot.model import Card, Element, Text
from okrbot import textcard
from tests.corpus import CARDS, FORMS
from tests.golden_file import assert_golden
from tests.teams.conftest import assert_valid

GOLDEN = Path(__file__).parent / "golden" / "cards"


def _json(payload: object) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _slack_form(form, values, errors) -> dict:
    view = blocks.modal_view(form, "m")
    return {"view": view, "errors": blocks.view_errors(dict(errors or {}), view)}


CARD_RENDERERS = {
    "slack.json": lambda card: _json(blocks.message(card)),
    "teams.json": lambda card: _json(cards.render_card(card)),
    "txt": textcard.render_card,
    "html": html.card_html,
}
FORM_RENDERERS = {
    "slack.json": lambda form, values, errors: _json(_slack_form(form, values, errors)),
    "teams.json": lambda form, values, errors: _json(cards.render_form(form, values, errors)),
    "html": html.form_html,
}


@pytest.mark.parametrize("renderer", CARD_RENDERERS)
@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_golden(name, renderer):
    assert_golden(GOLDEN / f"{name}.{renderer}", CARD_RENDERERS[renderer](CARDS[name]))


@pytest.mark.parametrize("renderer", FORM_RENDERERS)
@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_golden(name, renderer):
    assert_golden(GOLDEN / f"form_{name}.{renderer}", FORM_RENDERERS[renderer](*FORMS[name]))


@pytest.mark.parametrize("name", sorted(CARDS))
def test_every_adaptive_card_of_the_corpus_is_valid(name):
    assert_valid(cards.render_card(CARDS[name]))


def test_the_corpus_holds_every_element_type():
    used = {type(element) for card in CARDS.values() for element in card.elements}
    assert used == set(get_args(Element))


@pytest.mark.parametrize("renderer", CARD_RENDERERS)
@pytest.mark.parametrize("kind", get_args(Element), ids=lambda kind: kind.__name__)
def test_every_renderer_draws_every_element_type(kind, renderer):
    element = next(e for card in CARDS.values() for e in card.elements if type(e) is kind)
    assert CARD_RENDERERS[renderer](Card("Title", (Text("before"), element, Text("after"))))


@dataclass(frozen=True)
class Marquee:
    """A card element type no renderer knows."""

    text: str = "scrolling"


@pytest.mark.parametrize("renderer", CARD_RENDERERS)
def test_an_unknown_element_fails_loudly_in_every_renderer(renderer):
    card = Card("Title", (Text("before"), Marquee(), Text("after")))  # type: ignore[arg-type]
    with pytest.raises((AssertionError, TypeError), match="Marquee|unreachable"):
        CARD_RENDERERS[renderer](card)
