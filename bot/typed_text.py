"""The one rule for a form's free-text field: trimmed, required, at most `limit` characters."""

from __future__ import annotations

from bot.model import Interaction, Reply
from bot.render import render


def typed_text(interaction: Interaction, field: str, required: str, limit: int) -> tuple[str, Reply | None]:
    """The field's text, or the Reply that sends the form back with the error by the field.

    `required` is the already-rendered message for an empty field: each form words it for what it asks.
    """
    text = (interaction.form.get(field) or "").strip()
    if not text:
        return text, Reply(errors={field: required})
    if len(text) > limit:
        return text, Reply(errors={field: render("field_too_long", limit=limit)})
    return text, None
