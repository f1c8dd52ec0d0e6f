"""Geometry of the confidence trend chart; the SVG itself is drawn by the trend.html.j2 macro."""

from __future__ import annotations

WIDTH, HEIGHT, PAD = 120, 32, 3
SCALE = (1, 10)


def trend_points(values: tuple[int, ...] | list[int]) -> list[tuple[float, float]]:
    """Each weekly confidence as an (x, y) point, oldest left, 10 at the top, 1 at the bottom."""
    if not values:
        return []
    low, high = SCALE
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = []
    for index, value in enumerate(values):
        clamped = min(max(value, low), high)
        x = PAD + index * step if len(values) > 1 else WIDTH / 2
        y = PAD + (high - clamped) * (HEIGHT - 2 * PAD) / (high - low)
        points.append((round(x, 1), round(y, 1)))
    return points
