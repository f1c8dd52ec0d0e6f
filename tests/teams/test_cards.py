"""Card/Form -> Adaptive Card: golden files, the Adaptive Card 1.5 schema, and literal user text.

Regenerate the golden files after an intended change with OKRBOT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.teams.cards import render_card, render_form
from adapters.teams.markdown import escape, to_teams
from tests import corpus
from tests.golden_file import assert_golden
from tests.teams.conftest import VALIDATOR, assert_valid

GOLDEN = Path(__file__).parent / "golden"


CARDS = {name: corpus.CARDS[name] for name in ("text_only", "everything", "user_text", "empty")}
FORMS = {name: corpus.FORMS[name] for name in ("form", "form_errors")}


def _golden(name: str, rendered: dict) -> None:
    assert_golden(GOLDEN / f"{name}.json", json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", sorted(CARDS))
def test_cards_match_golden_and_schema(name):
    rendered = render_card(CARDS[name])
    assert_valid(rendered)
    _golden(f"card_{name}", rendered)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_forms_match_golden_and_schema(name):
    form, values, errors = FORMS[name]
    rendered = render_form(form, values, errors)
    assert_valid(rendered)
    _golden(name, rendered)


def test_errors_sit_right_under_their_field_and_values_are_kept():
    form, values, errors = FORMS["form_errors"]
    body = render_form(form, values, errors)["body"]
    ids = [item.get("id") for item in body]
    after = body[ids.index("value:6") + 1]
    assert after["color"] == "Attention" and "forty" in after["text"]
    assert body[ids.index("confidence:6")]["value"] == "7"
    assert "value" not in body[ids.index("value:6")]  # "forty" is no number: the field starts empty again
    assert body[-1]["text"] == "Something else went wrong."


def test_the_schema_check_can_fail():
    broken = render_card(CARDS["text_only"])
    broken["body"].append({"type": "TextBlock", "text": "x", "colour": "red"})
    assert list(VALIDATOR.iter_errors(broken))
    broken = render_card(CARDS["text_only"])
    broken["body"].append({"type": "Marquee", "text": "x"})
    assert list(VALIDATOR.iter_errors(broken))


@pytest.mark.parametrize("subset,teams", [
    ("*bold* and _italic_", "**bold** and _italic_"),
    ("line one\nline two", "line one\n\nline two"),
    ("• P1 ship it", "• P1 ship it"),
    ("use `@okrbot mine`", "use `@okrbot mine`"),
    ("2*3*4 snake_case_name", "2\\*3\\*4 snake\\_case\\_name"),
    ("[x](http://y)", "\\[x\\](http://y)"),
    ("Median CI build time (minutes)", "Median CI build time (minutes)"),
    ("- not a list\n1. not a list", "\\- not a list\n\n1\\. not a list"),
    ("# not a heading > not a quote | ~x~ <b>!", "# not a heading > not a quote | ~x~ <b>!"),
    ("*bold [link](u)*", "**bold \\[link\\](u)**"),
])
def test_markdown_subset_to_teams(subset, teams):
    assert to_teams(subset) == teams


def test_escape_is_literal_for_every_markdown_character():
    """Only what TextBlock markdown means is escaped; the rest stays as typed (no stray backslashes)."""
    assert escape("\\*_[]`") == "\\\\\\*\\_\\[\\]\\`"
    assert escape("()~>#|{}!<") == "()~>#|{}!<"
