"""The dashboard's pages: what they show, to whom, escaped, in a fixed number of statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storage.db import transaction
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team
from tests.sandbox.conftest import sign_in_as, statements, visible_text


async def test_company_tree_shows_levels_badges_and_progress(client):
    response = await client.get("/")
    html = await response.text()
    text = visible_text(html)
    assert response.status == 200
    assert text.index("Market penetration") < text.index("Platform Ecology Department") < text.index("R&D Efficiency")
    assert "6/10 confidence, at risk" in text  # the number always beside the colour, and a word
    assert "Individual objectives are shown only to their owner" in text
    assert "Grow agile and OKR capability" not in text  # nobody signed in: no individual objectives


async def test_team_page_has_trend_chart_four_square_and_progress(client, sessions, clock):
    with transaction(sessions) as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr4"))
        for weeks_ago, confidence in ((3, 4), (2, 6), (1, 3)):
            s.add(CheckIn(org_id=kr.org_id, key_result_id=kr.id, at=clock.now() - timedelta(weeks=weeks_ago),
                          confidence=confidence, source="cli"))
        kr.current_value = 55  # the import's check-in (5, this week) stays the latest
    html = await (await client.get("/?team=rd-efficiency")).text()
    assert '<svg class="trend"' in html and "Confidence by week, oldest first: 4, 6, 3, 5" in html
    text = visible_text(html)
    assert "50% · 55 / 70 %" in text
    assert "four-square of 2026-W47" in text and "▲ +2 since last week" in text


async def test_key_result_title_with_markup_shows_as_text(client, sessions):
    with transaction(sessions) as s:
        s.execute(update(KeyResult).where(KeyResult.key == "rd-o1-kr1")
                  .values(title="<script>alert('x')</script> & <b>bold</b>"))
    for path in ("/", "/?team=rd-efficiency", "/?team=ecology"):
        html = await (await client.get(path)).text()
        assert "<script>alert" not in html and "<b>bold</b>" not in html, path
    html = await (await client.get("/?team=rd-efficiency")).text()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("email, sees", [
    ("liu.liu@example.com", True),  # the owner
    ("director.rd@example.com", True),  # the owner's manager
    ("engineer@example.com", False),  # a teammate
    ("ceo@example.com", False),  # the manager's manager
])
async def test_individual_objectives_only_for_owner_and_manager(client, sessions, email, sees):
    await sign_in_as(client, sessions, email)
    for path in ("/", "/?team=rd-efficiency"):
        text = visible_text(await (await client.get(path)).text())
        assert ("Grow agile and OKR capability" in text) is sees, (path, email)


async def test_filters_by_team_and_cycle(client, sessions, org_id):
    with transaction(sessions) as s:
        cycle = s.scalar(select(Cycle))
        s.add(Cycle(org_id=org_id, name="2027-Q1", start=cycle.end.replace(year=2027, month=1, day=1),
                    end=cycle.end.replace(year=2027, month=3, day=31)))
    assert "Market penetration" not in visible_text(await (await client.get("/?cycle=2027-Q1")).text())
    assert "Market penetration" in visible_text(await (await client.get("/?cycle=2026-Q4")).text())
    response = await client.get("/?team=nope")
    assert response.status == 404 and "no team with the key nope" in visible_text(await response.text())
    assert (await client.get("/?page=abc")).status == 200


async def test_advice_page_lists_alignment_and_lint(client):
    text = visible_text(await (await client.get("/advice")).text())
    assert "Alignment report" in text and "OKR advice" in text
    assert "retail-o1" in text  # a company objective with no key results gets advice


async def test_pages_issue_a_fixed_number_of_statements(app, client, sessions, org_id):
    """No N+1: ten times more departments, teams and key results, the same statements per page."""
    ctx, _ = app
    await sign_in_as(client, sessions, "director.rd@example.com")
    paths = ("/", "/?team=ecology", "/?team=rd-efficiency")
    before = {path: await statements(ctx.engine, client, path) for path in paths}
    with transaction(sessions) as s:
        cycle = s.scalar(select(Cycle))
        company = s.scalar(select(Team).where(Team.key == "retail"))
        ecology = s.scalar(select(Team).where(Team.key == "ecology"))
        for d in range(10):
            dept = Team(org_id=org_id, key=f"dept-{d}", name=f"Dept {d}", level="department", parent_id=company.id)
            s.add(dept)
            s.flush()
            for t in range(3):
                for parent in (dept, ecology):
                    team = Team(org_id=org_id, key=f"t-{d}-{t}-{parent.id}", name=f"Team {d}.{t}", level="team",
                                parent_id=parent.id)
                    s.add(team)
                    s.flush()
                    for owner in (team, parent):
                        o = Objective(org_id=org_id, cycle_id=cycle.id, key=f"o-{team.id}-{owner.id}", title="O",
                                      level=owner.level, owner_team_id=owner.id)
                        s.add(o)
                        s.flush()
                        for k in range(3):
                            s.add(KeyResult(org_id=org_id, objective_id=o.id, key=f"k-{o.id}-{k}", title="K",
                                            target_value=10, start_value=0, confidence=5))
    after = {path: await statements(ctx.engine, client, path) for path in before}
    assert after == before
