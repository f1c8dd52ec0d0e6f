"""Changing a running cycle's OKRs honestly: with a reason, kept, announced.

The method says "do not change OKRs midway": a set OKR succeeds or fails, and the lesson is for next time.
When one has to change anyway (a title, a target, a start, a unit, a key result added), the change is
made in the open: it needs a reason, it is appended to `okr_changes` (never updated), it is announced in
the owning team's channel, it shows on the key result's page, and a score is taken against the original
target (`originals`) with the new one beside it.

Everyone who changes OKRs goes through `record`: `/okr change` in chat and `okrbot import --reason`.
The announcement is the catalog's "change" ritual: `record` inserts its run, unclaimed, and the clock
posts it exactly once like every ritual (a crash before the post resumes it, a second clock finds it taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cycles import phase, today_of
from bot.render import format_number
from bot.rituals import runs
from storage.models import Cycle, KeyResult, Objective, OkrChange, Organization

RITUAL = "change"  # the catalog's announcement of a batch of changes (bot.rituals.quarterly.change_post)
FIELDS = ("title", "target", "start", "unit")  # what `/okr change` changes; an objective has only a title
NUMBERS = ("target", "start")


@dataclass(frozen=True)
class Change:
    """One changed field of one key result (or an objective's title), or a key result added."""

    subject: str  # the code as people know it
    field: str  # title | target | start | unit | added
    old: str | None
    new: str | None
    cycle_id: int
    objective_id: int
    key_result_id: int | None = None

    def __str__(self) -> str:
        if self.field == "added":
            return f"{self.subject}: added ({self.new})"
        if self.field == "removed":
            return f"{self.subject}: removed ({self.old})"
        return f"{self.subject}: {self.field} {self.old or '—'} → {self.new or '—'}"


def text_of(value: float | str | None) -> str | None:
    """How a value is kept in the history: numbers as people write them (85, 62.5), text as it is."""
    if value is None:
        return None
    return format_number(value).replace(",", "") if isinstance(value, int | float) else str(value)


def is_running(cycle: Cycle, org: Organization, now: datetime) -> bool:
    """A cycle whose OKRs are set: active, or closing (being scored). Before it starts they are drafts, and
    change freely; a closed cycle's stay as they were scored."""
    return phase(cycle, today_of(org, now)) in ("active", "closing")


def key_result_changes(kr: KeyResult, objective: Objective, **values: float | str | None) -> list[Change]:
    """The fields of `values` that differ from the key result's."""
    current = {"title": kr.title, "target": kr.target_value, "start": kr.start_value, "unit": kr.unit}
    return [Change(kr.key, name, text_of(current[name]), text_of(value), objective.cycle_id, objective.id, kr.id)
            for name, value in values.items() if text_of(current[name]) != text_of(value)]


def record(session: Session, org: Organization, changes: list[Change], reason: str, person_id: int | None,
           source: str, now: datetime) -> str:
    """Append the changes with their reason and announce them in each owning team's channel; returns the
    batch (the announcement's period). An individual objective's change is kept but not announced: personal
    OKRs are only ever shown to their owner and manager."""
    rows = [OkrChange(org_id=org.id, cycle_id=c.cycle_id, objective_id=c.objective_id, key_result_id=c.key_result_id,
                      subject=c.subject, field=c.field, old=c.old, new=c.new, reason=reason, person_id=person_id,
                      source=source, batch="", at=now) for c in changes]
    session.add_all(rows)
    session.flush()
    batch = f"chg-{rows[0].id}"
    for row in rows:
        row.batch = batch
    teams = set(session.scalars(select(Objective.owner_team_id).where(
        Objective.id.in_({c.objective_id for c in changes}), Objective.owner_team_id.is_not(None))))
    runs.event_runs(session, org.id, sorted(teams), RITUAL, batch, now)
    return batch


def history(session: Session, kr_id: int) -> list[OkrChange]:
    """A key result's changes, oldest first."""
    return list(session.scalars(select(OkrChange).where(OkrChange.key_result_id == kr_id)
                                .order_by(OkrChange.at, OkrChange.id)))


def originals(session: Session, kr_ids: list[int]) -> dict[int, dict[str, str | None]]:
    """What each changed field of these key results was before its first change: a score is taken against the
    original target unless said otherwise. Fields never changed are absent."""
    found: dict[int, dict[str, str | None]] = {}
    for row in session.scalars(select(OkrChange).where(OkrChange.key_result_id.in_(kr_ids))
                               .order_by(OkrChange.at, OkrChange.id)):
        found.setdefault(row.key_result_id, {}).setdefault(row.field, row.old)
    return found
