"""The demo's quarters around the running one (#12: "a closed previous quarter with scores and lessons, and a
planning window for the next").

The previous quarter is closed: its objectives and key results carry the owners' scores, notes and answers to
"did it move the business?", the objectives the mean of their key results, one key result was removed and one
target changed in the open (the change history, with reasons), a few check-ins draw each key result's chart,
and every team's retrospective left lessons (keep / stop / start / what we learned). The next quarter's
planning is open. Rows are written as the chat would have left them, but straight into the tables: a past
change is history, not news, so nothing is announced.

The three cycles are consecutive calendar quarters; `place_quarters` puts them around today (a fresh load, and
`demo-data --refresh` weeks later), keeping their order and names in step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.checkins import record_checkin
from bot.services.scores import objective_mean
from storage.models import Cycle, KeyResult, Lesson, Objective, OkrChange, Organization, Person, Team

SOURCE = "demo"
PLANNING_WEEKS = 4  # the next quarter's planning opens four weeks before it starts (or today, when later)

# The previous quarter: (objective key, team, title, why, [(kr key, title, start, target, unit, owner, score,
# moved the business?, note)]).
PREVIOUS = (
    ("retail-p1", "retail", "Win the new regions", "Growth outside the first-tier cities is where the families are",
     [("retail-p1-kr1", "Stores live in the new regions", 0, 40, "stores", "ceo@example.com", 0.9, True,
       "38 of 40; the last two open in the first week of the quarter"),
      ("retail-p1-kr2", "Repeat customers in the new regions", 10, 30, "%", "vp.ecology@example.com", 0.6, True,
       "Repeat visits grew once delivery reached two days")]),
    ("rd-p1", "rd-efficiency", "Make releases boring", "Every late release cost a weekend and a merchant",
     [("rd-p1-kr1", "Releases without a rollback", 70, 95, "%", "director.rd@example.com", 0.8, True,
       "Canary releases did most of it"),
      ("rd-p1-kr2", "Median lead time for requests", 60, 40, "days", "engineer@example.com", 0.5, False,
       "Lead time fell, but merchants did not notice yet"),
      ("rd-p1-kr3", "Interfaces with contract tests", 10, 60, "interfaces", "engineer@example.com", None, None,
       None)]),
    ("hr-p1", "ecology-hr", "Hire the seniors the platform needs", "Three teams waited a quarter for a lead",
     [("hr-p1-kr1", "Senior offers accepted", 0, 8, "hires", "hr.partner@example.com", 0.7, True,
       "Six accepted, two declined for relocation")]),
)
REMOVED = ("rd-p1-kr3", "The interfaces moved to the platform team in week 6", "director.rd@example.com")
TARGET_CHANGE = ("retail-p1-kr1", "target", "50", "40", "Two regions were postponed by the board",
                 "ceo@example.com")
LESSONS = {
    "retail": [("learned", "Opening before delivery works only brings one-time customers"),
               ("keep", "The weekly region call with the store managers")],
    "rd-efficiency": [("keep", "Canary releases for every payment interface"),
                      ("stop", "Estimating lead time from tickets instead of measuring it"),
                      ("start", "Asking merchants what 'faster' means to them"),
                      ("learned", "A key result that another team owns the work of is not ours to set")],
    "ecology-hr": [("keep", "Senior engineers in every final interview"),
                   ("start", "Offering relocation help up front")],
}


def quarter_start(day: date, offset: int = 0) -> date:
    """The first day of the calendar quarter `offset` quarters from the one holding `day`."""
    index = day.year * 4 + (day.month - 1) // 3 + offset
    return date(index // 4, index % 4 * 3 + 1, 1)


def quarter_name(start: date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def add_quarters(session: Session, org: Organization, now: datetime) -> dict[str, int]:
    """The closed quarter before the running one and the planning window after it; what was written, counted."""
    current = session.scalars(select(Cycle).where(Cycle.org_id == org.id).order_by(Cycle.start)).one()
    before = Cycle(org_id=org.id, name=f"{current.name} (before)", start=current.start - timedelta(days=92),
                   end=current.start - timedelta(days=1), closed_at=now)  # closed: place_quarters dates it
    after = Cycle(org_id=org.id, name=f"{current.name} (after)", start=current.end + timedelta(days=1),
                  end=current.end + timedelta(days=92))
    session.add_all((before, after))
    session.flush()
    place_quarters(session, org, now)
    people = dict(session.execute(select(Person.email, Person.id).where(Person.org_id == org.id)).all())
    teams = {team.key: team for team in session.scalars(select(Team).where(Team.org_id == org.id))}
    closed_at = before.closed_at or now
    counts = {"lessons": 0}
    krs: dict[str, tuple[KeyResult, Objective]] = {}
    objectives = []
    for position, (key, team_key, title, why, results) in enumerate(PREVIOUS):
        team = teams[team_key]
        objective = Objective(org_id=org.id, cycle_id=before.id, key=key, title=title, level=team.level,
                              type="business", owner_team_id=team.id, status="active", position=position, why=why)
        session.add(objective)
        session.flush()
        objectives.append(objective)
        for kr_position, (code, kr_title, start, target, unit, owner, score, moved, note) in enumerate(results):
            kr = KeyResult(org_id=org.id, objective_id=objective.id, key=code, title=kr_title,
                           owner_person_id=people[owner], start_value=start, target_value=target, unit=unit,
                           confidence=5, position=kr_position, score=score, score_note=note, moved_business=moved,
                           scored_at=closed_at - timedelta(days=1) if score is not None else None)
            session.add(kr)
            krs[code] = (kr, objective)
        session.flush()
    for kr, _objective in krs.values():
        _history(session, kr, before, score_of(kr))
    _changes(session, org, before, krs, people)
    for objective in objectives:
        objective.score = objective_mean(session, objective)
    for team_key, lessons in LESSONS.items():
        for n, (kind, text) in enumerate(lessons):
            session.add(Lesson(org_id=org.id, cycle_id=before.id, team_id=teams[team_key].id, kind=kind, text=text,
                               platform="sandbox", message_id=f"demo-lesson-{team_key}-{n}",
                               at=closed_at - timedelta(days=2, hours=n)))
            counts["lessons"] += 1
    session.flush()
    return {"past objectives": len(objectives), "past key results": len(krs), **counts}


def score_of(kr: KeyResult) -> float:
    """How far the key result got, for its check-ins: its score, or a little way for an unscored one."""
    return kr.score if kr.score is not None else 0.3


def _history(session: Session, kr: KeyResult, cycle: Cycle, share: float) -> None:
    """Four check-ins across the quarter toward the share of the target it reached, confidence following."""
    for n, (fraction, confidence) in enumerate(((0.1, 5), (0.35, 6), (0.6, 6), (0.9, 5 + round(share * 4)))):
        day = cycle.start + timedelta(days=round((cycle.end - cycle.start).days * fraction))
        value = kr.start_value + (kr.target_value - kr.start_value) * share * (n + 1) / 4
        record_checkin(session, kr, person_id=kr.owner_person_id, at=datetime.combine(day, time(2, n), tzinfo=UTC),
                       source=SOURCE, confidence=confidence, value=float(round(value)), note=None if n < 3 else
                       kr.score_note)


def _changes(session: Session, org: Organization, cycle: Cycle, krs: dict, people: dict[str, int]) -> None:
    """The previous quarter's two honest changes, as `/okr change` keeps them (not announced again)."""
    middle = datetime.combine(cycle.start + timedelta(days=45), time(3), tzinfo=UTC)
    code, reason, by = REMOVED
    kr, objective = krs[code]
    kr.removed_at, kr.removed_reason = middle, reason
    code, field, old, new, why, who = TARGET_CHANGE
    changed, changed_objective = krs[code]
    session.add_all((
        OkrChange(org_id=org.id, cycle_id=cycle.id, objective_id=objective.id, key_result_id=kr.id, subject=kr.key,
                  field="removed", old=kr.title, new=None, reason=reason, person_id=people[by], source="sandbox",
                  batch="demo-1", at=middle),
        OkrChange(org_id=org.id, cycle_id=cycle.id, objective_id=changed_objective.id, key_result_id=changed.id,
                  subject=changed.key, field=field, old=old, new=new, reason=why, person_id=people[who],
                  source="sandbox", batch="demo-2", at=middle - timedelta(days=10)),
    ))


def place_quarters(session: Session, org: Organization, now: datetime) -> None:
    """Put the demo's consecutive quarters around today: the first not closed one is today's quarter, those
    before it the quarters before (closed a few days after their end), those after it the quarters after (the
    next one's planning open). The example's own quarter, when it is today's, stays as the file has it."""
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    cycles = list(session.scalars(select(Cycle).where(Cycle.org_id == org.id).order_by(Cycle.start)))
    if not cycles:
        return
    current = next((i for i, c in enumerate(cycles) if c.closed_at is None), 0)
    for cycle in cycles:
        cycle.name = f"demo-{cycle.id}"  # names are unique: clear them all before giving the new ones
    session.flush()
    for offset, cycle in enumerate(cycles):
        start = quarter_start(today, offset - current)
        cycle.name, cycle.start, cycle.end = quarter_name(start), start, quarter_start(start, 1) - timedelta(days=1)
        if offset < current:
            closed = datetime.combine(cycle.end + timedelta(days=5), time(2), tzinfo=UTC)
            cycle.closed_at = min(closed, now)
        elif offset > current:
            cycle.planning_from = min(cycle.start - timedelta(weeks=PLANNING_WEEKS), today) if offset == current + 1 \
                else None
    session.flush()
