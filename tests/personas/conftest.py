"""The people of the persona sweep: the demo organization (`okrbot demo-data`) plus the edge cases.

The edge personas are the people whole groups of users are: someone who owns no key result, someone
in no team, someone who leads two teams, someone whose only objective is their own, and a stranger
okrbot does not know at all (no person row; each platform sends them in its own way).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.demo.seed import seed_demo
from storage.db import transaction
from storage.models import KeyResult, Objective, Person, Team, TeamMember


@dataclass(frozen=True)
class Persona:
    key: str  # a short name, also the platforms' user id suffix
    email: str
    name: str
    team: str | None  # the team whose channel they type in (None: a direct chat)


DEMO = (
    Persona("ceo", "ceo@example.com", "Chen Hao", "retail"),
    Persona("vp", "vp.ecology@example.com", "Wang Fang", "ecology"),
    Persona("director", "director.rd@example.com", "Zhao Lei", "rd-efficiency"),
    Persona("liu", "liu.liu@example.com", "Liu Liu", "rd-efficiency"),
    Persona("hrlead", "hr.lead@example.com", "Sun Mei", "ecology-hr"),
    Persona("hrpartner", "hr.partner@example.com", "Li Na", "ecology-hr"),
    Persona("engineer", "engineer@example.com", "Zhou Qiang", "rd-efficiency"),
)
EDGE = (
    Persona("nokr", "nokr@example.com", "Nora Nokr", "rd-efficiency"),  # a member owning no key result
    Persona("loner", "loner@example.com", "Lone Wolf", None),  # in no team
    Persona("twoteams", "twoteams@example.com", "Tess Twoteams", "ecology-hr"),  # leads two teams
    Persona("solo", "solo@example.com", "Solo Sam", None),  # no team; one individual objective
)
STRANGER = Persona("stranger", "stranger@elsewhere.example", "Stan Stranger", None)  # unknown to okrbot


def add_edge_personas(session, org_id: int) -> None:
    """The edge personas, added to the seeded demo organization as an import would have them."""
    people = {}
    for persona in EDGE:
        people[persona.key] = Person(org_id=org_id, email=persona.email, name=persona.name)
        session.add(people[persona.key])
    session.flush()
    teams = {t.key: t for t in session.scalars(select(Team).where(Team.org_id == org_id))}
    session.add(TeamMember(org_id=org_id, team_id=teams["rd-efficiency"].id, person_id=people["nokr"].id,
                           role="member"))
    for key in ("ecology-hr", "rd-efficiency"):
        session.add(TeamMember(org_id=org_id, team_id=teams[key].id, person_id=people["twoteams"].id, role="lead"))
    # The running quarter's (the demo also has a closed one before it and a planning one after it).
    running = session.scalar(select(Objective.cycle_id).where(Objective.org_id == org_id, Objective.key == "rd-o1"))
    objective = Objective(org_id=org_id, cycle_id=running, key="solo-o1", title="Learn the codebase",
                          level="individual", type="business", source="self-driven",
                          owner_person_id=people["solo"].id, status="active", position=0)
    session.add(objective)
    session.flush()
    session.add(KeyResult(org_id=org_id, objective_id=objective.id, key="solo-o1-kr1", title="Modules read",
                          owner_person_id=people["solo"].id, start_value=0, target_value=10, current_value=2,
                          unit="modules", confidence=5, position=0))


@pytest.fixture
def demo_org(sessions, clock) -> int:
    """The demo organization with six weeks of history up to the clock's now, and the edge personas."""
    with transaction(sessions) as session:
        org_id = seed_demo(session, clock.now(), language="en").organization_id  # the sweep reads English
        add_edge_personas(session, org_id)
    return org_id
