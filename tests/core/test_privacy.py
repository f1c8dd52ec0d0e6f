"""The privacy rule of individual objectives (bot.views.privacy): one rule, its two forms agree."""

from __future__ import annotations

from sqlalchemy import select

from bot.views.privacy import may_see, visible_individual
from storage.models import Objective, Person


def test_an_individual_objective_is_seen_by_its_owner_and_the_owners_manager_only(sessions, org_id):
    with sessions() as session:
        people = {p.email: p for p in session.scalars(select(Person).where(Person.org_id == org_id))}
        objectives = list(session.scalars(select(Objective).where(Objective.org_id == org_id)))
        individual = [o for o in objectives if o.level == "individual"]
        assert individual and len(individual) < len(objectives)
        seen_by = {}
        for viewer in [None, *people.values()]:
            listed = set() if viewer is None else set(session.scalars(
                select(Objective.id).where(Objective.org_id == org_id, Objective.level == "individual",
                                           visible_individual(viewer))))
            for objective in objectives:
                allowed = may_see(session, objective, viewer)
                assert allowed == (objective.level != "individual" or objective.id in listed)
                if objective.level == "individual" and allowed:
                    seen_by.setdefault(objective.key, set()).add(viewer.email)
        # liu.liu's objectives: Liu Liu and her manager, not her manager's manager or a colleague.
        assert all(who == {"liu.liu@example.com", "director.rd@example.com"} for who in seen_by.values())
        assert len(seen_by) == len(individual)
        assert visible_individual(None) is None
