"""The organizers' daily digest of new proposals (#12: "organizers see them on the dashboard and in a digest").

While a cycle is planned, people propose objectives at any hour (bot.services.proposals). The company's leads,
who merge the duplicates and shortlist, get one direct message a day with the proposals that came in since the
last one, and a button to the dashboard's proposals page: at DIGEST_TIME in the organization's zone, the
morning after a day with new proposals, never on a day without. A proposal schedules that morning's digest as
an event run of the catalog's "proposal_digest" ritual (one per company team and day: the run's unique key), due then;
the clock claims it when it is due and sends it exactly once, like every ritual.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import person_language, team_leads
from bot.i18n import speaking, weekday_day
from bot.model import Actions, Button, Card, Context, Text
from bot.render import render, render_macro
from bot.rituals import runs
from bot.rituals.catalog import Occasion
from bot.rituals.content import Outbound
from bot.rituals.schedule import resolve_local
from bot.services.mission import company_teams
from storage.models import Cycle, Organization, Proposal

RITUAL = "proposal_digest"
DIGEST_TIME = time(9, 0)
MAX_SHOWN = 20


def _due(day: date, zone: str) -> datetime:
    return resolve_local(day, DIGEST_TIME, ZoneInfo(zone))


def schedule(session: Session, org: Organization, now: datetime) -> None:
    """A proposal came in: the organizers' next digest is due at the next DIGEST_TIME (once per day)."""
    local = now.astimezone(ZoneInfo(org.timezone))
    day = local.date() if local.time() < DIGEST_TIME else local.date() + timedelta(days=1)
    teams = [team.id for team in company_teams(session, org)]
    runs.event_runs(session, org.id, teams, RITUAL, day.isoformat(), now, due_at=_due(day, org.timezone))


def digest_messages(o: Occasion) -> list[Outbound]:
    """The proposals of the day before the run's morning, to each lead of the company team, in their language."""
    from bot.services.proposals import numbered  # proposals schedules digests: imported when one is sent

    due = _due(date.fromisoformat(o.period), o.org.timezone)
    since = due - timedelta(days=1)
    cycle_ids = {item.cycle_id for item in _new_proposals(o, since, due)}
    messages = []
    for cycle_id in sorted(cycle_ids):
        cycle = o.session.get(Cycle, cycle_id)
        items = numbered(o.session, cycle)
        new = [item for item in items if since <= item.row.created_at < due]
        shortlisted = sum(1 for item in items if item.open and item.row.shortlisted)
        for person in team_leads(o.session, o.team):
            with speaking(person_language(o.session, o.org, person)):
                title = render_macro("proposals_digest", "title", cycle=cycle.name)
                elements: list = [Text(render_macro("proposals_digest", "intro", count=len(new), total=len(items),
                                                    shortlisted=shortlisted, cycle=cycle.name,
                                                    since=weekday_day(since.astimezone(ZoneInfo(o.org.timezone)))))]
                elements.extend(Text(render_macro("proposals", "line", number=item.number, text=item.row.text,
                                                  author=item.author, votes=item.votes,
                                                  shortlisted=item.row.shortlisted, merged_into=item.merged_into,
                                                  mine=False)) for item in new[:MAX_SHOWN])
                if len(new) > MAX_SHOWN:
                    elements.append(Context(render("more_not_shown", count=len(new) - MAX_SHOWN)))
                if o.base:
                    elements.append(Actions((Button(render_macro("proposals_digest", "button"), "proposals_open",
                                                    url=f"{o.base.rstrip('/')}/proposals"),)))
                messages.append(Outbound(f"dm:{person.id}:{cycle.id}", Card(title, tuple(elements), fallback=title),
                                         person.id))
    return messages


def _new_proposals(o: Occasion, since: datetime, due: datetime) -> list[Proposal]:
    return list(o.session.scalars(select(Proposal).where(Proposal.org_id == o.org.id, Proposal.created_at >= since,
                                                    Proposal.created_at < due)))
