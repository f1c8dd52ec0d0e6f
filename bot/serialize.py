"""Cards, Forms and Interactions as plain dicts, so they can be stored as JSON (the sandbox keeps every
message in SQL; a slash command acknowledged before it was done is kept in the inbox).

Lossless both ways: `card_from_dict(card_to_dict(card)) == card`. Each element carries its type
name, so a stored card can be drawn again after a restart by any renderer.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, get_args

from bot import i18n
from bot.model import (
    Actions,
    Button,
    Card,
    Element,
    Fields,
    Form,
    FormField,
    Interaction,
    KeyResultLine,
    Option,
)

ELEMENTS: dict[str, type] = {cls.__name__: cls for cls in get_args(Element)}


def element_to_dict(element: Element) -> dict[str, Any]:
    return {"type": type(element).__name__, **asdict(element)}


def element_from_dict(data: dict[str, Any]) -> Element:
    kind = data.get("type")
    cls = ELEMENTS.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown card element type {kind!r}")
    values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
    if cls is Fields:
        values["items"] = tuple((str(k), str(v)) for k, v in values.get("items", ()))
    elif cls is Actions:
        values["buttons"] = tuple(Button(**b) for b in values.get("buttons", ()))
    elif cls is KeyResultLine:
        values["trend"] = tuple(values.get("trend", ()))
    return cls(**values)


def card_to_dict(card: Card) -> dict[str, Any]:
    return {
        "title": card.title,
        "elements": [element_to_dict(e) for e in card.elements],
        "fallback": card.fallback,
        "language": card.language,
    }


def card_from_dict(data: dict[str, Any]) -> Card:
    return Card(
        title=data.get("title"),
        elements=tuple(element_from_dict(e) for e in data.get("elements", ())),
        fallback=data.get("fallback", ""),
        language=data.get("language") or i18n.ENGLISH,
    )


def form_to_dict(form: Form) -> dict[str, Any]:
    return asdict(form)


def form_from_dict(data: dict[str, Any]) -> Form:
    values = {f.name: data[f.name] for f in fields(Form) if f.name in data}
    values["fields"] = tuple(
        FormField(**{**field, "options": tuple(Option(**o) for o in field.get("options", ()))})
        for field in data.get("fields", ())
    )
    return Form(**values)


def interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    """An Interaction as JSON, kept while the work it asks for is not done yet (bot.inbox)."""
    return {**asdict(interaction), "form": dict(interaction.form)}


def interaction_from_dict(data: dict[str, Any]) -> Interaction:
    return Interaction(**{f.name: data[f.name] for f in fields(Interaction) if f.name in data})
