"""Who is away on a day (`/okr away`), one rule for every place that asks.

A person away is not nudged nor counted as missing a check-in, shows "away until DATE" beside their name on
the posts, and the delegate they named may check in on their key results meanwhile. Days are dates in the
person's own team's zone (their primary team's, else their own zone, else the organization's): a holiday
in Shanghai starts at midnight in Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import team_timezone
from bot.teams import primary_team
from storage.models import AwayPeriod, Organization, Person


def person_zone(session: Session, org: Organization, person: Person) -> str:
    """The zone a person's away dates are in: their own team's, else their own, else the organization's."""
    team = primary_team(session, org.id, person.id)
    if team is not None:
        return team_timezone(session, team, org)
    return person.timezone or org.timezone


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def away_on(session: Session, person_ids: Iterable[int], day: date) -> dict[int, AwayPeriod]:
    """The away period covering `day` of each of the people who have one, in one statement."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    rows = session.scalars(select(AwayPeriod).where(
        AwayPeriod.person_id.in_(ids), AwayPeriod.start <= day, AwayPeriod.end >= day))
    return {row.person_id: row for row in rows}


def delegated_by(session: Session, org: Organization, delegate_id: int, now: datetime) -> list[Person]:
    """The people away now (each on their own day) who named `delegate_id` to check in for them."""
    candidates = session.execute(
        select(AwayPeriod, Person).join(Person, Person.id == AwayPeriod.person_id)
        .where(AwayPeriod.org_id == org.id, AwayPeriod.delegate_person_id == delegate_id,
               AwayPeriod.start <= now.date() + timedelta(days=1), AwayPeriod.end >= now.date() - timedelta(days=1))
        .order_by(Person.name, Person.id)).all()
    people: dict[int, Person] = {}
    for period, person in candidates:
        if period.start <= local_day(now, person_zone(session, org, person)) <= period.end:
            people[person.id] = person
    return list(people.values())
