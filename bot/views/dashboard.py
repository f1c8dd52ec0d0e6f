"""What the dashboard shows, read in a fixed number of statements whatever the size of the organization.

The company view is the tree: company objectives, then departments (a page of them at a time) with
their objectives and a summary row per team; a team's own view adds its four-square, its wins and
the individual objectives its viewer may see (bot.views.privacy). The web adapter renders these
dataclasses; nothing here knows about HTML.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Bundle, Session, aliased

from bot.cards import progress_text
from bot.context import current_cycle, team_timezone
from bot.links import key_result_path
from bot.serialize import card_to_dict
from bot.services.foursquare import four_square, four_square_card
from bot.services.keyresults import colour
from bot.services.trends import confidence_trends
from bot.views.privacy import visible_individual
from bot.weeks import local_week, shift
from storage.models import Cycle, KeyResult, Objective, Organization, Person, Team, TeamMember, Win

TREND_WEEKS = 8
DEPARTMENTS_PER_PAGE = 10
TEAMS_PER_DEPARTMENT = 30  # summary rows under one department in the tree; its own page lists more
CHILDREN_SHOWN = 200  # summary rows on a department's own page
WINS_SHOWN = 20


@dataclass
class KrView:
    id: int
    code: str
    title: str
    owner: str | None
    confidence: int
    colour: str
    progress: str | None
    percent: int | None  # progress toward the target, 0-100; None for a milestone
    trend: tuple[int, ...] = ()
    href: str = ""  # the key result's own page


@dataclass
class ObjectiveView:
    id: int
    key: str
    title: str
    level: str
    type: str
    owner: str  # the team's name or the person's
    team_id: int | None
    key_results: list[KrView] = field(default_factory=list)


@dataclass
class TeamSummary:
    key: str
    name: str
    level: str
    krs: int = 0
    average: float | None = None
    red: int = 0
    wins: int = 0
    colour: str = "yellow"


@dataclass
class DepartmentView:
    team: TeamSummary
    objectives: list[ObjectiveView]
    teams: list[TeamSummary]
    more_teams: int


@dataclass
class WinView:
    text: str
    author: str | None
    team: str
    team_key: str


@dataclass
class CompanyPage:
    org: Organization
    cycle: Cycle | None
    cycles: list[Cycle]
    week: str
    company: list[TeamSummary]
    objectives: list[ObjectiveView]  # company level
    departments: list[DepartmentView]
    page: int
    pages: int
    individual: list[ObjectiveView]
    wins: list[WinView]
    wins_total: int
    team_keys: list[str]  # for the filter's suggestions: company and departments


@dataclass
class TeamPage:
    org: Organization
    cycle: Cycle | None
    cycles: list[Cycle]
    week: str
    team: TeamSummary
    chain: list[TeamSummary]  # ancestors, company first
    objectives: list[ObjectiveView]
    children: list[TeamSummary]
    more_children: int
    individual: list[ObjectiveView]
    four_square: dict  # the four-square card, as bot.serialize dicts
    wins: list[WinView]
    team_keys: list[str]


def cycles_of(session: Session, org: Organization) -> list[Cycle]:
    return list(session.scalars(select(Cycle).where(Cycle.org_id == org.id).order_by(Cycle.start.desc())))


def pick_cycle(session: Session, org: Organization, cycles: list[Cycle], name: str | None, now: datetime):
    chosen = next((c for c in cycles if c.name == name), None) if name else None
    return chosen or current_cycle(session, org, now)


def percent(kr) -> int | None:
    if kr.target_value is None or kr.start_value is None or kr.target_value == kr.start_value:
        return None
    current = kr.current_value if kr.current_value is not None else kr.start_value
    share = (current - kr.start_value) / (kr.target_value - kr.start_value)
    return round(100 * min(max(share, 0.0), 1.0))


def _objectives(
    session: Session, org: Organization, cycle: Cycle | None, week: str, *conditions, limit: int = 2000,
    trends: dict[int, tuple[int, ...]] | None = None,
) -> list[ObjectiveView]:
    """Objectives matching `conditions` with their key results and trends: three statements (one when
    the trends are already known, as the four-square knows them for a team's own key results)."""
    if cycle is None:
        return []
    owner_person, owner_team, kr_owner = aliased(Person), aliased(Team), aliased(Person)
    # Plain columns in bundles, not ORM entities: a page reads them once and never changes them.
    objective_ = Bundle("objective", Objective.id, Objective.key, Objective.title, Objective.level, Objective.type,
                        Objective.owner_team_id)
    kr_ = Bundle("kr", KeyResult.id, KeyResult.key, KeyResult.title, KeyResult.confidence, KeyResult.start_value,
                 KeyResult.target_value, KeyResult.current_value, KeyResult.unit, KeyResult.milestone)
    rows = session.execute(
        select(objective_, owner_team.name, owner_person.name, kr_, kr_owner.name)
        .outerjoin(owner_team, owner_team.id == Objective.owner_team_id)
        .outerjoin(owner_person, owner_person.id == Objective.owner_person_id)
        .outerjoin(KeyResult, (KeyResult.objective_id == Objective.id) & KeyResult.live)
        .outerjoin(kr_owner, kr_owner.id == KeyResult.owner_person_id)
        .where(Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.status != "closed", *conditions)
        .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id)
        .limit(limit)
    ).all()
    views: dict[int, ObjectiveView] = {}
    for objective, team_name, person_name, kr, kr_owner_name in rows:
        view = views.get(objective.id)
        if view is None:
            view = views[objective.id] = ObjectiveView(
                objective.id, objective.key, objective.title, objective.level, objective.type,
                team_name or person_name or "nobody", objective.owner_team_id)
        if kr.id is not None:
            view.key_results.append(KrView(
                kr.id, kr.key, kr.title, kr_owner_name, kr.confidence,
                colour(kr.confidence, org.red_max, org.green_min), progress_text(kr), percent(kr),
                href=key_result_path(kr.key, org.id)))
    krs = [kr for view in views.values() for kr in view.key_results]
    if trends is None:
        weeks = [shift(week, -n) for n in range(TREND_WEEKS - 1, -1, -1)]
        trends = confidence_trends(session, [kr.id for kr in krs], weeks, org.timezone)
    for kr in krs:
        kr.trend = trends.get(kr.id, ())
    return list(views.values())


def _summaries(session: Session, org: Organization, cycle: Cycle | None, week: str, teams: list[Team]):
    """Key-result count, average confidence, reds and this week's wins per team: two grouped statements."""
    summaries = {t.id: TeamSummary(t.key, t.name, t.level) for t in teams}
    if not teams:
        return summaries
    ids = list(summaries)
    if cycle is not None:
        for team_id, count, average, red in session.execute(
            select(Objective.owner_team_id, func.count(KeyResult.id), func.avg(KeyResult.confidence),
                   func.sum(case((KeyResult.confidence <= org.red_max, 1), else_=0)))
            .join(Objective, Objective.id == KeyResult.objective_id)
            # Scoped by the teams, which are this organization's: no org_id test for the planner to prefer.
            .where(Objective.cycle_id == cycle.id, Objective.status != "closed", KeyResult.live,
                   Objective.level != "individual", Objective.owner_team_id.in_(ids))
            .group_by(Objective.owner_team_id)
        ):
            summary = summaries[team_id]
            summary.krs, summary.average, summary.red = count, round(float(average), 1), int(red or 0)
            summary.colour = colour(round(float(average)), org.red_max, org.green_min)
    for team_id, count in session.execute(
        select(Win.team_id, func.count()).where(Win.org_id == org.id, Win.week == week, Win.team_id.in_(ids))
        .group_by(Win.team_id)
    ):
        summaries[team_id].wins = count
    return summaries


def _wins(
    session: Session, org: Organization, week: str, team_id: int | None, limit: int, count: bool = True
) -> tuple[list[WinView], int]:
    author = aliased(Person)
    conditions = [Win.org_id == org.id, Win.week == week] + ([Win.team_id == team_id] if team_id else [])
    rows = session.execute(
        select(Win.text, author.name, Team.name, Team.key)
        .join(Team, Team.id == Win.team_id).outerjoin(author, author.id == Win.author_person_id)
        .where(*conditions).order_by(Win.at.desc(), Win.id.desc()).limit(limit)
    ).all()
    views = [WinView(*row) for row in rows]
    if not count or len(views) < limit:
        return views, len(views)
    return views, session.scalar(select(func.count()).select_from(Win).where(*conditions)) or 0


def _team_keys(teams: list[Team]) -> list[str]:
    return [t.key for t in teams if t.level in ("company", "department")][:300]


def company_page(
    session: Session, org: Organization, viewer: Person | None, now: datetime, cycle_name: str | None, page: int
) -> CompanyPage:
    cycles = cycles_of(session, org)
    cycle = pick_cycle(session, org, cycles, cycle_name, now)
    week = local_week(now, org.timezone)
    teams = list(session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.name, Team.id)))
    roots = [t for t in teams if t.level == "company" or t.parent_id is None]
    departments = [t for t in teams if t.level == "department"]
    pages = max(1, -(-len(departments) // DEPARTMENTS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = departments[(page - 1) * DEPARTMENTS_PER_PAGE : page * DEPARTMENTS_PER_PAGE]
    shown_ids = {d.id for d in shown}
    children: dict[int, list[Team]] = defaultdict(list)
    for team in teams:
        if team.parent_id in shown_ids:
            children[team.parent_id].append(team)
    listed = [t for d in shown for t in children[d.id][:TEAMS_PER_DEPARTMENT]]
    summaries = _summaries(session, org, cycle, week, [*roots, *shown, *listed])
    root_ids = [t.id for t in roots if t.level == "company"]
    objectives = _objectives(session, org, cycle, week, Objective.owner_team_id.in_(root_ids + [d.id for d in shown]),
                             Objective.level != "individual")
    by_team: dict[int, list[ObjectiveView]] = defaultdict(list)
    for view in objectives:
        by_team[view.team_id].append(view)
    visible = visible_individual(viewer)
    individual = _objectives(session, org, cycle, week, Objective.level == "individual", visible,
                             limit=300) if visible is not None else []
    wins, total = _wins(session, org, week, None, WINS_SHOWN)
    return CompanyPage(
        org=org, cycle=cycle, cycles=cycles, week=week,
        company=[summaries[t.id] for t in roots],
        objectives=[v for t in root_ids for v in by_team[t]],
        departments=[
            DepartmentView(summaries[d.id], by_team[d.id],
                           [summaries[t.id] for t in children[d.id][:TEAMS_PER_DEPARTMENT]],
                           max(0, len(children[d.id]) - TEAMS_PER_DEPARTMENT))
            for d in shown
        ],
        page=page, pages=pages, individual=individual, wins=wins, wins_total=total, team_keys=_team_keys(teams),
    )


def top_teams(session: Session, org: Organization) -> list[Team]:
    """The top of the tree: teams with no parent (usually the company)."""
    return list(session.scalars(select(Team).where(Team.org_id == org.id, Team.parent_id.is_(None))
                                .order_by(Team.name, Team.id)))


def team_page(
    session: Session, org: Organization, team: Team, viewer: Person | None, now: datetime, cycle_name: str | None
) -> TeamPage:
    cycles = cycles_of(session, org)
    cycle = pick_cycle(session, org, cycles, cycle_name, now)
    week = local_week(now, team_timezone(session, team, org))
    related = list(session.scalars(select(Team).where(Team.org_id == org.id, or_(
        Team.parent_id == team.id, Team.level.in_(("company", "department")))).order_by(Team.name, Team.id)))
    by_id = {t.id: t for t in related}
    by_id[team.id] = team
    chain, node = [], by_id.get(team.parent_id) if team.parent_id else None
    while node is not None and node not in chain:
        chain.insert(0, node)
        node = by_id.get(node.parent_id) if node.parent_id else None
    all_kids = [t for t in related if t.parent_id == team.id]
    kids = all_kids[:CHILDREN_SHOWN]
    summaries = _summaries(session, org, cycle, week, [team, *kids])
    square = four_square(session, org, team, week, now)
    # The four-square shows the current cycle with each key result's trend: reuse them when that cycle is shown.
    known = {status.kr_id: status.trend for status in square.okrs}
    same_cycle = cycle is not None and square.cycle == cycle.name
    objectives = _objectives(session, org, cycle, week, Objective.owner_team_id == team.id,
                             Objective.level != "individual", trends=known if same_cycle else None)
    visible = visible_individual(viewer)
    individual = []
    if visible is not None:
        members = select(TeamMember.person_id).where(TeamMember.team_id == team.id)
        individual = _objectives(session, org, cycle, week, Objective.level == "individual", visible,
                                 Objective.owner_person_id.in_(members), limit=300)
    wins, _total = _wins(session, org, week, team.id, 200, count=False)
    return TeamPage(
        org=org, cycle=cycle, cycles=cycles, week=week, team=summaries[team.id],
        chain=[TeamSummary(t.key, t.name, t.level) for t in chain], objectives=objectives,
        children=[summaries[t.id] for t in kids], more_children=len(all_kids) - len(kids), individual=individual,
        four_square=card_to_dict(four_square_card(square, org, base="")), wins=wins, team_keys=_team_keys(related),
    )
