"""Small builders for the parts of cards that many views share."""

from __future__ import annotations

from bot.model import KeyResultLine
from bot.render import format_number
from bot.services.keyresults import colour
from storage.models import KeyResult, Organization


def progress_text(kr: KeyResult) -> str | None:
    """"62 / 80 %" (from 40), the milestone, or None when the key result has neither."""
    if kr.target_value is None:
        return kr.milestone
    unit = f" {kr.unit}" if kr.unit else ""
    current = kr.current_value if kr.current_value is not None else kr.start_value
    return f"{format_number(current)} / {format_number(kr.target_value)}{unit}"


def kr_line(
    kr: KeyResult,
    org: Organization,
    *,
    delta: int | None = None,
    trend: tuple[int, ...] = (),
    owner: str | None = None,
    level: str | None = None,
) -> KeyResultLine:
    return KeyResultLine(
        code=kr.key,
        title=kr.title,
        confidence=kr.confidence,
        colour=colour(kr.confidence, org.red_max, org.green_min),  # type: ignore[arg-type]
        delta=delta,
        trend=trend,
        flagged=delta is not None and delta <= -2,
        progress=progress_text(kr),
        owner=owner,
        level=level,
    )
