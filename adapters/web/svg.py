"""Geometry of the charts; the SVG itself is drawn by templates (the trend macro of card.html.j2, keyresult.html.j2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.views.keyresult import KeyResultPage

WIDTH, HEIGHT, PAD = 120, 32, 3
SCALE = (1, 10)


@dataclass(frozen=True)
class Chart:
    points: str  # the polyline's "x,y x,y ..."
    last: tuple[float, float]  # this week's point, marked


def trend_points(values: tuple[int, ...] | list[int]) -> Chart | None:
    """Each weekly confidence as a point, oldest left, 10 at the top, 1 at the bottom."""
    if not values:
        return None
    low, high = SCALE
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = []
    for index, value in enumerate(values):
        clamped = min(max(value, low), high)
        x = PAD + index * step if len(values) > 1 else WIDTH / 2
        y = PAD + (high - clamped) * (HEIGHT - 2 * PAD) / (high - low)
        points.append((round(x, 1), round(y, 1)))
    return Chart(" ".join(f"{x},{y}" for x, y in points), points[-1])


# ------------------------------------------------------------------ a key result over its cycle

CYCLE_WIDTH, CYCLE_HEIGHT, CYCLE_LEFT, CYCLE_RIGHT, CYCLE_TOP, CYCLE_BOTTOM = 640, 220, 34, 64, 12, 28


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class CycleChart:
    """A key result's page chart: confidence (1-10, left axis) and value (right axis) as steps over the cycle."""

    width: int
    height: int
    confidence: str  # polyline points, a step per check-in, held until today
    value: str | None  # the same for the value, scaled between start and target (and what was reached)
    checkins: tuple[Mark, ...]  # a dot per check-in on the confidence line
    confidence_ticks: tuple[Mark, ...]  # y of 1, 5, 10
    value_ticks: tuple[Mark, ...]  # y of the start and the target
    today: float | None  # x of today, when it falls inside the cycle
    first_day: date  # written in the page's language by the template (`day`)
    last_day: date
    left: float
    right: float
    top: float
    bottom: float


def cycle_chart(points: list[tuple[datetime, int, float | None]], start: datetime, end: datetime, now: datetime,
                start_value: float | None, target_value: float | None) -> CycleChart:
    """Geometry for `points` (time, confidence, value or None), oldest first, between `start` and `end`."""
    left, right = CYCLE_LEFT, CYCLE_WIDTH - CYCLE_RIGHT
    top, bottom = CYCLE_TOP, CYCLE_HEIGHT - CYCLE_BOTTOM
    span = max((end - start).total_seconds(), 1.0)

    def x_of(moment: datetime) -> float:
        share = min(max((moment - start).total_seconds() / span, 0.0), 1.0)
        return round(left + share * (right - left), 1)

    def y_conf(value: int) -> float:
        low, high = SCALE
        return round(top + (high - min(max(value, low), high)) * (bottom - top) / (high - low), 1)

    values = [v for _, _, v in points if v is not None] + [v for v in (start_value, target_value) if v is not None]
    low_value, high_value = (min(values), max(values)) if values else (0.0, 1.0)
    if high_value == low_value:
        high_value = low_value + 1

    def y_value(value: float) -> float:
        return round(bottom - (value - low_value) * (bottom - top) / (high_value - low_value), 1)

    held_until = x_of(min(now, end))
    confidence = _steps([(x_of(at), y_conf(c)) for at, c, _ in points], held_until)
    value_steps, current = [], start_value
    for at, _, value in points:
        if value is not None:
            current = value
            value_steps.append((x_of(at), y_value(value)))
    if start_value is not None and (not value_steps or value_steps[0][0] > left):
        value_steps.insert(0, (left, y_value(start_value)))
    value_line = _steps(value_steps, held_until) if value_steps and current is not None else None
    value_ticks = tuple(Mark(right, y_value(v), label) for v, label in (
        (start_value, "start"), (target_value, "target")) if v is not None)
    return CycleChart(
        width=CYCLE_WIDTH, height=CYCLE_HEIGHT, confidence=confidence, value=value_line,
        checkins=tuple(Mark(x_of(at), y_conf(c), str(c)) for at, c, _ in points),
        confidence_ticks=tuple(Mark(left, y_conf(n), str(n)) for n in (1, 5, 10)),
        value_ticks=value_ticks, today=x_of(now) if start <= now <= end else None,
        first_day=start.date(), last_day=(end - timedelta(seconds=1)).date(),
        left=left, right=right, top=top, bottom=bottom,
    )


def key_result_chart(view: KeyResultPage, now: datetime) -> CycleChart | None:
    """A key result's confidence and value over its cycle, from its first day to its last (or today, if later)."""
    if view.cycle is None:
        return None
    zone = ZoneInfo(view.zone)
    start = datetime.combine(view.cycle.start, time(), tzinfo=zone)
    end = max(datetime.combine(view.cycle.end + timedelta(days=1), time(), tzinfo=zone), now.astimezone(zone))
    points = [(row.at, row.confidence, row.value) for row in reversed(view.history)]
    return cycle_chart(points, start, end, now.astimezone(zone), view.kr.start_value, view.kr.target_value)


def _steps(points: list[tuple[float, float]], until: float) -> str:
    """A step line: each value held flat until the next one, the last until `until`."""
    out: list[tuple[float, float]] = []
    for index, (x, y) in enumerate(points):
        if index:
            out.append((x, out[-1][1]))
        out.append((x, y))
    if out and until > out[-1][0]:
        out.append((until, out[-1][1]))
    return " ".join(f"{x},{y}" for x, y in out)


# ------------------------------------------------------------------ ritual health, week by week

WEEKS_WIDTH, WEEKS_HEIGHT, WEEKS_LEFT, WEEKS_RIGHT, WEEKS_TOP, WEEKS_BOTTOM = 560, 180, 40, 10, 10, 24


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    part: int  # which of the stacked values (its colour and legend entry)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str  # the week, written under the bar
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class WeeksChart:
    """Stacked bars, one a week (check-ins on time / late / missed, ...), or with `line` a line of values."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[Mark, ...]  # y of 0, the middle and the top of the scale
    line: str | None  # polyline points for a chart of one value a week (the median confidence)
    dots: tuple[Mark, ...]
    left: float
    right: float
    top: float
    bottom: float


def weeks_chart(labels: list[str], stacks: list[tuple[int, ...]], line: list[float | None] | None = None,
                scale: tuple[float, float] | None = None) -> WeeksChart:
    """Geometry for one stack of counts a week (`stacks`, oldest first), or for `line`, one value or None a week
    on `scale` (low, high). The scale of stacks runs from 0 to the highest stack."""
    left, right, top, bottom = WEEKS_LEFT, WEEKS_WIDTH - WEEKS_RIGHT, WEEKS_TOP, WEEKS_HEIGHT - WEEKS_BOTTOM
    low, high = scale or (0, max([sum(s) for s in stacks] + [1]))
    slot = (right - left) / max(len(labels), 1)

    def y_of(value: float) -> float:
        return round(bottom - (value - low) * (bottom - top) / (high - low), 1)

    bars, dots, points = [], [], []
    for index, label in enumerate(labels):
        x = round(left + index * slot + slot * 0.15, 1)
        segments, base = [], 0
        for part, count in enumerate(stacks[index] if stacks else ()):
            if count:
                segments.append(Segment(y_of(base + count), round(y_of(base) - y_of(base + count), 1), part))
            base += count
        bars.append(Bar(x, round(slot * 0.7, 1), label, tuple(segments)))
        value = line[index] if line else None
        if value is not None:
            centre = round(x + slot * 0.35, 1)
            points.append(f"{centre},{y_of(value)}")
            dots.append(Mark(centre, y_of(value), f"{value:g}"))
    middle = (low + high) / 2
    ticks = tuple(Mark(left, y_of(v), f"{v:g}") for v in dict.fromkeys((low, round(middle, 1), high)))
    return WeeksChart(WEEKS_WIDTH, WEEKS_HEIGHT, tuple(bars), ticks, " ".join(points) if line else None,
                      tuple(dots), left, right, top, bottom)
