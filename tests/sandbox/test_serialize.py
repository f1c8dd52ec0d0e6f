"""Cards and forms survive the trip through JSON unchanged (the sandbox stores every message that way)."""

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.model import Actions, Button, Card, Context, Divider, Fields, Form, FormField, KeyResultLine, Option, Text
from bot.serialize import card_from_dict, card_to_dict, form_from_dict, form_to_dict

words = st.text(max_size=30)
maybe = st.none() | words
buttons = st.builds(Button, words, words, words, st.sampled_from([None, "primary", "danger"]), maybe)
elements = st.one_of(
    st.builds(Text, words),
    st.builds(Context, words),
    st.builds(Divider),
    st.builds(Fields, st.lists(st.tuples(words, words), max_size=3).map(tuple)),
    st.builds(Actions, st.lists(buttons, max_size=3).map(tuple)),
    st.builds(
        KeyResultLine, words, words, st.integers(1, 10), st.sampled_from(["red", "yellow", "green"]),
        st.none() | st.integers(-9, 9), st.lists(st.integers(1, 10), max_size=5).map(tuple), st.booleans(),
        maybe, maybe, maybe,
    ),
)
cards = st.builds(Card, maybe, st.lists(elements, max_size=6).map(tuple), words, st.sampled_from(["en", "zh-CN", "es"]))
options = st.lists(st.builds(Option, words, words), max_size=3).map(tuple)
form_fields = st.builds(
    FormField, words, words, st.sampled_from(["text", "multiline", "number", "select"]), options, maybe,
    st.booleans(), maybe, st.none() | st.integers(1, 3000),
)
forms = st.builds(Form, words, words, st.lists(form_fields, max_size=4).map(tuple), words, maybe, words)


@given(cards)
def test_card_round_trips_through_json(card):
    assert card_from_dict(json.loads(json.dumps(card_to_dict(card)))) == card


@given(forms)
def test_form_round_trips_through_json(form):
    assert form_from_dict(json.loads(json.dumps(form_to_dict(form)))) == form


def test_unknown_element_is_refused_not_guessed():
    import pytest

    with pytest.raises(ValueError, match="Gadget"):
        card_from_dict({"title": None, "elements": [{"type": "Gadget"}]})
