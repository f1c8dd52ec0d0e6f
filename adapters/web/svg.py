"""Geometry of the confidence trend chart; the SVG itself is drawn by the trend macro of card.html.j2."""

from __future__ import annotations

from dataclasses import dataclass

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
