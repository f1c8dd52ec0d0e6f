"""A cycle's history in the import format: the honest changes and the retrospective's lessons.

`okrbot export` writes them (top-level `changes:` and `lessons:`, beside the key results' scores and removals
and the cycles' `closed:` day), and `okrbot import` accepts them back: both are append-only, so a row the
database already holds (the same moment, subject and field; the same moment, team and text) is not added
again, and exporting then importing a file twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.safeyaml import shown
from bot.services.lessons import KINDS
from bot.spec import KEYS, ChangeSpec, LessonSpec
from storage.models import Cycle, Lesson, Objective, OkrChange, Person, Team

MAX_TEXT = 2000


def export_changes(session: Session, org_id: int, cycle_name: dict[int, str],
                   email: dict[int, str]) -> list[ChangeSpec]:
    objective_key = dict(session.execute(select(Objective.id, Objective.key).where(Objective.org_id == org_id)).all())
    return [ChangeSpec(row.at, cycle_name[row.cycle_id], objective_key.get(row.objective_id), row.subject, row.field,
                       row.old, row.new, row.reason, email.get(row.person_id), row.source)
            for row in session.scalars(select(OkrChange).where(OkrChange.org_id == org_id)
                                       .order_by(OkrChange.at, OkrChange.id))]


def export_lessons(session: Session, org_id: int, cycle_name: dict[int, str], team_key: dict[int, str],
                   email: dict[int, str]) -> list[LessonSpec]:
    return [LessonSpec(row.at, cycle_name[row.cycle_id], team_key[row.team_id], row.kind, row.text,
                       email.get(row.author_person_id))
            for row in session.scalars(select(Lesson).where(Lesson.org_id == org_id).order_by(Lesson.at, Lesson.id))]


def change_data(c: ChangeSpec) -> dict:
    return {k: v for k, v in dict(at=_iso(c.at), cycle=c.cycle, objective=c.objective, subject=c.subject,
                                  field=c.field, old=c.old, new=c.new, reason=c.reason, by=c.by,
                                  source=c.source).items() if v is not None}


def lesson_data(lesson: LessonSpec) -> dict:
    return {k: v for k, v in dict(at=_iso(lesson.at), cycle=lesson.cycle, team=lesson.team, kind=lesson.kind,
                                  text=lesson.text, by=lesson.by).items() if v is not None}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------ reading them back


def _moment(check, item: dict, path: tuple) -> datetime | None:
    value = item.get("at")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    check.problem((*path, "at"), "not_moment")
    return None


def _known(check, item: dict, key: str, path: tuple, known: set[str], problem: str,
           required: bool = True) -> str | None:
    """A reference to an entry of the file; `problem` (prompts/import_errors.j2) says what it failed to name."""
    value = check.text(item, key, path, required=required, limit=254)
    if value is not None and value not in known:
        check.problem((*path, key), problem, value=shown(value))
    return value


def parse_changes(raw: Any, check, cycles: set[str], emails: set[str]) -> list[ChangeSpec]:
    found = []
    for index, item_raw in enumerate(check.sequence(raw, ("changes",)) if raw is not None else []):
        path = ("changes", index)
        item = check.mapping(item_raw, path, keys=KEYS["change"])
        found.append(ChangeSpec(
            at=_moment(check, item, path), cycle=_known(check, item, "cycle", path, cycles, "not_cycle"),
            objective=check.text(item, "objective", path, required=False, limit=64),
            subject=check.text(item, "subject", path, limit=64), field=check.text(item, "field", path, limit=16),
            old=check.text(item, "old", path, required=False, limit=MAX_TEXT),
            new=check.text(item, "new", path, required=False, limit=MAX_TEXT),
            reason=check.text(item, "reason", path, limit=MAX_TEXT),
            by=_known(check, item, "by", path, emails, "not_person", required=False),
            source=check.text(item, "source", path, required=False, limit=16) or "import"))
    return found


def parse_lessons(raw: Any, check, cycles: set[str], teams: set[str], emails: set[str]) -> list[LessonSpec]:
    found = []
    for index, item_raw in enumerate(check.sequence(raw, ("lessons",)) if raw is not None else []):
        path = ("lessons", index)
        item = check.mapping(item_raw, path, keys=KEYS["lesson"])
        found.append(LessonSpec(
            at=_moment(check, item, path), cycle=_known(check, item, "cycle", path, cycles, "not_cycle"),
            team=_known(check, item, "team", path, teams, "not_team"),
            kind=check.choice(item, "kind", path, KINDS, "learned"),
            text=check.text(item, "text", path, limit=MAX_TEXT),
            by=_known(check, item, "by", path, emails, "not_person", required=False)))
    return found


def write_history(session: Session, org_id: int, changes: list[ChangeSpec], lessons: list[LessonSpec],
                  cycles: dict[str, Cycle], teams: dict[str, Team], people: dict[str, Person],
                  objectives: dict[str, Objective], krs: dict) -> None:
    """Append the rows the database does not hold yet (append-only history: nothing is updated or deleted)."""
    have = {(row.at, row.subject, row.field) for row in session.scalars(
        select(OkrChange).where(OkrChange.org_id == org_id))}
    for c in changes:
        if (c.at, c.subject, c.field) in have:
            continue
        objective = objectives.get(c.objective) if c.objective else None
        kr = krs.get(c.subject)
        session.add(OkrChange(
            org_id=org_id, cycle_id=cycles[c.cycle].id, objective_id=objective.id if objective else None,
            key_result_id=kr.id if kr is not None else None, subject=c.subject, field=c.field, old=c.old, new=c.new,
            reason=c.reason, person_id=people[c.by].id if c.by else None, source=c.source, batch="import",
            at=c.at))
    known = {(row.at, row.team_id, row.text) for row in session.scalars(select(Lesson).where(Lesson.org_id == org_id))}
    for lesson in lessons:
        team = teams[lesson.team]
        if (lesson.at, team.id, lesson.text) in known:
            continue
        session.add(Lesson(org_id=org_id, cycle_id=cycles[lesson.cycle].id, team_id=team.id, kind=lesson.kind,
                           text=lesson.text, author_person_id=people[lesson.by].id if lesson.by else None,
                           platform="import", message_id=None, at=lesson.at))
