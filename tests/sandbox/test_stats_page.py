"""The ritual-health page (/stats) and its CSV (/stats.csv), by HTTP through the real app."""

from __future__ import annotations

import csv
import io

from tests.sandbox.conftest import say, sign_in_as, visible_text


async def test_the_page_draws_each_chart_with_a_text_alternative(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr confidence rd-o1-kr3 6")
    response = await client.get("/stats?team=rd-efficiency")
    html = await response.text()
    assert response.status == 200 and html.count('<svg class="weeks"') == 5 and html.count('role="img"') >= 5
    text = visible_text(html)
    for heading in ("Check-ins per week", "Median confidence over the cycle", "Priorities", "Wins per week",
                    "Rituals posted", "Red key results by age", "Week by week"):
        assert heading in text
    assert "Median confidence each week, oldest first: —, —," in html and ", 6</title>" in html  # for screen readers
    assert 'href="/stats.csv?team=rd-efficiency' in html


async def test_the_organization_page_links_each_team_and_an_unknown_team_is_404(client):
    response = await client.get("/stats")
    html = await response.text()
    assert response.status == 200 and 'href="/stats?team=retail' in html
    response = await client.get("/stats?team=nope")
    assert response.status == 404 and "No such team" in visible_text(await response.text())
    assert (await client.get("/stats.csv?team=nope")).status == 404


async def test_the_csv_has_one_row_per_team_and_week(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr confidence rd-o1-kr3 6")
    response = await client.get("/stats.csv?team=ecology")
    assert response.status == 200 and response.content_type == "text/csv" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="ritual-health-ecology-2026-W47.csv"'
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    teams = {row["team"] for row in rows}
    assert teams == {"ecology", "rd-efficiency", "ecology-hr"}
    assert len(rows) == 3 * 13 or len(rows) == 3 * len({row["week"] for row in rows})
    mine = next(row for row in rows if row["team"] == "rd-efficiency" and row["week"] == "2026-W47")
    assert (mine["checkins_on_time"], mine["checkins_missed"], mine["median_confidence"]) == ("1", "3", "6.0")
