"""Block Kit rendering: golden files, escaping, and Slack's limits for any input.

Regenerate the golden files after an intended change with OKRBOT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import blocks
from bot.model import (
    Actions,
    Button,
    Card,
    Form,
    FormField,
    Option,
    Text,
)
from tests import corpus
from tests.golden_file import assert_golden

GOLDEN = Path(__file__).parent / "golden"

CARDS = {name: corpus.CARDS[name] for name in ("checkin_done", "home", "hostile_text")}
FORMS = {"checkin": corpus.FORMS["checkin"][0]}


def _golden(name: str, payload) -> None:
    assert_golden(GOLDEN / f"{name}.json", blocks.dumps(payload) + "\n")


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_golden(name):
    _golden(f"card_{name}", blocks.message(CARDS[name]))


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_golden(name):
    _golden(f"form_{name}", blocks.modal_view(FORMS[name], '{"m":"7"}'))


def _mrkdwn_texts(payload) -> list[str]:
    found = []
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn":
            found.append(payload["text"])
        for value in payload.values():
            found.extend(_mrkdwn_texts(value))
    elif isinstance(payload, list):
        for value in payload:
            found.extend(_mrkdwn_texts(value))
    return found


def test_hostile_text_pings_nobody():
    message = blocks.message(CARDS["hostile_text"])
    for text in _mrkdwn_texts(message) + [message["text"]]:
        assert "<" not in text and ">" not in text
    assert message["blocks"][0]["text"]["text"] == "<!channel> & friends"  # plain_text: shown, never parsed


def test_duplicate_action_ids_are_made_unique_and_map_back():
    actions = blocks.message(CARDS["home"])["blocks"][-1]["elements"]
    ids = [e["action_id"] for e in actions]
    assert ids == ["checkin_open", "priority_done", "priority_done#1", "url:dashboard"]
    assert [blocks.action_name(i) for i in ids[:3]] == ["checkin_open", "priority_done", "priority_done"]


card_text = st.text(alphabet=st.sampled_from(list("ab <>&*_\n!@#") + ["é", "😀"]), max_size=9000)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(card_text, max_size=70), title=card_text, labels=st.lists(card_text, max_size=30))
def test_any_card_fits_slacks_limits(texts, title, labels):
    buttons = tuple(Button(label or "x", "a", label[:3000]) for label in labels)
    card = Card(title or None, tuple(Text(t) for t in texts) + (Actions(buttons),) if buttons else
                tuple(Text(t) for t in texts))
    for limit in (blocks.MESSAGE_BLOCKS, blocks.VIEW_BLOCKS):
        rendered = blocks.card_blocks(card, limit)
        assert len(rendered) <= limit
        for block in rendered:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= blocks.HEADER_TEXT
            if block["type"] == "section":
                assert 0 < len(block["text"]["text"]) <= blocks.SECTION_TEXT
            if block["type"] == "actions":
                assert len(block["elements"]) <= blocks.ELEMENTS_PER_ACTIONS
                assert len({e["action_id"] for e in block["elements"]}) == len(block["elements"])
                for element in block["elements"]:
                    assert len(element["text"]["text"]) <= blocks.BUTTON_TEXT
                    assert len(element.get("value", "")) <= blocks.BUTTON_VALUE
        for text in _mrkdwn_texts(rendered):
            assert "<" not in text and ">" not in text and not text.endswith("&am…")
    if buttons:
        assert blocks.card_blocks(card)[-1]["type"] == "actions"  # the buttons survive a cut


def test_long_text_is_split_at_line_breaks_not_lost():
    lines = [f"line {n} " + "x" * 80 for n in range(100)]
    rendered = blocks.card_blocks(Card(None, (Text("\n".join(lines)),)))
    joined = "\n".join(b["text"]["text"] for b in rendered)
    assert len(rendered) > 1 and all(line in joined for line in lines)


@settings(max_examples=40, deadline=None)
@given(labels=st.lists(card_text, min_size=1, max_size=140), title=card_text, options=st.lists(card_text, max_size=130))
def test_any_form_fits_a_modal(labels, title, options):
    choice = tuple(Option(o or "x", o[:500] or "x") for o in options)
    fields = tuple(FormField(f"f:{n}", label or "x", "select" if choice and n % 2 else "text", choice,
                             max_length=9000, initial=label) for n, label in enumerate(labels))
    view = blocks.modal_view(Form("f", title or "t", fields, submit_label=title or "Save", intro=title), "m" * 4000)
    assert len(view["blocks"]) <= blocks.VIEW_BLOCKS
    assert len(view["title"]["text"]) <= blocks.MODAL_TITLE and len(view["submit"]["text"]) <= blocks.MODAL_BUTTON
    assert len(view["private_metadata"]) <= blocks.PRIVATE_METADATA
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        assert len(block["label"]["text"]) <= blocks.LABEL_TEXT
        element = block["element"]
        if element["type"] == "static_select":
            assert len(element["options"]) <= blocks.OPTIONS_PER_SELECT
            assert all(len(o["text"]["text"]) <= blocks.OPTION_TEXT for o in element["options"])
            assert all(len(o["value"]) <= blocks.OPTION_VALUE for o in element["options"])
        else:
            assert element["max_length"] <= blocks.INPUT_MAX_LENGTH
            assert len(element.get("initial_value", "")) <= element["max_length"]


def test_submitted_values_are_flattened_and_errors_land_on_real_blocks():
    values = {"confidence:7": {"confidence:7": {"type": "static_select", "selected_option": {"value": "8"}}},
              "note:7": {"note:7": {"type": "plain_text_input", "value": None}}}
    assert blocks.submitted_values(values) == {"confidence:7": "8", "note:7": ""}
    view = blocks.modal_view(FORMS["checkin"])
    assert blocks.view_errors({"value:7": "not a number", "text": "too many"}, view) == {
        "value:7": "not a number", "confidence:7": "too many"}
