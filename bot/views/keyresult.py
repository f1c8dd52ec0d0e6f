"""A key result's own page (/kr/CODE): what it is, where it sits in the tree, how it moved, and every check-in.

The method asks of each key result "is confidence getting higher or lower? Because what happened?";
the owner's notes answer the second half, so they are shown here in full, newest first, with who
wrote them, when (in the owning team's zone), the value and confidence they set, and from where.
Individual objectives' key results follow bot.views.privacy: their owner and the owner's manager only.
The chart over the cycle is drawn by the web adapter from `history` (adapters/web/svg.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot import changes
from bot.cards import progress_text
from bot.changes import Change
from bot.links import key_result_path
from bot.services.keyresults import colour
from bot.services.trends import WeekChange, own_zone, week_change
from bot.views.privacy import may_see
from storage.models import CheckIn, Cycle, KeyResult, Objective, Organization, Person, Team

HISTORY_SHOWN = 2000  # check-ins listed on the page; `okrbot export --checkins` has all of them


@dataclass(frozen=True)
class Link:
    """Something in the alignment tree: an objective or a key result, with its page when it has one."""

    kind: str  # objective | key result
    key: str
    title: str
    owner: str
    href: str | None


@dataclass(frozen=True)
class CheckInRow:
    at: datetime  # in the owning team's zone
    who: str | None
    confidence: int
    colour: str
    value: float | None
    note: str | None
    source: str


@dataclass(frozen=True)
class ChangeRow:
    at: datetime  # in the owning team's zone
    who: str | None
    what: str  # "target 85 → 90"
    reason: str
    source: str


@dataclass
class KeyResultPage:
    org: Organization
    kr: KeyResult
    objective: Objective
    cycle: Cycle | None
    owner: str | None
    objective_owner: str
    team_key: str | None
    zone: str
    colour: str
    progress: str | None
    change: WeekChange
    supports: list[Link]  # what it contributes to, nearest first: its objective, then what that aligns to
    aligned: list[Link]  # objectives aligned to this key result, with their key results
    history: list[CheckInRow]  # newest first
    total: int
    changes: list[ChangeRow]  # the changes made to it after it was set (bot.changes), oldest first
    original_target: str | None  # the target before its first change: what its score is taken against
    removed_on: datetime | None = None  # when an honest change removed it (owning team's zone); None while live


def find_key_result(session: Session, org: Organization, code: str) -> tuple[KeyResult, Objective] | None:
    """By its code in any letter case, within the organization only."""
    row = session.execute(
        select(KeyResult, Objective).join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.org_id == org.id, func.lower(KeyResult.key) == code.strip().lower()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def _owner_name(session: Session, objective: Objective) -> str:
    if objective.owner_team_id:
        team = session.get(Team, objective.owner_team_id)
        return team.name if team else "nobody"
    person = session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    return person.name if person else "nobody"


def _objective_link(session: Session, objective: Objective, viewer: Person | None) -> Link:
    visible = may_see(session, objective, viewer)
    return Link("objective", objective.key, objective.title if visible else "an individual objective",
                _owner_name(session, objective) if visible else "", None)


def _supports(session: Session, org: Organization, objective: Objective, viewer: Person | None) -> list[Link]:
    """The objective, then up the alignment chain (a key result or objective above, and so on), at most 8 up."""
    chain = [_objective_link(session, objective, viewer)]
    node, seen = objective, {objective.id}
    for _ in range(8):
        if node.aligns_to_kr_id:
            parent_kr = session.get(KeyResult, node.aligns_to_kr_id)
            if parent_kr is None:
                break
            parent = session.get(Objective, parent_kr.objective_id)
            chain.append(Link("key result", parent_kr.key, parent_kr.title, _owner_name(session, parent),
                              key_result_path(parent_kr.key, org.id)))
        elif node.aligns_to_objective_id:
            parent = session.get(Objective, node.aligns_to_objective_id)
        else:
            break
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        chain.append(_objective_link(session, parent, viewer))
        node = parent
    return chain


def _aligned(session: Session, org: Organization, kr: KeyResult, viewer: Person | None) -> list[Link]:
    """Objectives aligned to this key result, each followed by its own key results (what to open next)."""
    links: list[Link] = []
    children = session.scalars(select(Objective).where(Objective.org_id == org.id, Objective.aligns_to_kr_id == kr.id)
                               .order_by(Objective.position, Objective.id).limit(200))
    for child in children:
        if not may_see(session, child, viewer):
            continue
        links.append(_objective_link(session, child, viewer))
        for child_kr in session.scalars(select(KeyResult).where(KeyResult.objective_id == child.id,
                                                                          KeyResult.live)
                                        .order_by(KeyResult.position, KeyResult.id)):
            links.append(Link("key result", child_kr.key, child_kr.title, "", key_result_path(child_kr.key, org.id)))
    return links


def key_result_page(session: Session, org: Organization, kr: KeyResult, objective: Objective,
                    viewer: Person | None, now: datetime) -> KeyResultPage:
    zone = own_zone(session, org, objective)
    author = aliased(Person)
    rows = session.execute(
        select(CheckIn.at, author.name, CheckIn.confidence, CheckIn.value, CheckIn.note, CheckIn.source)
        .outerjoin(author, author.id == CheckIn.person_id)
        .where(CheckIn.key_result_id == kr.id).order_by(CheckIn.at.desc(), CheckIn.id.desc()).limit(HISTORY_SHOWN)
    ).all()
    total = len(rows) if len(rows) < HISTORY_SHOWN else session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.key_result_id == kr.id)) or 0
    local = ZoneInfo(zone)
    history = [CheckInRow(at.astimezone(local), who, confidence, colour(confidence, org.red_max, org.green_min),
                          value, note, source) for at, who, confidence, value, note, source in rows]
    changed = []
    for row in changes.history(session, kr.id):
        who = session.get(Person, row.person_id) if row.person_id else None
        what = str(Change(row.subject, row.field, row.old, row.new, 0, 0)).partition(": ")[2]
        changed.append(ChangeRow(row.at.astimezone(local), who.name if who else None, what, row.reason,
                                 row.source))
    cycle = session.get(Cycle, objective.cycle_id)
    team = session.get(Team, objective.owner_team_id) if objective.owner_team_id else None
    owner = session.get(Person, kr.owner_person_id) if kr.owner_person_id else None
    return KeyResultPage(
        org=org, kr=kr, objective=objective, cycle=cycle, owner=owner.name if owner else None,
        objective_owner=_owner_name(session, objective), team_key=team.key if team else None, zone=zone,
        colour=colour(kr.confidence, org.red_max, org.green_min), progress=progress_text(kr),
        change=week_change(session, kr.id, zone, now), supports=_supports(session, org, objective, viewer),
        aligned=_aligned(session, org, kr, viewer), history=history, total=total, changes=changed,
        original_target=changes.originals(session, [kr.id]).get(kr.id, {}).get("target"),
        removed_on=kr.removed_at.astimezone(local) if not kr.live else None,
    )
