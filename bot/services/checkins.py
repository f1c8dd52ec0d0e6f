"""Check-ins: confidence (1-10) and progress values, appended to history, never overwritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Update, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot import commands as c
from bot import i18n, metrics
from bot.away import delegated_by
from bot.bidi import isolate
from bot.cards import kr_line
from bot.context import Ctx
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Option, Reply, Text
from bot.render import render
from bot.services.keyresults import find_key_result, may_check_in, my_key_results, owner_name, refuse_removed
from bot.services.trends import WeekChange, own_zone, week_change
from bot.services.warnings import key_result_dropped
from storage.models import CheckIn, KeyResult, Objective

CHECKIN_FORM = "checkin"


def record_checkin(
    session: Session,
    kr: KeyResult,
    *,
    person_id: int | None,
    at: datetime,
    source: str,
    confidence: int | None = None,
    value: float | None = None,
    note: str | None = None,
    via: str = "command",
) -> None:
    """Append a check-in and refresh the key result's cached current state, in the caller's transaction.

    Written as two plain statements rather than through the unit of work (which costs more Python time
    than the two round trips on every `/okr confidence`); the loaded key result is kept in step as if
    it had been flushed, so the rest of the request and a later flush see the new state.
    """
    if confidence is not None and not c.CONFIDENCE_MIN <= confidence <= c.CONFIDENCE_MAX:
        raise Refusal("bad_confidence", "confidence", given=confidence)
    if confidence is not None:  # a drop of 2 or more, or into red, is told to the leads (bot.services.warnings)
        key_result_dropped(session, kr, kr.confidence, confidence, person_id=person_id, note=note, at=at, source=source)
    session.execute(_INSERT, {
        "org_id": kr.org_id, "key_result_id": kr.id, "person_id": person_id, "at": at,
        "confidence": confidence if confidence is not None else kr.confidence, "value": value, "note": note,
        "source": source,
    })
    changes: dict = {"updated_at": at}
    if confidence is not None:
        changes["confidence"] = confidence
    if value is not None:
        changes["current_value"] = value
        changes["value_source"] = source  # where the shown value came from (the API, a connector, a chat...)
    session.execute(_update(tuple(changes)), {"kr_id": kr.id, **changes})
    for name, new in changes.items():
        set_committed_value(kr, name, new)
    metrics.CHECKINS.labels(*metrics.checkin_labels(source, via)).inc()


def record_values(session: Session, values: list[tuple[KeyResult, float]], *, at: datetime, source: str) -> None:
    """New values of many key results at once (a connector pass): record_checkin's two statements, each run
    once for the whole batch (executemany). A value alone: every confidence stays as it is."""
    if not values:
        return
    session.execute(_INSERT, [{
        "org_id": kr.org_id, "key_result_id": kr.id, "person_id": None, "at": at, "confidence": kr.confidence,
        "value": value, "note": None, "source": source} for kr, value in values])
    columns = ("updated_at", "current_value", "value_source")  # record_checkin's order, so the same statement
    session.execute(_update(columns), [{"kr_id": kr.id, "updated_at": at, "current_value": value,
                                        "value_source": source} for kr, value in values])
    for kr, value in values:
        for name, new in zip(columns, (at, value, source), strict=True):
            set_committed_value(kr, name, new)
    metrics.CHECKINS.labels(*metrics.checkin_labels(source, "command")).inc(len(values))


_INSERT = insert(CheckIn.__table__)
_UPDATES: dict[tuple[str, ...], Update] = {}


def _update(columns: tuple[str, ...]) -> Update:
    """UPDATE of only the columns a check-in changes (so two check-ins of one key result never undo each other's
    other column); one statement per combination, built once."""
    statement = _UPDATES.get(columns)
    if statement is None:
        table = KeyResult.__table__
        statement = update(table).where(table.c.id == bindparam("kr_id")).values(
            {name: bindparam(name) for name in columns})
        _UPDATES[columns] = statement
    return statement


def _guard(ctx: Ctx, kr: KeyResult, objective: Objective, usage: str) -> None:
    refuse_removed(kr, usage)
    if not may_check_in(ctx, kr, objective):
        raise Refusal("not_yours", usage, code=kr.key, owner=owner_name(ctx, kr.owner_person_id))


def _change(ctx: Ctx, kr: KeyResult, objective: Objective, confidence: int) -> WeekChange:
    """The reply's "since last week", read before the check-in is written (`week_change`'s `current`)."""
    return week_change(ctx.session, kr.id, own_zone(ctx.session, ctx.org, objective), ctx.now, current=confidence)


def _done_card(ctx: Ctx, kr: KeyResult, change: WeekChange, before: int, before_value: float | None,
               note: str | None) -> Reply:
    """The reply to a check-in: the text compares with the previous check-in and says so; the line's change is
    "since last week" (bot.services.trends.since_last_week), exactly as the team's Monday post shows it."""
    text = render(
        "checkin_done",
        code=kr.key,
        title=kr.title,
        confidence=kr.confidence,
        before=before,
        value=kr.current_value if kr.current_value != before_value else None,
        unit=kr.unit or "",
        note=note,
    )
    line = kr_line(kr, ctx.org, change=change, owner=owner_name(ctx, kr.owner_person_id),
                   base=ctx.dashboard_url)
    return Reply(card=Card(None, (Text(text), line), fallback=text))


@command(c.Confidence)
def set_confidence(ctx: Ctx, cmd: c.Confidence) -> Reply:
    kr, objective = find_key_result(ctx, cmd.kr, "confidence")
    _guard(ctx, kr, objective, "confidence")
    before, change = kr.confidence, _change(ctx, kr, objective, cmd.confidence)
    record_checkin(
        ctx.session, kr, person_id=ctx.person.id, at=ctx.now, source=ctx.platform,
        confidence=cmd.confidence, note=cmd.note,
    )
    return _done_card(ctx, kr, change, before, kr.current_value, cmd.note)


@command(c.Progress)
def set_progress(ctx: Ctx, cmd: c.Progress) -> Reply:
    kr, objective = find_key_result(ctx, cmd.kr, "progress")
    _guard(ctx, kr, objective, "progress")
    if kr.target_value is None:
        raise Refusal("milestone_no_value", "confidence", code=kr.key)
    before, before_value, change = kr.confidence, kr.current_value, _change(ctx, kr, objective, kr.confidence)
    record_checkin(
        ctx.session, kr, person_id=ctx.person.id, at=ctx.now, source=ctx.platform, value=cmd.value, note=cmd.note
    )
    return _done_card(ctx, kr, change, before, before_value, cmd.note)


@command(c.Mine)
def mine(ctx: Ctx, _cmd: c.Mine) -> Reply:
    rows = my_key_results(ctx)
    if not rows:
        text = render("mine_empty", name=ctx.person.name, prefix=ctx.prefix)
        return Reply(card=Card(None, (Text(text),), fallback=text))
    elements: list = [Text(render("mine_intro", name=ctx.person.name, count=len(rows), prefix=ctx.prefix))]
    for index, (kr, objective) in enumerate(rows, start=1):
        elements.append(Text(f"*{index}.* _{isolate(objective.title)}_"))
        elements.append(kr_line(kr, ctx.org, level=objective.level, base=ctx.dashboard_url))
    elements.append(Actions((Button(i18n.gettext("Check in"), "checkin_open", style="primary"),)))
    fallback = i18n.ngettext("%(num)s key result", "%(num)s key results", len(rows)) % {"num": len(rows)}
    return Reply(card=Card(i18n.gettext("My key results"), tuple(elements), fallback=fallback))


def form_key_results(ctx: Ctx) -> list[tuple[KeyResult, str | None]]:
    """What the check-in form offers: one's own key results, then those of each colleague away now who named one
    their delegate (with that colleague's name): the form and its submission read the same list."""
    rows: list[tuple[KeyResult, str | None]] = [(kr, None) for kr, _objective in my_key_results(ctx)]
    for person in delegated_by(ctx.session, ctx.org, ctx.person.id, ctx.now):
        rows += [(kr, person.name) for kr, _objective in my_key_results(ctx, person.id)]
    return rows


def checkin_form(ctx: Ctx) -> Form:
    rows = form_key_results(ctx)
    if not rows:
        raise Refusal("no_key_results")
    levels = tuple(Option(str(n), str(n)) for n in range(c.CONFIDENCE_MAX, c.CONFIDENCE_MIN - 1, -1))
    fields: list[FormField] = []
    for kr, away in rows[:30]:  # 3 inputs each stays inside Slack's 100-block modal
        label = f"{kr.key} · {kr.title}" + (f" ({render('away_for', name=away)})" if away else "")
        fields.append(FormField(f"confidence:{kr.id}", label, "select", levels, str(kr.confidence)))
        if kr.target_value is not None:
            unit = f" ({kr.unit})" if kr.unit else ""
            fields.append(FormField(
                f"value:{kr.id}", f"New value{unit}", "number", optional=True,
                hint=f"now {kr.current_value if kr.current_value is not None else kr.start_value}, "
                f"target {kr.target_value:g}",
            ))
        fields.append(FormField(f"note:{kr.id}", "What changed?", "text", optional=True, max_length=c.MAX_TEXT))
    return Form(CHECKIN_FORM, "Weekly check-in", tuple(fields), "Save check-in", intro=render("checkin_intro"))


@command(c.CheckinForm)
def open_checkin(ctx: Ctx, _cmd: c.CheckinForm) -> Reply:
    return Reply(form=checkin_form(ctx))


@action("checkin_open")
def checkin_button(ctx: Ctx, _interaction: Interaction) -> Reply:
    return Reply(form=checkin_form(ctx))


@submit(CHECKIN_FORM)
def submit_checkin(ctx: Ctx, interaction: Interaction) -> Reply:
    """Validate every field first, then write: a form with one bad field writes nothing."""
    mine = {kr.id: kr for kr, _away in form_key_results(ctx)}
    changes: list[tuple[KeyResult, int | None, float | None, str | None]] = []
    errors: dict[str, str] = {}
    for kr_id, kr in mine.items():
        raw_conf = (interaction.form.get(f"confidence:{kr_id}") or "").strip()
        raw_value = (interaction.form.get(f"value:{kr_id}") or "").strip()
        note = (interaction.form.get(f"note:{kr_id}") or "").strip() or None
        confidence = c.parse_confidence(raw_conf) if raw_conf else None
        if raw_conf and confidence is None:
            errors[f"confidence:{kr_id}"] = render("field_confidence", given=raw_conf[:20])
        value = c.parse_number(raw_value) if raw_value else None
        if raw_value and value is None:
            errors[f"value:{kr_id}"] = render("field_number", given=raw_value[:20])
        if note and len(note) > c.MAX_TEXT:
            errors[f"note:{kr_id}"] = render("field_too_long", limit=c.MAX_TEXT)
        if confidence == kr.confidence:
            confidence = None if value is None and not note else confidence
        if confidence is not None or value is not None or note:
            changes.append((kr, confidence, value, note))
    if errors:
        return Reply(errors=errors)
    for kr, confidence, value, note in changes:
        record_checkin(
            ctx.session, kr, person_id=ctx.person.id, at=ctx.now, source=ctx.platform,
            confidence=confidence, value=value, note=note, via="form",
        )
    lines = tuple(kr_line(kr, ctx.org, base=ctx.dashboard_url) for kr, *_ in changes)
    text = render("checkin_saved", count=len(changes))
    return Reply(card=Card(None, (Text(text), *lines), fallback=text))
