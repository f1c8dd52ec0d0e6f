"""`okrbot export`: an organization back out of SQL, as the import format or as a CSV sheet.

The YAML is the exact format `okrbot import` reads (../shared/examples/okrs.yaml), so an export is
also a backup and a way to move an organization between databases: export, then import into a
fresh database, gives the same people, teams, objectives and key results with their current
confidence and value. Check-in history, priorities, plans, health updates and wins are weekly
ritual data, not set-up, and are not part of the format; the check-in history has a CSV of its own
(`export_checkins_csv`). Every CSV goes through bot.spreadsheet, which neutralises formula cells.

Every table is read with one query, so exporting 30,000 key results is a handful of statements.
The output is deterministic (no timestamps), so two exports of the same data diff cleanly.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import history, platforms
from bot.connectors.spec import sources_of
from bot.levels import Level
from bot.rituals import catalog
from bot.services.keyresults import colour
from bot.spec import (
    FORMAT_VERSION,
    AwaySpec,
    CycleSpec,
    Document,
    KeyResultSpec,
    ObjectiveSpec,
    OrganizationSpec,
    PersonSpec,
    Schedule,
    TeamSpec,
)
from bot.spreadsheet import csv_text
from bot.workspaces import workspaces_of
from storage.models import (
    AwayPeriod,
    ChannelBinding,
    CheckIn,
    Cycle,
    HealthMetric,
    KeyResult,
    Objective,
    Organization,
    Person,
    PlatformAccount,
    RitualSetting,
    SkippedWeek,
    Team,
    TeamMember,
)

# The CSV sheet: one row per key result. README "CLI reference" documents each column.
CSV_COLUMNS = (
    "cycle",
    "objective_key",
    "objective",
    "level",
    "type",
    "status",
    "team",
    "objective_owner",
    "kr_key",
    "key_result",
    "kr_owner",
    "confidence",
    "colour",
    "start",
    "current",
    "target",
    "unit",
    "milestone",
    "updated_at",
)
# `okrbot export --format csv --checkins`: one row per check-in. README "CLI reference" documents each column.
CHECKIN_COLUMNS = (
    "at",
    "kr_key",
    "key_result",
    "objective_key",
    "team",
    "person",
    "person_name",
    "confidence",
    "value",
    "unit",
    "note",
    "source",
)


class ExportFailed(Exception):
    """The organization to export cannot be chosen; the message says how to choose."""


def choose_organization(session: Session, org_id: int | None) -> Organization:
    """The organization asked for, or the only one there is."""
    if org_id is not None:
        org = session.get(Organization, org_id)
        if org is None:
            raise ExportFailed(f"there is no organization {org_id}; {_listing(session)}")
        return org
    orgs = session.scalars(select(Organization).order_by(Organization.id).limit(2)).all()
    if not orgs:
        raise ExportFailed("the database has no organization yet; import one with `okrbot import FILE`")
    if len(orgs) > 1:
        raise ExportFailed(f"the database has several organizations; choose one with --org ID ({_listing(session)})")
    return orgs[0]


def _listing(session: Session) -> str:
    rows = session.execute(select(Organization.id, Organization.name).order_by(Organization.id).limit(20)).all()
    return "organizations: " + (", ".join(f"{i} {name}" for i, name in rows) or "none")


# ------------------------------------------------------------------ YAML


class _Flow(dict):
    """A mapping written on one line, like `{email: a@b, name: A}` in the example file."""


class _FlowList(list):
    """A list written on one line, like `[a@b, c@d]`."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter: 10x faster on big files
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _number(value: float | None) -> int | float | None:
    """Whole numbers as integers (180000, not 180000.0), as a person would write them."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _compact(**items: Any) -> dict:
    """Leave out keys whose value is None: optional keys are simply absent in the format."""
    return {k: v for k, v in items.items() if v is not None}


def build_document(session: Session, org: Organization) -> Document:
    """The organization as the import format's spec: every table read with one query."""
    people, email = _people(session, org.id)
    teams, team_key = _teams(session, org.id, email)
    cycles = session.scalars(select(Cycle).where(Cycle.org_id == org.id).order_by(Cycle.start, Cycle.id)).all()
    return Document(
        organization=OrganizationSpec(
            name=org.name, timezone=org.timezone, language=org.language,
            multiple_business_lines=bool(org.multiple_business_lines),
            red_max=org.red_max, green_min=org.green_min,
            workspaces=workspaces_of(session, org.id), mission=org.mission,
        ),
        cycles=[CycleSpec(c.name, c.start, c.end, c.planning_from, c.closed_at.date() if c.closed_at else None)
                for c in cycles],
        people=people,
        teams=teams,
        objectives=_objectives(session, org.id, {c.id: c.name for c in cycles}, team_key, email),
        changes=history.export_changes(session, org.id, {c.id: c.name for c in cycles}, email),
        lessons=history.export_lessons(session, org.id, {c.id: c.name for c in cycles}, team_key, email),
    )


def _people(session: Session, oid: int) -> tuple[list[PersonSpec], dict[int, str]]:
    """The people, and their emails by id."""
    rows = session.scalars(select(Person).where(Person.org_id == oid).order_by(Person.id)).all()
    email = {p.id: p.email for p in rows}
    accounts: dict[int, dict[str, str]] = defaultdict(dict)
    with_accounts = platforms.with_accounts()
    for a in session.scalars(
        select(PlatformAccount).where(PlatformAccount.org_id == oid).order_by(PlatformAccount.id)
    ):
        if a.platform in with_accounts:  # sandbox accounts are made on the fly, not set up
            accounts[a.person_id].setdefault(a.platform, a.account_id)
    away: dict[int, list[AwaySpec]] = defaultdict(list)
    for a in session.scalars(select(AwayPeriod).where(AwayPeriod.org_id == oid)
                             .order_by(AwayPeriod.person_id, AwayPeriod.start, AwayPeriod.id)):
        away[a.person_id].append(AwaySpec(a.start, a.end, email.get(a.delegate_person_id)))
    people = [
        PersonSpec(email=p.email, name=p.name, manager=email.get(p.manager_id) if p.manager_id else None,
                   timezone=p.timezone, accounts=accounts.get(p.id, {}), away=away.get(p.id, []))
        for p in rows
    ]
    return people, email


def _teams(session: Session, oid: int, email: dict[int, str]) -> tuple[list[TeamSpec], dict[int, str]]:
    """The teams, and their keys by id."""
    rows = session.scalars(select(Team).where(Team.org_id == oid).order_by(Team.id)).all()
    team_key = {t.id: t.key for t in rows}
    teams = {t.id: TeamSpec(key=t.key, name=t.name, level=t.level, timezone=t.timezone, language=t.language,
                            parent=team_key.get(t.parent_id) if t.parent_id else None,
                            follow_channel=bool(t.follows_channel)) for t in rows}
    for m in session.scalars(
        select(TeamMember).where(TeamMember.org_id == oid).order_by(TeamMember.team_id, TeamMember.person_id)
    ):
        (teams[m.team_id].leads if m.role == "lead" else teams[m.team_id].members).append(email[m.person_id])
    for c in session.scalars(select(ChannelBinding).where(ChannelBinding.org_id == oid).order_by(ChannelBinding.id)):
        teams[c.team_id].channels.setdefault(c.platform, []).append(c.channel_id)
    for m in session.scalars(
        select(HealthMetric).where(HealthMetric.org_id == oid).order_by(HealthMetric.position, HealthMetric.id)
    ):
        teams[m.team_id].health_metrics.append(m.name)
    settings: dict[int, dict[str, RitualSetting]] = defaultdict(dict)
    for r in session.scalars(select(RitualSetting).where(RitualSetting.org_id == oid)):
        settings[r.team_id][r.ritual] = r
    for team_id, team in teams.items():
        team.rituals = _rituals(settings.get(team_id, {}))
    for s in session.scalars(select(SkippedWeek).where(SkippedWeek.org_id == oid).order_by(SkippedWeek.week)):
        teams[s.team_id].skip.append(s.week)
    return list(teams.values()), team_key


def _rituals(settings: dict[str, RitualSetting]) -> dict[str, Schedule | None]:
    """Only what differs from the defaults, so an untouched team has no `rituals:` at all."""
    out: dict[str, Schedule | None] = {}
    for ritual in catalog.scheduled():
        row = settings.get(ritual.name)
        if row is None:
            continue
        if row.enabled and (ritual.when(row.weekday, row.time) != ritual.default or not ritual.enabled):
            out[ritual.name] = (row.weekday, row.time)
        elif not row.enabled and ritual.enabled:
            out[ritual.name] = None
    return out


def _objectives(session: Session, oid: int, cycle_name: dict[int, str], team_key: dict[int, str],
                email: dict[int, str]) -> list[ObjectiveSpec]:
    rows = session.scalars(
        select(Objective).where(Objective.org_id == oid).order_by(Objective.position, Objective.id)
    ).all()
    krs_by_objective: dict[int, list[KeyResultSpec]] = defaultdict(list)
    sources = sources_of(session, oid)
    kr_key: dict[int, str] = {}
    carried = dict(session.execute(select(KeyResult.id, KeyResult.key).where(
        KeyResult.org_id == oid, KeyResult.id.in_(select(KeyResult.carried_from_id).where(
            KeyResult.org_id == oid, KeyResult.carried_from_id.is_not(None))))).all())
    for kr in session.scalars(
        select(KeyResult).where(KeyResult.org_id == oid).order_by(KeyResult.position, KeyResult.id)
    ):
        krs_by_objective[kr.objective_id].append(KeyResultSpec(
            key=kr.key, title=kr.title, start=kr.start_value, target=kr.target_value, current=kr.current_value,
            unit=kr.unit, milestone=kr.milestone, owner=email.get(kr.owner_person_id) if kr.owner_person_id else None,
            confidence=kr.confidence, source=sources.get(kr.id), score=kr.score, score_note=kr.score_note,
            moved_business=kr.moved_business, removed=kr.removed_reason if kr.removed_at else None,
            carried_from=carried.get(kr.carried_from_id),
        ))
        kr_key[kr.id] = kr.key
    objective_key = {o.id: o.key for o in rows}
    return [
        ObjectiveSpec(
            key=o.key, title=o.title, cycle=cycle_name[o.cycle_id],
            owner_team=team_key[o.owner_team_id] if o.owner_team_id else None,
            owner_person=None if o.owner_team_id else email.get(o.owner_person_id),
            type=o.type, source=o.source if o.level == "individual" else None, status=o.status,
            score=o.score, aligns_to=objective_key.get(o.aligns_to_objective_id) or kr_key.get(o.aligns_to_kr_id),
            key_results=krs_by_objective.get(o.id, []), why=o.why,
        )
        for o in rows
    ]


# ------------------------------------------------------------------ the spec as YAML


def document_data(doc: Document) -> dict:
    """The spec as the data structure the YAML is dumped from (plain dicts and lists): optional keys that
    hold their default are left out, as a person writing the file would."""
    data: dict[str, Any] = {"version": FORMAT_VERSION}
    o = doc.organization
    data["organization"] = _compact(
        name=o.name,
        timezone=o.timezone,
        language=o.language,
        multiple_business_lines=o.multiple_business_lines,
        confidence_colors=_Flow(red_max=o.red_max, green_min=o.green_min),
        workspaces=_Flow(o.workspaces) or None,
        mission=o.mission,
    )
    cycle_items = [_compact(name=c.name, start=c.start, end=c.end, planning_from=c.planning_from, closed=c.closed)
                   for c in doc.cycles]
    if len(cycle_items) == 1:
        data["cycle"] = cycle_items[0]
    else:
        data["cycles"] = cycle_items
    data["people"] = [
        _Flow(_compact(email=p.email, name=p.name, manager=p.manager, timezone=p.timezone, **p.accounts,
                       away=[_compact(start=a.start, end=a.end, delegate=a.delegate) for a in p.away] or None))
        for p in doc.people
    ]
    data["teams"] = [_team_data(t) for t in doc.teams]
    first_cycle = doc.cycles[0].name if doc.cycles else None
    data["objectives"] = [_objective_data(o, first_cycle) for o in doc.objectives]
    if doc.changes:
        data["changes"] = [history.change_data(c) for c in doc.changes]
    if doc.lessons:
        data["lessons"] = [history.lesson_data(lesson) for lesson in doc.lessons]
    return data


def _team_data(t: TeamSpec) -> dict:
    bound = {platform: ids[0] if len(ids) == 1 else _FlowList(ids) for platform, ids in t.channels.items()}
    rituals: dict[str, Any] = {name: catalog.CATALOG[name].when(*when) if when else "off"
                               for name, when in t.rituals.items()}
    if t.skip:
        rituals["skip"] = _FlowList(t.skip)
    return _compact(
        key=t.key,
        name=t.name,
        level=t.level,
        parent=t.parent,
        timezone=t.timezone,
        language=t.language,
        leads=_FlowList(t.leads) if t.leads else None,
        members=_FlowList(t.members) if t.members else None,
        channels=_Flow(bound) if bound else None,
        follow_channel=True if t.follow_channel else None,
        health_metrics=_FlowList(t.health_metrics) if t.health_metrics else None,
        rituals=rituals or None,
    )



def _objective_data(o: ObjectiveSpec, first_cycle: str | None) -> dict:
    return _compact(
        key=o.key,
        owner=_Flow(team=o.owner_team) if o.owner_team is not None else _Flow(person=o.owner_person),
        type=o.type,
        source=o.source,
        status=o.status if o.status != "active" else None,
        score=_number(o.score),
        cycle=o.cycle if o.cycle != first_cycle else None,
        aligns_to=o.aligns_to,
        title=o.title,
        why=o.why,
        key_results=[_key_result_data(kr) for kr in o.key_results] or None,
    )


def _key_result_data(kr: KeyResultSpec) -> _Flow:
    return _Flow(_compact(
        key=kr.key,
        title=kr.title,
        start=_number(kr.start),
        target=_number(kr.target),
        current=_number(kr.current),
        unit=kr.unit,
        milestone=kr.milestone,
        owner=kr.owner,
        confidence=kr.confidence,
        source=kr.source.as_dict() if kr.source else None,
        score=_number(kr.score),
        score_note=kr.score_note,
        moved_business=kr.moved_business,
        removed=kr.removed,
        carried_from=kr.carried_from,
    ))


def export_yaml(session: Session, org: Organization) -> str:
    doc = document_data(build_document(session, org))
    header = (
        f"# {org.name}: exported by okrbot in its import format (version {FORMAT_VERSION}).\n"
        "# Import it with `okrbot import FILE`; the README's \"Import format\" section explains every key.\n"
    )
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000, default_flow_style=False)
    return header + body


# ------------------------------------------------------------------ CSV


def export_csv(session: Session, org: Organization) -> str:
    """One row per key result, for a spreadsheet; the order is the one people see in reports."""
    oid = org.id
    email = dict(session.execute(select(Person.id, Person.email).where(Person.org_id == oid)).all())
    team_key = dict(session.execute(select(Team.id, Team.key).where(Team.org_id == oid)).all())
    cycle_name = dict(session.execute(select(Cycle.id, Cycle.name).where(Cycle.org_id == oid)).all())
    rows = session.execute(
        select(KeyResult, Objective)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.org_id == oid)
        .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id)
    ).all()
    rows = sorted(rows, key=lambda r: Level.rank(r[1].level))  # stable: keeps the file order within a level
    return csv_text(CSV_COLUMNS, (
        (
            cycle_name.get(o.cycle_id, ""),
            o.key,
            o.title,
            o.level,
            o.type,
            o.status,
            team_key.get(o.owner_team_id, ""),
            team_key[o.owner_team_id] if o.owner_team_id else email.get(o.owner_person_id, ""),
            kr.key,
            kr.title,
            email.get(kr.owner_person_id, ""),
            kr.confidence,
            colour(kr.confidence, org.red_max, org.green_min),
            _number(kr.start_value),
            _number(kr.current_value),
            _number(kr.target_value),
            kr.unit,
            kr.milestone,
            _utc_text(kr.updated_at),
        )
        for kr, o in rows
    ))


def export_checkins_csv(session: Session, org: Organization) -> str:
    """The whole check-in history, oldest first: who said what about which key result, when, and where from.

    Streamed from one query (ordered by time, then id: of two check-ins in one instant the later written
    comes last), so a history of years stays one statement.
    """
    author = aliased(Person)
    rows = session.execute(
        select(CheckIn.at, KeyResult.key, KeyResult.title, Objective.key, Team.key, author.email, author.name,
               CheckIn.confidence, CheckIn.value, KeyResult.unit, CheckIn.note, CheckIn.source)
        .join(KeyResult, KeyResult.id == CheckIn.key_result_id)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .outerjoin(Team, Team.id == Objective.owner_team_id)
        .outerjoin(author, author.id == CheckIn.person_id)
        .where(CheckIn.org_id == org.id)
        .order_by(CheckIn.at, CheckIn.id)
        .execution_options(yield_per=2000)
    )
    return csv_text(CHECKIN_COLUMNS, (
        (_utc_text(at), kr_key, title, objective_key, team, email, name, confidence, _number(value), unit, note,
         source)
        for at, kr_key, title, objective_key, team, email, name, confidence, value, unit, note, source in rows
    ))


def _utc_text(moment: datetime | None) -> str:
    """ISO time in UTC with its offset (storage.types.UtcDateTime reads every stored time as aware UTC)."""
    return moment.isoformat() if moment is not None else ""
