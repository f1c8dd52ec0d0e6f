"""Card and Form -> Adaptive Card 1.5 JSON: pure functions, no SDK, golden-tested.

Buttons are `Action.Submit` with `msteams.type = task/fetch`, so a click arrives as a `task/fetch`
invoke: the core's answer can open a dialog (a Form) or show a card, whatever the button does.
A form's submit button carries the form itself (`okrbot.form`), so a refused submit is drawn again,
pure, with the person's values kept and each error right under its field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, assert_never

from adapters.teams.markdown import escape, to_teams
from bot import i18n
from bot.cards import flagged_words
from bot.markup import plain
from bot.model import (
    Actions,
    Button,
    Card,
    Context,
    Divider,
    Element,
    Fields,
    Form,
    FormField,
    KeyResultLine,
    Text,
)
from bot.render import card_words
from bot.serialize import form_to_dict

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
COLOURS = {"green": "Good", "yellow": "Warning", "red": "Attention"}
STYLES = {"primary": "positive", "danger": "destructive"}
DATA_KEY = "okrbot"  # our part of Action.Submit data, beside Teams' own "msteams"


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": content}


def _card(body: list[dict[str, Any]], fallback: str, actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    if fallback:
        card["fallbackText"] = fallback
    return card


def _text(markdown: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": to_teams(markdown) or " ", "wrap": True, **style}


def _title(title: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(title), "wrap": True, "size": "Medium", "weight": "Bolder"}


# ------------------------------------------------------------------ cards


def button_action(button: Button) -> dict[str, Any]:
    action: dict[str, Any]
    if button.url:
        action = {"type": "Action.OpenUrl", "title": button.label, "url": button.url}
    else:
        action = {
            "type": "Action.Submit",
            "title": button.label,
            "data": {"msteams": {"type": "task/fetch"}, DATA_KEY: {"action": button.action_id, "value": button.value}},
        }
    if button.style:
        action["style"] = STYLES[button.style]
    return action


def _trend(line: KeyResultLine) -> str:
    parts: list[str] = []
    if line.progress:
        parts.append(line.progress)
    if line.delta:
        parts.append(card_words("since_last_week", delta=line.delta))
    if len(line.trend) > 1:
        parts.append(" → ".join(str(value) for value in line.trend))
    if line.owner:
        parts.append(line.owner)
    if line.level:
        parts.append(line.level)
    text = " · ".join(parts)
    if line.flagged:
        text = f"⚠ {flagged_words()} · {text}" if text else f"⚠ {flagged_words()}"
    return text


def _linked(text: str, url: str | None) -> str:
    """A markdown link Teams draws in a TextBlock: the key result's code opens its dashboard page."""
    return f"[{text}]({url})" if url else text


def key_result(line: KeyResultLine) -> dict[str, Any]:
    badge = {
        "type": "TextBlock",
        "text": f"{line.confidence}/10",
        "weight": "Bolder",
        "size": "Medium",
        "color": COLOURS[line.colour],
    }
    details: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"**{_linked(escape(line.code), line.url)}** {escape(line.title)}", "wrap": True}
    ]
    trend = _trend(line)
    if trend:
        details.append({"type": "TextBlock", "text": escape(trend), "wrap": True, "isSubtle": True,
                        "size": "Small", "spacing": "None"})
    return {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "auto", "items": [badge], "verticalContentAlignment": "Center"},
            {"type": "Column", "width": "stretch", "items": details},
        ],
    }


def element(item: Element) -> dict[str, Any] | None:
    """An element as one body item; None for a Divider, drawn as the next item's separator. Every element
    type of bot.model has a case, an unknown one raises."""
    match item:
        case Text(markdown):
            return _text(markdown)
        case Context(markdown):
            return _text(markdown, isSubtle=True, size="Small")
        case Fields(pairs):
            return {"type": "FactSet", "facts": [{"title": to_teams(k) or " ", "value": to_teams(v) or " "}
                                                 for k, v in pairs]}
        case KeyResultLine():
            return key_result(item)
        case Actions(buttons):
            return {"type": "ActionSet", "actions": [button_action(b) for b in buttons]}
        case Divider():
            return None
        case _:
            assert_never(item)


def render_card(card: Card) -> dict[str, Any]:
    """A core Card as an Adaptive Card, its own words (card_words) in the card's language; a Divider becomes a
    separator line above what follows."""
    with i18n.speaking(card.language):
        return _render_card(card)


def _render_card(card: Card) -> dict[str, Any]:
    # A title is card markdown too; it is drawn bold as a whole, so its own markers are dropped (as in Slack).
    body: list[dict[str, Any]] = [_title(plain(card.title))] if card.title else []
    separate = False
    for item in card.elements:
        drawn = element(item)
        if drawn is None:
            separate = bool(body)
            continue
        if separate:
            drawn["separator"] = True
            separate = False
        body.append(drawn)
    if not body:
        body.append(_text(card.fallback or " "))
    return _card(body, card.fallback)


# ------------------------------------------------------------------ forms


def _number(value: str | None) -> float | int | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return int(number) if number is not None and number.is_integer() else number


def form_input(field: FormField, value: str | None) -> dict[str, Any]:
    common: dict[str, Any] = {"id": field.name, "label": field.label, "isRequired": not field.optional}
    if field.choice:
        drawn = {"type": "Input.ChoiceSet", **common, "style": "compact",
                 "choices": [{"title": o.label, "value": o.value} for o in field.options]}
        if value is not None:
            drawn["value"] = value
        return drawn
    if field.kind == "number":
        drawn = {"type": "Input.Number", **common}
        number = _number(value)
        if number is not None:
            drawn["value"] = number
    else:
        drawn = {"type": "Input.Text", **common}
        if field.kind == "multiline":
            drawn["isMultiline"] = True
        if field.max_length:
            drawn["maxLength"] = field.max_length
        if value is not None:
            drawn["value"] = value
    if field.hint:
        drawn["placeholder"] = field.hint
    return drawn


def render_form(
    form: Form, values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """A Form as an Adaptive Card; with `errors`, each message sits right under its field. `token` comes
    back with the submit: the same token twice is the same form sent twice (bot.inbox stores it once)."""
    values = values or {}
    errors = errors or {}
    body: list[dict[str, Any]] = [_title(form.title)]
    if form.intro:
        body.append(_text(form.intro))
    for field in form.fields:
        body.append(form_input(field, values.get(field.name, field.initial)))
        if field.hint and field.choice:
            body.append({"type": "TextBlock", "text": escape(field.hint), "wrap": True, "isSubtle": True,
                         "size": "Small", "spacing": "None"})  # plain text, like every field's hint
        if field.name in errors:
            body.append(_text(errors[field.name], color="Attention", size="Small", spacing="None"))
    stray = [message for name, message in errors.items() if name not in {f.name for f in form.fields}]
    for message in stray:
        body.append(_text(message, color="Attention"))
    submit = {
        "type": "Action.Submit",
        "title": form.submit_label,
        "style": "positive",
        "data": {DATA_KEY: {"form": json.loads(json.dumps(form_to_dict(form)))}},  # JSON types only
    }
    if token:
        submit["data"][DATA_KEY]["token"] = token
    return _card(body, form.title, [submit])
