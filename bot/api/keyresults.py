"""Reading key results and posting check-ins for the API, as plain JSON-ready dicts.

The API sees what the organization's dashboard shows everyone: key results of company, department and
team objectives. Individual objectives' key results stay with their owner and manager (the dashboard's
privacy rule), so here they read exactly like codes that do not exist.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot import commands as c
from bot.api.problems import FieldError, Problem, invalid
from bot.context import current_cycle
from bot.services.checkins import record_checkin
from bot.services.keyresults import LEVEL_ORDER, colour
from bot.storable import storable
from bot.teams import team_by_key
from storage.models import CheckIn, Connector, Cycle, KeyResult, Objective, Organization, Person, Team

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200
BODY_FIELDS = ("value", "confidence", "note")

_owner = aliased(Person)
_ROWS = (
    select(KeyResult, Objective.key, Objective.title, Objective.level, Team.key, Cycle.name, _owner.email,
           Connector.kind)
    .join(Objective, Objective.id == KeyResult.objective_id)
    .join(Cycle, Cycle.id == Objective.cycle_id)
    .outerjoin(Team, Team.id == Objective.owner_team_id)
    .outerjoin(_owner, _owner.id == KeyResult.owner_person_id)
    .outerjoin(Connector, Connector.key_result_id == KeyResult.id)
    .where(Objective.level != "individual")
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _number(value: float | None) -> float | int | None:
    return int(value) if value is not None and value == int(value) and abs(value) < 2**53 else value


def key_result_dict(org: Organization, row) -> dict:
    kr, objective_key, objective_title, level, team_key, cycle, owner, connector = row
    return {
        "code": kr.key, "title": kr.title,
        "objective": {"key": objective_key, "title": objective_title, "level": level},
        "team": team_key, "cycle": cycle, "owner": owner,
        "confidence": kr.confidence, "colour": colour(kr.confidence, org.red_max, org.green_min),
        "start": _number(kr.start_value), "target": _number(kr.target_value), "current": _number(kr.current_value),
        "unit": kr.unit, "milestone": kr.milestone, "value_source": kr.value_source,
        "connector": connector, "updated_at": _iso(kr.updated_at),
        "removed": None if kr.live else {"at": _iso(kr.removed_at), "reason": kr.removed_reason},
    }


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 8 and low <= int(raw) <= high):
        raise invalid(FieldError(name, "expect_whole_number", raw, {"low": low, "high": high}))
    return int(raw)


def list_key_results(session: Session, org: Organization, query: dict[str, str], now: datetime) -> dict:
    """Key results filtered by `team` (key), `cycle` (name, `current` by default, or `all`) and `owner`
    (email), `limit` at a time from `offset`, in the dashboard's order. Live key results only: one an honest
    change removed is still served by its code (with `removed`), never listed."""
    statement = _ROWS.where(KeyResult.org_id == org.id, KeyResult.live)
    errors = []
    team_key = (query.get("team") or "").strip()
    if team_key:
        team = team_by_key(session, org.id, team_key)
        team_id = team.id if team else None
        if team_id is None:
            errors.append(FieldError("team", "expect_team", team_key))
        statement = statement.where(Objective.owner_team_id == team_id)
    cycle_name = (query.get("cycle") or "current").strip()
    if cycle_name.lower() == "current":
        cycle = current_cycle(session, org, now)
        statement = statement.where(Objective.cycle_id == (cycle.id if cycle else None))
    elif cycle_name.lower() != "all":
        cycle_id = session.scalar(select(Cycle.id).where(Cycle.org_id == org.id, Cycle.name == cycle_name))
        if cycle_id is None:
            errors.append(FieldError("cycle", "expect_cycle", cycle_name))
        statement = statement.where(Objective.cycle_id == cycle_id)
    owner = (query.get("owner") or "").strip()
    if owner:
        person_id = session.scalar(select(Person.id).where(Person.org_id == org.id,
                                                           func.lower(Person.email) == owner.lower()))
        if person_id is None:
            errors.append(FieldError("owner", "expect_owner", owner))
        statement = statement.where(KeyResult.owner_person_id == person_id)
    try:
        limit = _int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _int_param(query, "offset", 0, 0, 10**7)
    except Problem as problem:
        errors.extend(problem.errors)
        limit, offset = DEFAULT_LIMIT, 0
    if errors:
        raise invalid(*errors)
    rows = session.execute(statement.order_by(Cycle.start, LEVEL_ORDER, Objective.position, Objective.id,
                                              KeyResult.position, KeyResult.id).limit(limit + 1).offset(offset)).all()
    result: dict = {"key_results": [key_result_dict(org, row) for row in rows[:limit]]}
    result["next_offset"] = offset + limit if len(rows) > limit else None
    return result


def find(session: Session, org: Organization, code: str):
    """The row of a key result by its code in any letter case (not an individual one), else a 404 problem."""
    row = session.execute(_ROWS.where(KeyResult.org_id == org.id, func.lower(KeyResult.key) == code.strip().lower())
                          .limit(1)).first()
    if row is None:
        raise Problem(404, "not_found", {"code": code[:64]})
    return row


def history(session: Session, org: Organization, code: str, query: dict[str, str]) -> dict:
    """A key result's check-ins, newest first, `limit` at a time from `offset`."""
    kr = find(session, org, code)[0]
    limit = _int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(query, "offset", 0, 0, 10**7)
    author = aliased(Person)
    rows = session.execute(
        select(CheckIn, author.email).outerjoin(author, author.id == CheckIn.person_id)
        .where(CheckIn.key_result_id == kr.id).order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(limit + 1).offset(offset)
    ).all()
    return {"code": kr.key, "checkins": [checkin_dict(checkin, email) for checkin, email in rows[:limit]],
            "next_offset": offset + limit if len(rows) > limit else None}


def checkin_dict(checkin: CheckIn, person: str | None) -> dict:
    return {"at": _iso(checkin.at), "confidence": checkin.confidence, "value": _number(checkin.value),
            "note": checkin.note, "source": checkin.source, "person": person}


def parse_checkin(body: object, kr: KeyResult) -> tuple[float | None, int | None, str | None]:
    """(value, confidence, note) from a POSTed body, or a 422 problem naming every field that is wrong."""
    if not isinstance(body, dict):
        raise invalid(FieldError("", "expect_json_object"))
    errors = [FieldError(f"/{name}", "expect_known_field", context={"fields": ", ".join(BODY_FIELDS)})
              for name in body if name not in BODY_FIELDS]
    value, confidence, note = body.get("value"), body.get("confidence"), body.get("note")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                              or not math.isfinite(value) or abs(value) > 1e15):
        errors.append(FieldError("/value", "expect_number", value))
        value = None
    elif value is not None and kr.target_value is None:
        errors.append(FieldError("/value", "expect_no_value", value, {"code": kr.key}))
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, int)
                                   or not c.CONFIDENCE_MIN <= confidence <= c.CONFIDENCE_MAX):
        errors.append(FieldError("/confidence", "expect_whole_number", confidence,
                                 {"low": c.CONFIDENCE_MIN, "high": c.CONFIDENCE_MAX}))
    if note is not None and (not isinstance(note, str) or len(note) > c.MAX_TEXT):
        errors.append(FieldError("/note", "expect_text", note, {"limit": c.MAX_TEXT}))
    if "value" not in body and "confidence" not in body and not errors:
        errors.append(FieldError("/value", "expect_value_or_confidence"))
    if errors:
        raise invalid(*errors)
    return (float(value) if value is not None else None, confidence,
            storable(note).strip() or None if isinstance(note, str) else None)


def post_checkin(session: Session, org: Organization, code: str, body: object, now: datetime) -> dict:
    """Append a check-in with source "api" through the one check-in service; the new state comes back."""
    row = find(session, org, code)
    kr = row[0]
    if not kr.live:
        raise Problem(409, "key_result_removed", {"code": kr.key, "day": kr.removed_at.date().isoformat(),
                                                  "reason": kr.removed_reason or ""})
    value, confidence, note = parse_checkin(body, kr)
    record_checkin(session, kr, person_id=None, at=now, source="api", confidence=confidence, value=value,
                   note=note)
    checkin = session.scalar(select(CheckIn).where(CheckIn.key_result_id == kr.id)
                             .order_by(CheckIn.id.desc()).limit(1))
    return {"checkin": checkin_dict(checkin, None), "key_result": key_result_dict(org, (kr, *row[1:]))}
