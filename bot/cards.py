"""Small builders for the parts of cards that many views share."""

from __future__ import annotations

from bot.links import absolute, key_result_path
from bot.model import KeyResultLine
from bot.render import card_words, format_number, render
from bot.services.keyresults import colour
from bot.services.trends import FLAG_DROP, WeekChange, since_last_week
from storage.models import KeyResult, Organization


def progress_text(kr: KeyResult) -> str | None:
    """"62 / 80 %" (from 40), the milestone, or None when the key result has neither; a value a program
    set (the API, a connector) says so: "62 / 80 % (via connector)"."""
    if kr.target_value is None:
        return kr.milestone
    unit = f" {kr.unit}" if kr.unit else ""
    current = kr.current_value if kr.current_value is not None else kr.start_value
    text = f"{format_number(current)} / {format_number(kr.target_value)}{unit}"
    source = getattr(kr, "value_source", None) if kr.current_value is not None else None
    return f"{text} {render('value_source', source=source)}" if source in AUTOMATIC_SOURCES else text


AUTOMATIC_SOURCES = ("api", "connector")  # check-in sources that are programs, not people


def kr_line(
    kr: KeyResult,
    org: Organization,
    *,
    trend: tuple[int, ...] = (),
    change: WeekChange | None = None,
    owner: str | None = None,
    level: str | None = None,
    base: str | None = None,
) -> KeyResultLine:
    """A key result as a card line; its change "since last week" comes from `trend` (or `change` when the
    line shows no trend), never from anything else: bot.services.trends.since_last_week is the definition.
    `base` is the dashboard's base URL: the line links to the key result's page under it."""
    change = change or since_last_week(trend)
    return KeyResultLine(
        code=kr.key,
        title=kr.title,
        confidence=kr.confidence,
        colour=colour(kr.confidence, org.red_max, org.green_min),  # type: ignore[arg-type]
        delta=change.delta,
        trend=trend,
        flagged=change.flagged,
        progress=progress_text(kr),
        owner=owner,
        level=card_words("level_word", level=level) if level else None,  # a word, in the card's language
        url=absolute(base, key_result_path(kr.key, org.id)),
    )


def flagged_words() -> str:
    """What every renderer says beside a flagged key result line (each adds its own symbol)."""
    return card_words("flagged", drop=FLAG_DROP)
