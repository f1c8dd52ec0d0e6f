"""The organizers' view of a cycle being planned: its proposals (bot.services.proposals) on the dashboard.

The method's first step: every employee proposes, then the organizers (the company's leads) read them all,
merge the duplicates and shortlist, before everyone votes. The page lists every proposal of the cycle being
planned with its stable number, author and votes, as `/okr proposals` does, and says whether the viewer
organizes (so gets the merge and shortlist controls, which the core checks again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.context import team_leads
from bot.services.mission import company_teams
from bot.services.proposals import Numbered, numbered, planning_cycle, vote_closed
from storage.models import Cycle, Organization, Person


@dataclass
class ProposalsPage:
    org: Organization
    cycle: Cycle | None  # the cycle being planned; None when none is
    items: list[Numbered]  # open ones first, the most voted first, then the merged ones
    organizer: bool
    closed: bool  # the vote is over
    organizers: list[str]


def proposals_page(session: Session, org: Organization, viewer: Person | None, now: datetime) -> ProposalsPage:
    leads = {p.id: p.name for team in company_teams(session, org) for p in team_leads(session, team)}
    cycle = planning_cycle(session, org, now)
    items = numbered(session, cycle) if cycle is not None else []
    items.sort(key=lambda item: (not item.open, -item.votes, item.number))
    return ProposalsPage(org, cycle, items, viewer is not None and viewer.id in leads,
                         vote_closed(session, cycle) if cycle is not None else False, list(leads.values()))
