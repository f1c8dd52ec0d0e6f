"""Card -> Block Kit and Form -> modal view: pure functions, inside Slack's limits.

Every piece of card text is escaped (`&`, `<`, `>`) before it becomes mrkdwn, so a win or a note
that contains `<!channel>`, `<!here>` or `<@U123>` pings nobody. Plain-text objects (headers, button
labels, modal labels) are not parsed by Slack, so they are only clipped. When a card is bigger than
a message may be, long text is split into several sections and surplus blocks give way to one
"more not shown" line: the person sees a shorter message, never a rejected one.
"""

from __future__ import annotations

import json
import re
from typing import Any, assert_never

from bot.markup import Style, draw, parse
from bot.markup import plain as plain_text
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
from bot.render import render

# Slack's documented limits (api.slack.com/reference/block-kit).
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and the App Home tab
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
ELEMENTS_PER_ACTIONS = 25
CONTEXT_TEXT = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS_PER_SELECT = 100
MODAL_TITLE = 24
MODAL_BUTTON = 24
LABEL_TEXT = 2000
HINT_TEXT = 2000
INPUT_MAX_LENGTH = 3000
PRIVATE_METADATA = 3000
FALLBACK_TEXT = 3000

BADGE = {"red": "🔴", "yellow": "🟡", "green": "🟢"}
SPARKS = "▁▂▃▄▅▆▇█"
LINK_PREFIX = "url:"  # link buttons: Slack still sends a click, which is not an action for the core
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


# ---------------------------------------------------------------- text


def escape(text: str) -> str:
    """Slack's three control characters; the rest of the markdown subset is Slack mrkdwn already."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MRKDWN = Style(text=escape, code=lambda text: f"`{escape(text)}`", link=escape, strong=("*", "*"), emphasis=("_", "_"))


def card_mrkdwn(markdown: str) -> str:
    """Card markdown as mrkdwn: bot.markup reads it as Slack does, so this is `escape(markdown)`."""
    return "\n".join(draw(parse(markdown), MRKDWN))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut, never half an escape entity."""
    if len(text) <= limit:
        return text
    head = _ENTITY_TAIL.sub("", text[: limit - 1])
    return head + "…"


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line breaks, else spaces, never inside an entity."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = len(_ENTITY_TAIL.sub("", text[:limit]))
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    if text:
        pieces.append(text)
    return pieces


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def sections(markdown: str) -> list[dict[str, Any]]:
    """Card markdown as sections, long text split where Slack's limit would refuse it."""
    return [{"type": "section", "text": mrkdwn(part)} for part in split(card_mrkdwn(markdown), SECTION_TEXT)]


# ---------------------------------------------------------------- cards


def badge(confidence: int, colour: str) -> str:
    """Colour and number together: the colour is never the only signal."""
    return f"{BADGE.get(colour, '⚪')} *{confidence}/10*"


def sparkline(trend: tuple[int, ...]) -> str:
    return "".join(SPARKS[max(0, min(9, value - 1)) * (len(SPARKS) - 1) // 9] for value in trend)


def kr_text(line: KeyResultLine) -> str:
    head = [badge(line.confidence, line.colour)]
    if line.delta:
        head.append(f"{'▲' if line.delta > 0 else '▼'}{abs(line.delta)}")
    if line.flagged:
        head.append("⚠️")
    code = f"<{line.url}|{escape(line.code)}>" if line.url else escape(line.code)
    head.append(f"*{code}* {escape(line.title)}")
    details = [escape(part) for part in (line.progress, line.owner, line.level) if part]
    if line.trend:
        details.append(f"{sparkline(line.trend)} {' → '.join(str(v) for v in line.trend)}")
    text = " ".join(head)
    return f"{text}\n{' · '.join(details)}" if details else text


def _buttons(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """Action ids must be unique in a block: repeats get a "#n" suffix that `action_name` strips."""
    seen: dict[str, int] = {}
    elements = []
    for button in buttons:
        action_id = LINK_PREFIX + button.action_id if button.url else button.action_id
        count = seen.get(action_id, 0)
        seen[action_id] = count + 1
        unique = action_id if count == 0 else f"{action_id}#{count}"
        element: dict[str, Any] = {
            "type": "button",
            "text": plain(button.label, BUTTON_TEXT),
            "action_id": unique[:ACTION_ID],
        }
        if button.value:
            element["value"] = button.value[:BUTTON_VALUE]
        if button.style:
            element["style"] = button.style
        if button.url:
            element["url"] = button.url
        elements.append(element)
    return elements


def action_name(action_id: str) -> str:
    """The core's action id behind a rendered one."""
    return action_id.split("#", 1)[0]


def element_blocks(element: Element) -> list[dict[str, Any]]:
    """An element's blocks; every element type of bot.model has a case, an unknown one raises."""
    match element:
        case Text(markdown):
            return sections(markdown)
        case Context(markdown):
            return [{"type": "context", "elements": [mrkdwn(card_mrkdwn(markdown), CONTEXT_TEXT)]}]
        case KeyResultLine():
            return [{"type": "section", "text": mrkdwn(kr_text(element))}]
        case Fields(pairs):
            items = [mrkdwn(f"*{card_mrkdwn(label)}*\n{card_mrkdwn(value)}", FIELD_TEXT) for label, value in pairs]
            return [
                {"type": "section", "fields": items[start : start + FIELDS_PER_SECTION]}
                for start in range(0, len(items), FIELDS_PER_SECTION)
            ]
        case Actions(buttons):
            elements = _buttons(buttons)
            return [
                {"type": "actions", "elements": elements[start : start + ELEMENTS_PER_ACTIONS]}
                for start in range(0, len(elements), ELEMENTS_PER_ACTIONS)
            ]
        case Divider():
            return [{"type": "divider"}]
        case _:
            assert_never(element)


def card_blocks(card: Card, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A card's blocks, at most `limit`; the last buttons survive a cut, so the card stays usable."""
    blocks: list[dict[str, Any]] = []
    if card.title:
        # A title is card markdown too; a header cannot draw emphasis, so its markers are dropped.
        blocks.append({"type": "header", "text": plain(plain_text(card.title), HEADER_TEXT)})
    for element in card.elements:
        blocks.extend(element_blocks(element))
    if len(blocks) <= limit:
        return blocks
    tail = [b for b in blocks[-2:] if b["type"] == "actions"]
    keep = limit - 1 - len(tail)
    hidden = len(blocks) - keep - len(tail)
    note = {"type": "context", "elements": [mrkdwn(card_mrkdwn(render("more_not_shown", count=hidden)))]}
    return blocks[:keep] + [note] + tail


def fallback_text(card: Card) -> str:
    """The notification and screen-reader text of a message."""
    text = card.fallback or card.title or ""
    if not text:
        text = next((e.markdown for e in card.elements if isinstance(e, Text | Context)), "")
    return clip(escape(text), FALLBACK_TEXT)


def message(card: Card) -> dict[str, Any]:
    """Arguments for chat.postMessage / chat.update / a response_url body."""
    return {"text": fallback_text(card), "blocks": card_blocks(card)}


def home_view(card: Card) -> dict[str, Any]:
    return {"type": "home", "blocks": card_blocks(card, VIEW_BLOCKS)}


# ---------------------------------------------------------------- forms


def _input_element(field: FormField) -> dict[str, Any]:
    if field.kind == "channel":  # Slack's own picker, whatever options the core listed
        element: dict[str, Any] = {"type": "conversations_select", "action_id": field.name,
                                   "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
        if field.initial and field.initial[:1] in ("C", "G"):
            element["initial_conversation"] = field.initial
        return element
    if field.kind == "select":
        options = [
            {"text": plain(option.label, OPTION_TEXT), "value": option.value[:OPTION_VALUE]}
            for option in field.options[:OPTIONS_PER_SELECT]
        ]
        element = {"type": "static_select", "action_id": field.name, "options": options}
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial is not None:
            element["initial_option"] = initial
        return element
    element = {"type": "plain_text_input", "action_id": field.name}
    if field.kind == "multiline":
        element["multiline"] = True
    element["max_length"] = min(field.max_length or INPUT_MAX_LENGTH, INPUT_MAX_LENGTH)
    if field.initial:
        element["initial_value"] = field.initial[: element["max_length"]]
    return element


def input_block(field: FormField) -> dict[str, Any]:
    """One input; its block id and action id are the field name, so values and errors map back."""
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name[:ACTION_ID],
        "label": plain(field.label, LABEL_TEXT),
        "element": _input_element(field),
        "optional": field.optional,
    }
    if field.hint:
        block["hint"] = plain(field.hint, HINT_TEXT)
    return block


def modal_view(form: Form, private_metadata: str = "") -> dict[str, Any]:
    """A modal for a Form; inputs that would not fit in 100 blocks are left out (they stay unchanged)."""
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.extend(sections(form.intro))
    blocks = blocks[: VIEW_BLOCKS // 2]
    blocks.extend(input_block(field) for field in form.fields[: VIEW_BLOCKS - len(blocks)])
    return {
        "type": "modal",
        "callback_id": form.form_id[:ACTION_ID],
        "title": plain(form.title, MODAL_TITLE),
        "submit": plain(form.submit_label, MODAL_BUTTON),
        "private_metadata": private_metadata[:PRIVATE_METADATA],
        "blocks": blocks,
    }


def submitted_values(state_values: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
    """view.state.values flattened to field name -> text, whatever the input type."""
    values: dict[str, str] = {}
    for block_id, actions in state_values.items():
        for action in actions.values():
            kind = action.get("type")
            if kind == "static_select":
                values[block_id] = (action.get("selected_option") or {}).get("value", "")
            elif kind == "conversations_select":
                values[block_id] = action.get("selected_conversation") or ""
            else:
                values[block_id] = action.get("value") or ""
    return values


def view_errors(errors: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """`response_action: errors` may only name blocks of the view: an unknown field's error goes on the first input."""
    inputs = [b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"]
    result: dict[str, str] = {}
    for name, text in errors.items():
        block = name if name in inputs else (inputs[0] if inputs else name)
        text = plain_text(text)  # Slack draws these errors as plain text: no markers shown
        result[block] = clip(f"{result[block]} {text}" if block in result else text, LABEL_TEXT)
    return result


def dumps(payload: Any) -> str:
    """Deterministic JSON for golden files."""
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
