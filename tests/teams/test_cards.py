"""Card/Form -> Adaptive Card: golden files, the Adaptive Card 1.5 schema, and literal user text.

Regenerate the golden files after an intended change with OKRBOT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adapters.teams.cards import render_card, render_form
from adapters.teams.markdown import escape, to_teams
from bot.model import (
    Actions,
    Button,
    Card,
    Context,
    Divider,
    Fields,
    Form,
    FormField,
    KeyResultLine,
    Option,
    Text,
)
from tests.teams.conftest import VALIDATOR, assert_valid

GOLDEN = Path(__file__).parent / "golden"


LINE = KeyResultLine("rd-o1-kr3", "Average delivery time for requests", 4, "yellow", delta=-3, trend=(7, 7, 4),
                     flagged=True, progress="41 / 32 days", owner="Zhou Qiang", level="team",
                     url="https://okr.example.com/kr/rd-o1-kr3?org=1")
CARDS = {
    "text_only": Card(None, (Text("Saved *2* check-ins."),), fallback="Saved 2 check-ins."),
    "everything": Card(
        "R&D Efficiency · week 2026-W47",
        (
            Text("*Priorities*\n• P1 ship the _new_ pipeline\n• P2 hire `two` seniors"),
            Divider(),
            Fields((("Confidence", "*7*/10"), ("Owner", "Zhao Lei"))),
            LINE,
            KeyResultLine("rd-o1-kr4", "Automated test coverage", 9, "green"),
            KeyResultLine("hr-o1-kr1", "Senior hires accepted", 2, "red", delta=1),
            Divider(),
            Actions((Button("Check in", "checkin_open", style="primary"), Button("Drop", "priority_drop", "12",
                     style="danger"), Button("Dashboard", "dashboard", url="https://okr.example.com/d"))),
            Context("Posted by okrbot · reply in this thread with your wins"),
        ),
        fallback="R&D Efficiency four-square",
    ),
    "user_text": Card(None, (Text("🎉 *Win* from Zhou Qiang: [click](http://evil.example) # 1 <at>all</at> 2 * 3 _x"),),
                      fallback="win"),
    "empty": Card("Nothing yet"),
}
FORM = Form(
    "checkin", "Weekly check-in",
    (
        FormField("confidence:6", "rd-o1-kr3 · Average delivery time", "select",
                  tuple(Option(str(n), str(n)) for n in range(10, 0, -1)), "5", hint="1 = no chance, 10 = sure"),
        FormField("value:6", "New value (days)", "number", optional=True, hint="now 45, target 32"),
        FormField("note:6", "What changed?", "text", optional=True, max_length=500),
        FormField("story", "The story", "multiline", optional=True),
    ),
    "Save check-in", intro="How confident are you *this week*?", metadata="7",
)
FORMS = {
    "form": (FORM, None, None),
    "form_errors": (FORM, {"confidence:6": "7", "value:6": "forty", "note:6": "x"},
                    {"value:6": "`forty` is not a number: type a plain number like 62 or 62.5.",
                     "elsewhere": "Something else went wrong."}),
}


def _golden(name: str, rendered: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("OKRBOT_UPDATE_GOLDEN") or os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing; OKRBOT_UPDATE_GOLDEN=1 writes it"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; OKRBOT_UPDATE_GOLDEN=1 to accept"


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
