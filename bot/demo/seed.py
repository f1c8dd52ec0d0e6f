"""`okrbot demo-data`: the example organization with weeks of ritual history, relative to now.

A person trying okrbot should see every view with something real in it on the first run: key
results whose confidence moved (one that dropped by 3 last week, so the report flags it for
discussion; one nobody updated for three weeks, so the advice notices), priorities done, dropped
with a reason and still open, plans, health metrics turning yellow and red, and Friday wins; and around the
running quarter, the closed one before it (scores, changes, lessons) and the next one's planning (bot.demo.quarters).

Everything goes through the same service functions the chat uses (`record_checkin`) or the same
tables, in the caller's transaction. Running it twice changes nothing: the demo's check-ins carry
source "demo", and an organization that has them is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import i18n
from bot.context import team_timezone
from bot.demo.quarters import add_quarters, place_quarters
from bot.importer import import_text
from bot.services.checkins import record_checkin
from bot.weeks import local_week
from storage.models import (
    CheckIn,
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
    Win,
)

SOURCE = "demo"
# The demo organization speaks Chinese: the retailer of the method's course, in the course's own terms (README,
# Languages). `okrbot demo-data --language en` loads it in another language; its people and teams stay.
DEMO_LANGUAGE = "zh-CN"

# Confidence week by week, oldest first. The method starts every key result at 5.
PATHS = {
    "rise": (5, 5, 6, 6, 7, 7),
    "drop": (5, 6, 7, 7, 7, 4),  # fell by 3 last week: flagged "talk about this"
    "slide": (5, 5, 4, 4, 3, 3),
    "green": (5, 6, 7, 8, 8, 9),
    "wobble": (5, 6, 5, 6, 6, 7),
    "dip": (5, 6, 6, 7, 8, 6),  # fell by 2
}
KR_PATHS = {
    "retail-o3-kr1": "wobble",
    "ecology-o6-kr1": "rise",
    "ecology-o7-kr1": "dip",
    "rd-o1-kr1": "green",
    "rd-o1-kr2": "rise",
    "rd-o1-kr3": "drop",
    "rd-o1-kr4": "slide",
    "hr-o1-kr1": "rise",
    "liu-o1-kr1": "green",
    "liu-o1-kr2": "wobble",
    "liu-o2-kr1": "rise",
    "liu-o2-kr2": "slide",
    "liu-o3-kr1": "rise",
    "liu-o3-kr2": "green",
    "rd-o2-kr1": "wobble",
    "rd-o2-kr2": "dip",
}
UNALIGNED = {
    "key": "rd-o2", "team": "rd-efficiency", "owner": "engineer@example.com", "title": "Cut build times in half",
    "key_results": [("rd-o2-kr1", "Median CI build time", 24.0, 12.0, "minutes", None),
                    ("rd-o2-kr2", "Flaky tests quarantined automatically", None, None, None,
                     "Quarantine job running in CI")],
}
STALE = {"hr-o1-kr1": 3}  # not updated in the last 3 weeks: the advice's "confidence never updated"
NOTES = {
    "rise": "Pilot numbers came in better than planned",
    "drop": "Vendor API slipped two weeks; we need the platform team's help",
    "slide": "Test environment keeps breaking; coverage work is blocked",
    "green": "On track, the last two teams signed up",
    "wobble": "Mixed week: one win, one delay",
    "dip": "Two requests waited on approvals for a week",
}

PRIORITIES = {
    "retail": [("P1", "Agree the Q4 merchant fee changes with finance"), ("P1", "Board update on platform ecology"),
               ("P2", "Interview two candidates for the omni-channel lead")],
    "ecology": [("P1", "Launch the self-service onboarding pilot with 50 merchants"),
                ("P1", "Unblock the cross-team request queue"), ("P2", "Merchant satisfaction survey draft"),
                ("P2", "Review department OKR drafts for next quarter")],
    "rd-efficiency": [("P1", "Ship the automated interface test runner to two teams"),
                      ("P1", "Agile maturity assessment for the payments teams"),
                      ("P2", "Publish the request lead-time dashboard"), ("P2", "Coach two low-scoring teams")],
    "ecology-hr": [("P1", "Close two senior offers"), ("P2", "Refresh the interview guide for senior roles"),
                   ("P2", "Plan the OKR coach training")],
}
DROP_REASONS = ("Superseded by the vendor escalation", "Finance asked us to wait until next month",
                "Merged into the onboarding pilot")
PLANS = {
    "retail": ["Quarterly business review in week 2 of next month", "Decide on the fourth must-win battle"],
    "ecology": ["Roll onboarding out to 500 merchants", "Collaboration retro with the R&D teams"],
    "rd-efficiency": ["Extend the test runner to all payment interfaces", "Run the agile maturity survey again",
                      "Hand over request tracking to the teams"],
    "ecology-hr": ["Senior hiring fair", "First OKR coach cohort starts"],
}
HEALTH = {  # a colour per week, oldest first, cycling when there are more weeks
    "Merchant satisfaction": ("green", "green", "yellow", "yellow", "green", "green"),
    "Team morale": ("green", "yellow", "yellow", "red", "yellow", "green"),
    "On-call load": ("yellow", "yellow", "red", "yellow", "green", "yellow"),
    "Release stability": ("green", "green", "green", "yellow", "green", "green"),
}
HEALTH_NOTES = {"yellow": "Watching this closely", "red": "Needs action this week"}
WINS = {
    "retail": ["Signed two flagship brands to the platform", "Record weekend sales in the new regions"],
    "ecology": ["First 50 merchants onboarded without a call", "Request backlog under 20 for the first time",
                "Merchant forum had 300 attendees"],
    "rd-efficiency": ["Test runner caught a release-blocking bug before production",
                      "Payments team reached agile score 86", "Lead time down to 38 days",
                      "Zero pages on call this weekend"],
    "ecology-hr": ["Senior architect accepted our offer", "Interview guide reused by two other departments"],
}


@dataclass
class SeedSummary:
    organization_id: int
    already_loaded: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def example_text() -> str:
    return resources.files("bot.demo").joinpath("example.yaml").read_text(encoding="utf-8")


def demo_organization(session: Session) -> int | None:
    """The id of the organization the demo was loaded into (the example's name, with demo check-ins)."""
    name = yaml.safe_load(example_text())["organization"]["name"]
    return session.scalar(
        select(CheckIn.org_id).join(Organization, Organization.id == CheckIn.org_id)
        .where(Organization.name == name, CheckIn.source == SOURCE).limit(1)
    )


def seed_demo(session: Session, now: datetime, weeks: int = 6, language: str = DEMO_LANGUAGE) -> SeedSummary:
    """Load the example organization and `weeks` weeks of history ending now, speaking `language` (its
    `organization.language`); a second run does nothing."""
    weeks = max(1, weeks)
    text = example_text()
    # Checked before importing: importing again would reset the demo's confidences to the file's.
    loaded = demo_organization(session)
    if loaded is not None:
        return SeedSummary(loaded, already_loaded=True)
    start = now - timedelta(weeks=weeks, days=1)  # the import's own check-ins come before the history
    org = session.get(Organization, import_text(session, text, start).organization_id)
    org.language = i18n.choose(language)
    place_quarters(session, org, now)
    _unaligned_objective(session, org)
    summary = SeedSummary(org.id)
    summary.counts["check-ins"] = _checkins(session, org, now, weeks)
    teams = session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.id)).all()
    counts = {"priorities": 0, "plans": 0, "health updates": 0, "wins": 0}
    for team in teams:
        zone = team_timezone(session, team, org)
        members = session.scalars(
            select(TeamMember.person_id).where(TeamMember.team_id == team.id)
            .order_by(TeamMember.role, TeamMember.person_id)
        ).all()
        for back in range(weeks - 1, -1, -1):
            moment = now - timedelta(weeks=back)
            week = local_week(moment, zone)
            counts["priorities"] += _priorities(session, team, week, back, members, moment)
            counts["plans"] += _plans(session, team, week, back, members, moment)
            counts["health updates"] += _health(session, team, week, weeks - 1 - back, members, moment)
            if back > 0:  # this week's wins are still to come on Friday
                counts["wins"] += _wins(session, team, week, back, members, moment)
    summary.counts.update(counts)
    summary.counts.update(add_quarters(session, org, now))  # the closed quarter before, the planning one after
    session.flush()
    return summary


def _unaligned_objective(session: Session, org: Organization) -> None:
    """A team objective aligned to nothing above it, so the alignment report has a finding to discuss."""
    team = session.scalar(select(Team).where(Team.org_id == org.id, Team.key == UNALIGNED["team"]))
    owner = session.scalar(select(Person.id).where(Person.org_id == org.id, Person.email == UNALIGNED["owner"]))
    cycle = session.scalar(select(Objective.cycle_id).where(Objective.org_id == org.id).limit(1))
    last = session.scalar(select(func.max(Objective.position)).where(Objective.org_id == org.id)) or 0
    objective = Objective(org_id=org.id, cycle_id=cycle, key=UNALIGNED["key"], title=UNALIGNED["title"],
                          level=team.level, type="business", owner_team_id=team.id, status="active",
                          position=last + 1)
    session.add(objective)
    session.flush()
    for position, (key, title, start, target, unit, milestone) in enumerate(UNALIGNED["key_results"]):
        kr = KeyResult(org_id=org.id, objective_id=objective.id, key=key, title=title, owner_person_id=owner,
                       start_value=start, target_value=target, unit=unit, milestone=milestone, confidence=5,
                       position=position)
        session.add(kr)
    session.flush()


def _checkins(session: Session, org: Organization, now: datetime, weeks: int) -> int:
    rows = session.scalars(
        select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.org_id == org.id).order_by(Objective.position, KeyResult.position, KeyResult.id)
    ).all()
    count = 0
    for index, kr in enumerate(rows):
        kind = KR_PATHS.get(kr.key, tuple(PATHS)[index % len(PATHS)])
        path = _stretch(PATHS[kind], weeks)
        for week_index, confidence in enumerate(path):
            back = weeks - 1 - week_index
            if back < STALE.get(kr.key, 0):
                break
            # A few seconds apart per key result, so the order is stable and never in the future.
            at = now - timedelta(weeks=back, seconds=index + 1)
            last = week_index == len(path) - 1
            note = NOTES[kind] if last or (week_index > 0 and confidence < path[week_index - 1]) else None
            record_checkin(session, kr, person_id=kr.owner_person_id, at=at, source=SOURCE,
                           confidence=confidence, value=_value(kr, (week_index + 1) / (weeks + 3), confidence),
                           note=note)
            count += 1
    return count


def _stretch(path: tuple[int, ...], weeks: int) -> tuple[int, ...]:
    """The path's last `weeks` entries; a longer history starts flat at 5."""
    return path[-weeks:] if weeks <= len(path) else (5,) * (weeks - len(path)) + path


def _value(kr: KeyResult, share: float, confidence: int) -> float | None:
    """Progress toward the target, a little faster when confidence is high."""
    if kr.target_value is None or kr.start_value is None:
        return None
    value = kr.start_value + (kr.target_value - kr.start_value) * share * (0.6 + confidence / 20)
    whole = float(kr.start_value).is_integer() and float(kr.target_value).is_integer()
    return float(round(value)) if whole else round(value, 1)


def _priorities(session: Session, team: Team, week: str, back: int, members, at: datetime) -> int:
    texts = PRIORITIES.get(team.key) or [("P1", f"Weekly review of {team.name}")]
    count = 0
    carried = None
    if back == 0:  # last week's open priority carried into this week, as week_priorities would
        carried = session.scalar(
            select(Priority).where(Priority.team_id == team.id, Priority.status == "open", Priority.week < week)
            .order_by(Priority.week.desc(), Priority.id.desc())
        )
        if carried is not None:
            session.add(Priority(org_id=team.org_id, team_id=team.id, week=week, level=carried.level,
                                 text=carried.text, owner_person_id=carried.owner_person_id, status="open",
                                 carried_from_id=carried.id, created_at=at))
            count += 1
    for n, (level, text) in enumerate(texts[: 4 - count]):
        if carried is not None and text == carried.text:
            continue
        owner = members[(n + back) % len(members)] if members else None
        if back == 0:
            status, reason = {0: ("done", None), 2: ("dropped", DROP_REASONS[n % len(DROP_REASONS)])}.get(
                n, ("open", None))
        elif (n + back) % 4 == 3:
            status, reason = "dropped", DROP_REASONS[(n + back) % len(DROP_REASONS)]
        elif (n + back) % 5 == 4:
            status, reason = "open", None  # not done and not dropped: the report asks why
        else:
            status, reason = "done", None
        session.add(Priority(org_id=team.org_id, team_id=team.id, week=week, level=level, text=text,
                             owner_person_id=owner, status=status, reason=reason,
                             created_at=at - timedelta(minutes=n + 1)))
        count += 1
    session.flush()
    return count


def _plans(session: Session, team: Team, week: str, back: int, members, at: datetime) -> int:
    chosen = PLANS.get(team.key, []) if back == 0 else []  # the next four weeks, as planned this week
    for n, text in enumerate(chosen):
        session.add(Plan(org_id=team.org_id, team_id=team.id, week=week, text=text,
                         author_person_id=members[0] if members else None, created_at=at - timedelta(minutes=n)))
    return len(chosen)


def _health(session: Session, team: Team, week: str, week_index: int, members, at: datetime) -> int:
    metrics = session.scalars(
        select(HealthMetric).where(HealthMetric.team_id == team.id).order_by(HealthMetric.position)
    ).all()
    for metric in metrics:
        colours = HEALTH.get(metric.name, ("green",))
        status = colours[week_index % len(colours)]
        session.add(HealthUpdate(org_id=team.org_id, metric_id=metric.id, week=week, status=status,
                                 note=HEALTH_NOTES.get(status), person_id=members[0] if members else None, at=at))
    return len(metrics)


def _wins(session: Session, team: Team, week: str, back: int, members, at: datetime) -> int:
    texts = WINS.get(team.key, [])
    chosen = [texts[(back + n) % len(texts)] for n in range(1 + back % 2)] if texts else []
    for n, text in enumerate(chosen):
        author = members[(back + n) % len(members)] if members else None
        session.add(Win(org_id=team.org_id, team_id=team.id, week=week, author_person_id=author, text=text,
                        platform="sandbox", message_id=f"demo-{team.key}-{week}-{n}", at=at - timedelta(hours=n)))
    return len(chosen)
