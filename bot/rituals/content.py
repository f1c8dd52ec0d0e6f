"""What each ritual says, as neutral cards, and to whom.

A ritual run is one or more messages, each with a stable key so a resumed run sends only what is
missing: "channel" (the post in the team's channel), "thread" (the wrap-up reply in the Friday
thread) and "dm:<person id>" (a direct message). Individual objectives are personal: they only ever
go to their owner directly, never into a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import i18n
from bot.away import away_on, local_day
from bot.bidi import isolate
from bot.cards import kr_line
from bot.context import current_cycle, person_language, team_language
from bot.model import Actions, Button, Card, Context, Text
from bot.render import render
from bot.rituals import catalog
from bot.rituals.catalog import Occasion
from bot.rituals.schedule import occurrence
from bot.services.foursquare import four_square, four_square_card
from bot.services.priorities import week_priorities
from bot.services.status_report import led_teams, status_report, wins_summary_card
from bot.services.warnings import response_plans
from bot.services.weekly import WIN_MARK, count_wins
from bot.teams import primary_team
from storage.models import (
    CheckIn,
    KeyResult,
    Objective,
    Organization,
    Person,
    RitualRun,
    RitualSetting,
    Team,
    TeamMember,
)


@dataclass(frozen=True)
class Outbound:
    """One message of a run. `person_id` is set for direct messages; `channel` (platform, channel id) for a post
    in a channel other than the team's own (a subscribed channel: bot.services.subscriptions)."""

    key: str
    card: Card
    person_id: int | None = None
    channel: tuple[str, str] | None = None

    @property
    def direct(self) -> bool:
        return self.person_id is not None


def channel_card(session: Session, org: Organization, team: Team, ritual: str, week: str, now: datetime,
                 base: str | None = None) -> Card:
    """A channel ritual's post as it would be drawn now (the worker's first post, the redraws); key results
    link to their pages under `base`."""
    build = catalog.CATALOG[ritual].post_builder()
    if build is None:
        raise ValueError(f"ritual {ritual!r} has no channel post")
    with i18n.speaking(team_language(team, org)):
        return build(Occasion(session, org, team, week, now, base))


def four_square_post(o: Occasion) -> Card:
    """Monday: the team's four-square for the week, then the leads' response plans to last week's early warnings."""
    card = four_square_card(four_square(o.session, o.org, o.team, o.period, o.now), o.org, o.base)
    plans = response_plans(o.session, o.team, o.period)
    if not plans:
        return card
    return replace(card, elements=(*card.elements, Text(render("warning_plans", plans=plans))))


def friday_post(o: Occasion) -> Card:
    return friday_card(o.session, o.team, o.period, o.now)


def wrapup_post(o: Occasion) -> Card:
    """The wrap-up, in the Friday post's thread: the count and the list of the week's wins."""
    return wins_summary_card(o.session, o.org, o.team, o.period)


def friday_card(session: Session, team: Team, week: str, now: datetime) -> Card:
    """Opens the week's wins thread: the P1s, each with a "done?" button, and a call for replies."""
    p1s = [p for p in week_priorities(session, team, week, now) if p.level == "P1" and p.status != "dropped"]
    elements: list = [Text(render("ritual_friday", team=team.name, week=week, count=len(p1s)))]
    for priority in p1s:
        elements.append(Text(render("ritual_friday_p1", text=priority.text, done=priority.status == "done")))
        if priority.status != "done":
            elements.append(Actions((Button(i18n.gettext("Done?"), "priority_done", value=str(priority.id)),)))
    # The count keeps up: a new win marks this post for a redraw (bot.rituals.refresh).
    elements.append(Text(render("ritual_friday_wins", count=count_wins(session, team.id, week))))
    elements.append(Context(render("ritual_friday_invite", mark=WIN_MARK)))
    # The wins of this post's week, even when the button is pressed after the week has turned.
    elements.append(Actions((Button(i18n.gettext("Add a win"), "win_open", value=f"{team.id}:{week}"),)))
    title = render("ritual_friday_title", team=team.name, week=week)
    return Card(title, tuple(elements), fallback=title)


def _members(session: Session, team: Team) -> list[Person]:
    return list(session.scalars(
        select(Person).join(TeamMember, TeamMember.person_id == Person.id)
        .where(TeamMember.team_id == team.id).order_by(Person.name, Person.id)
    ))


def objectives_messages(o: Occasion) -> list[Outbound]:
    """Each member's individual objectives, sent to them alone (from their primary team only)."""
    session, org, team, week, now, base = o.session, o.org, o.team, o.period, o.now, o.base
    cycle = current_cycle(session, org, now)
    if cycle is None:
        return []
    messages = []
    for person in _members(session, team):
        primary = primary_team(session, org.id, person.id)  # the one team whose rituals speak to them
        if primary is None or primary.id != team.id:
            continue
        objectives = list(session.scalars(
            select(Objective).where(
                Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.level == "individual",
                Objective.owner_person_id == person.id, Objective.status == "active",
            ).order_by(Objective.position, Objective.id)
        ))
        if not objectives:
            continue
        with i18n.speaking(person_language(session, org, person)):
            messages.append(_objectives_message(session, org, person, objectives, week, base))
    return messages


def _objectives_message(session: Session, org: Organization, person: Person, objectives: list[Objective],
                        week: str, base: str | None) -> Outbound:
    """One member's individual objectives, in the language being spoken."""
    elements: list = [Text(render("ritual_objectives", name=person.name, week=week, count=len(objectives)))]
    for objective in objectives:
        elements.append(Text(f"*{isolate(objective.title)}*"))
        krs = session.scalars(select(KeyResult).where(KeyResult.objective_id == objective.id,
                                                      KeyResult.live)
                              .order_by(KeyResult.position, KeyResult.id))
        elements.extend(kr_line(kr, org, base=base) for kr in krs)
    elements.append(Actions((Button(i18n.gettext("Update my confidence"), "checkin_open", style="primary"),)))
    title = render("ritual_objectives_title", week=week)
    return Outbound(f"dm:{person.id}", Card(title, tuple(elements), fallback=title), person.id)


def report_messages(o: Occasion) -> list[Outbound]:
    """The weekly status report, rolled up, to each lead for whom this is the first team they lead.

    `status_report` already rolls up everything a lead leads, so a lead of several teams gets one
    report: from the run of the first of their top teams (`led_teams` order).
    """
    session, org, team, week, now, base = o.session, o.org, o.team, o.period, o.now, o.base
    leads = session.scalars(
        select(Person).join(TeamMember, TeamMember.person_id == Person.id)
        .where(TeamMember.team_id == team.id, TeamMember.role == "lead").order_by(Person.name, Person.id)
    ).all()
    messages = []
    for lead in leads:
        tops = led_teams(session, org, lead)
        if not tops or tops[0].id != team.id:
            continue
        with i18n.speaking(person_language(session, org, lead)):
            messages.append(Outbound(f"dm:{lead.id}", status_report(session, org, lead, week, now, base), lead.id))
    return messages


def nudge_messages(o: Occasion) -> list[Outbound]:
    """A reminder to each owner of the team's key results who has not checked in since the Monday post, unless they
    are away today (bot.away); the key results of an owner away are the delegate's to check in on, so a delegate
    named (and not away too) is reminded of those of them nobody checked in on since."""
    session, org, team, week, now = o.session, o.org, o.team, o.period, o.now
    since = monday_post_time(session, team, week, o.zone)
    cycle = current_cycle(session, org, now)
    if cycle is None:
        return []
    krs = list(session.scalars(
        select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id).where(
            Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.owner_team_id == team.id,
            Objective.status == "active", KeyResult.owner_person_id.is_not(None), KeyResult.live,
        ).order_by(KeyResult.position, KeyResult.id)
    ))
    owners: dict[int, list[KeyResult]] = {}
    for kr in krs:
        owners.setdefault(kr.owner_person_id, []).append(kr)
    day = local_day(now, o.zone)
    away = away_on(session, owners, day)
    delegated = {person_id: owners.pop(person_id) for person_id in away}
    checked_in = set(session.scalars(
        select(CheckIn.person_id).where(
            CheckIn.org_id == org.id, CheckIn.person_id.in_(owners), CheckIn.at >= since, CheckIn.source != "import"
        ).group_by(CheckIn.person_id).having(func.count() > 0)
    )) if owners else set()
    stand_ins = _stand_ins(session, away, delegated, since, day)
    messages = []
    for person_id in [*owners, *(d for d in stand_ins if d not in owners)]:
        owned = owners.get(person_id, []) if person_id not in checked_in else []
        standing = stand_ins.get(person_id, [])
        if not owned and not standing:
            continue
        person = session.get(Person, person_id)
        with i18n.speaking(person_language(session, org, person)):
            elements = _nudge_elements(o, person, owned, standing)
            elements.append(Actions((Button(i18n.gettext("Check in"), "checkin_open", style="primary"),)))
            title = render("ritual_nudge_title", week=week)
        messages.append(Outbound(f"dm:{person_id}", Card(title, tuple(elements), fallback=title), person_id))
    return messages


def _stand_ins(session: Session, away: dict, delegated: dict[int, list[KeyResult]], since: datetime,
               day) -> dict[int, list[tuple[Person, str, list[KeyResult]]]]:
    """delegate id -> (the owner away, until when, their key results nobody checked in on since `since`), for
    the owners away who named a delegate who is not away too."""
    named = {owner: period.delegate_person_id for owner, period in away.items() if period.delegate_person_id}
    if not named:
        return {}
    also_away = away_on(session, named.values(), day)
    wanted = [kr.id for owner in named for kr in delegated[owner]]
    done = set(session.scalars(select(CheckIn.key_result_id).where(
        CheckIn.key_result_id.in_(wanted), CheckIn.at >= since, CheckIn.source != "import").distinct()))
    found: dict[int, list[tuple[Person, str, list[KeyResult]]]] = {}
    for owner, delegate in named.items():
        open_ = [kr for kr in delegated[owner] if kr.id not in done]
        if open_ and delegate not in also_away:
            found.setdefault(delegate, []).append((session.get(Person, owner), away[owner].end.isoformat(), open_))
    return found


def _nudge_elements(o: Occasion, person: Person, owned: list[KeyResult],
                    standing: list[tuple[Person, str, list[KeyResult]]]) -> list:
    """One's own key results not checked in on, then those of each colleague away one stands in for."""
    elements: list = []
    if owned:
        elements.append(Text(render("ritual_nudge", name=person.name, team=o.team.name, week=o.period,
                                    count=len(owned))))
        elements.extend(kr_line(kr, o.org, base=o.base) for kr in owned)
    for index, (owner, end, krs) in enumerate(standing):
        elements.append(Text(render("ritual_nudge_delegate", name=person.name, greet=not owned and not index,
                                    away=owner.name, end=end, team=o.team.name, count=len(krs))))
        elements.extend(kr_line(kr, o.org, base=o.base) for kr in krs)
    return elements


def monday_post_time(session: Session, team: Team, week: str, zone: str) -> datetime:
    """When this week's Monday post went out, else when it was due: the nudge counts check-ins since."""
    monday = catalog.CATALOG["monday"]
    run = session.scalar(select(RitualRun).where(
        RitualRun.team_id == team.id, RitualRun.ritual == monday.name, RitualRun.period == week))
    if run is not None and run.posted_at is not None:
        return run.posted_at
    setting = session.get(RitualSetting, (team.id, monday.name))
    weekday, at = (setting.weekday, setting.time) if setting else (monday.weekday, monday.time)
    return occurrence(monday.name, weekday, at, week, zone).at


def lead_alert_card(team_name: str, team_key: str, ritual: str, week: str, channel: str, reason: str,
                    prefix: str) -> Card:
    """Told once to a team's leads when a ritual could not be posted and retrying will not help."""
    text = render("ritual_lead_alert", team=team_name, ritual=ritual, name=catalog.CATALOG[ritual].spoken_title,
                  week=week, channel=channel, reason=reason, prefix=prefix, key=team_key)
    return Card(None, (Text(text),), fallback=text)
