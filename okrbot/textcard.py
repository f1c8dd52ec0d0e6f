"""Card -> plain text, for the terminal (`okrbot report`, `lint`, `align`).

The fourth renderer beside Block Kit, Adaptive Cards and HTML, and the simplest: the markdown
subset's emphasis markers are dropped (`bot.markup.plain`), a key result's colour is spelled out next
to its number (colour is never the only signal), and buttons are left out because a terminal cannot click.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from bot import i18n
from bot.cards import flagged_words
from bot.markup import plain
from bot.model import Actions, Card, Context, Divider, Element, Fields, KeyResultLine, Text
from bot.render import card_words

WIDTH = 72


def key_result_line(line: KeyResultLine) -> str:
    badge = f"{line.confidence:>2}/10 {line.colour:<6}"
    delta = f" ({line.delta:+d})" if line.delta else ""
    flag = f"  ! {flagged_words()}" if line.flagged else ""
    parts = [f"{badge}{delta}  {line.code}  {line.title}"]
    details = [d for d in (line.progress, line.owner) if d]
    if line.trend:
        details.append(card_words("trend", values=line.trend))
    if details:
        parts.append("      " + " · ".join(details))
    return "\n".join(parts) + flag


def element_lines(element: Element) -> list[str]:
    """An element's lines; every element type of bot.model has a case, an unknown one raises."""
    match element:
        case Text(markdown):
            return [plain(markdown)]
        case Context(markdown):
            return ["\n".join(f"  {line}" for line in plain(markdown).splitlines())]
        case Fields(pairs):
            labels = [plain(label) for label, _ in pairs]
            width = max(map(len, labels), default=0)
            return [f"{label:<{width}}  {plain(value)}" for label, (_, value) in zip(labels, pairs, strict=True)]
        case KeyResultLine():
            return [key_result_line(element)]
        case Divider():
            return ["-" * WIDTH]
        case Actions():
            return []  # a terminal cannot click
        case _:
            assert_never(element)


def render_card(card: Card) -> str:
    with i18n.speaking(card.language):  # its own words (card_words) in the card's language
        return _render_card(card)


def _render_card(card: Card) -> str:
    out: list[str] = []
    if card.title:
        title = plain(card.title)
        out += [title, "=" * min(len(title), WIDTH)]
    for element in card.elements:
        out += element_lines(element)
    return "\n".join(out).rstrip() + "\n"


def render_cards(cards: Iterable[Card]) -> str:
    return "\n".join(render_card(card) for card in cards)
