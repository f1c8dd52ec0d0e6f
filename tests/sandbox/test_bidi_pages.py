"""The dashboard seals a person's text against bidi controls too: an override in a win ends with the win."""

from __future__ import annotations

import html as html_lib

from sqlalchemy import select

from bot.bidi import RLO
from storage.db import transaction
from storage.models import Person, Team, Win
from tests.core.test_bidi import open_controls_at


async def test_a_win_with_an_override_does_not_reverse_its_author_on_the_team_page(client, sessions, clock):
    with transaction(sessions) as s:
        team = s.scalar(select(Team).where(Team.key == "rd-efficiency"))
        author = s.scalar(select(Person).where(Person.email == "engineer@example.com"))
        s.add(Win(org_id=team.org_id, team_id=team.id, week="2026-W47", author_person_id=author.id,
                  text=f"shipped it {RLO}for real", platform="sandbox", at=clock.now()))
        name = author.name
    for path in ("/?team=rd-efficiency", "/"):
        page = html_lib.unescape(await (await client.get(path)).text())
        assert RLO in page, path
        assert open_controls_at(page, page.index(name, page.index(RLO))) == [], path
