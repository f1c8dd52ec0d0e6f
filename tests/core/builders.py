"""Small builders for hand-made organizations, when the example file is not the shape a test needs.

They write real rows through the ORM (no mocks); every function flushes so ids exist at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from storage.models import (
    CheckIn,
    Cycle,
    HealthMetric,
    HealthUpdate,
    KeyResult,
    Objective,
    Organization,
    Person,
    Plan,
    Priority,
    Team,
    TeamMember,
)

NOW = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)


def _add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def org(session: Session, *, timezone: str = "UTC", multiple: bool = False, name: str = "Acme") -> Organization:
    return _add(session, Organization(name=name, timezone=timezone, multiple_business_lines=multiple,
                                      red_max=3, green_min=8, created_at=NOW))


def person(session: Session, o: Organization, email: str, name: str | None = None) -> Person:
    return _add(session, Person(org_id=o.id, email=email, name=name or email.split("@")[0].title()))


def team(session: Session, o: Organization, key: str, level: str = "team", parent: Team | None = None,
         *, timezone: str | None = None, lead: Person | None = None) -> Team:
    row = _add(session, Team(org_id=o.id, key=key, name=key.replace("-", " ").title(), level=level,
                             parent_id=parent.id if parent else None, timezone=timezone))
    if lead is not None:
        _add(session, TeamMember(team_id=row.id, person_id=lead.id, org_id=o.id, role="lead"))
    return row


def cycle(session: Session, o: Organization, start: date = date(2026, 10, 1), end: date = date(2026, 12, 31),
          name: str = "2026-Q4") -> Cycle:
    return _add(session, Cycle(org_id=o.id, name=name, start=start, end=end))


def objective(session: Session, o: Organization, c: Cycle, key: str, level: str = "team", *, owner: Team | None = None,
              person_owner: Person | None = None, type: str = "business", source: str | None = None,
              aligns_to: Objective | None = None, aligns_to_kr: KeyResult | None = None,
              status: str = "active") -> Objective:
    return _add(session, Objective(
        org_id=o.id, cycle_id=c.id, key=key, title=f"Objective {key}", level=level, type=type, source=source,
        owner_team_id=owner.id if owner else None, owner_person_id=person_owner.id if person_owner else None,
        aligns_to_objective_id=aligns_to.id if aligns_to else None,
        aligns_to_kr_id=aligns_to_kr.id if aligns_to_kr else None, status=status,
    ))


def key_result(session: Session, o: Organization, ob: Objective, key: str, *, owner: Person | None = None,
               confidence: int = 5, target: float | None = 10, milestone: str | None = None,
               position: int = 0) -> KeyResult:
    return _add(session, KeyResult(
        org_id=o.id, objective_id=ob.id, key=key, title=f"Key result {key}",
        owner_person_id=owner.id if owner else None,
        start_value=0 if target is not None else None, target_value=target, milestone=milestone,
        confidence=confidence, position=position,
    ))


def checkin(session: Session, kr: KeyResult, at: datetime, confidence: int, source: str = "cli") -> CheckIn:
    """A check-in at a chosen moment, keeping the key result's cached confidence like the service does."""
    row = _add(session, CheckIn(org_id=kr.org_id, key_result_id=kr.id, at=at, confidence=confidence, source=source))
    kr.confidence, kr.updated_at = confidence, at
    return row


def priority(session: Session, t: Team, week: str, level: str, text: str, *, status: str = "open",
             reason: str | None = None, at: datetime = NOW) -> Priority:
    return _add(session, Priority(org_id=t.org_id, team_id=t.id, week=week, level=level, text=text, status=status,
                                  reason=reason, created_at=at))


def plan(session: Session, t: Team, week: str, text: str, at: datetime = NOW) -> Plan:
    return _add(session, Plan(org_id=t.org_id, team_id=t.id, week=week, text=text, created_at=at))


def metric(session: Session, t: Team, name: str, position: int = 0) -> HealthMetric:
    return _add(session, HealthMetric(org_id=t.org_id, team_id=t.id, name=name, position=position))


def health(session: Session, m: HealthMetric, week: str, status: str, at: datetime, note: str | None = None):
    return _add(session, HealthUpdate(org_id=m.org_id, metric_id=m.id, week=week, status=status, note=note, at=at))
