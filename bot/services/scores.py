"""Closing a cycle: each key result scored by its owner, 0.0 to 1.0, with a note and the method's question.

The method: "failure to achieve all key results, or achieving all key results but having no impact on
business growth is a failure". So a score comes with an answer to "did it move the business?". An
objective's score is the mean of its key results' scores, unless the lead of its team sets it
(`score OBJECTIVE 0.6`), which stays. Scores are given while the cycle is closing (after its last day,
before `okrbot cycle close`); the closing ritual asks each owner in a direct message.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from bot import changes, i18n
from bot import commands as c
from bot.context import Ctx, names, row_id, team_leads
from bot.cycles import phase, today_of
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.model import Actions, Button, Card, Form, FormField, Interaction, Option, Reply, Text
from bot.render import render, render_macro
from bot.services.changes import find_subject
from bot.services.keyresults import refuse_removed
from storage.models import Cycle, KeyResult, Objective, Person, Team


def mean_score(scores: Iterable[float | None]) -> float | None:
    """The mean of the scores given (None before any is): an objective's score unless its lead sets one."""
    given = [s for s in scores if s is not None]
    return round(sum(given) / len(given), 2) if given else None


def objective_mean(session, objective: Objective) -> float | None:
    """The mean of the scored key results of an objective (None before any is scored)."""
    return mean_score(session.scalars(select(KeyResult.score).where(
        KeyResult.objective_id == objective.id, KeyResult.live)))


def leads_of(ctx: Ctx, objective: Objective) -> tuple[bool, str]:
    """Whether the person leads the objective (its team's lead; an individual one's manager), and who does."""
    if objective.owner_team_id is not None:
        team = ctx.session.get(Team, objective.owner_team_id)
        leads = names(team_leads(ctx.session, team))
        who = i18n.gettext("the leads of %(team)s (%(leads)s)") % {"team": team.name, "leads": leads}
        return ctx.is_lead(team), who
    owner = ctx.session.get(Person, objective.owner_person_id) if objective.owner_person_id else None
    allowed = owner is not None and ctx.person.id in (owner.id, owner.manager_id)
    return allowed, i18n.gettext("its owner and their manager")


@command(c.Score)
def score(ctx: Ctx, cmd: c.Score) -> Reply:
    objective, kr = find_subject(ctx, cmd.subject, "score")
    code = kr.key if kr is not None else objective.key
    cycle = ctx.session.get(Cycle, objective.cycle_id)
    now_phase = phase(cycle, today_of(ctx.org, ctx.now))
    if now_phase == "closed":
        raise Refusal("score_closed", "score", code=code, cycle=cycle.name)
    if now_phase != "closing":
        raise Refusal("score_too_early", "score", code=code, cycle=cycle.name, end=i18n.weekday_day(cycle.end))
    leads, who = leads_of(ctx, objective)
    if kr is None:
        if not leads:
            raise Refusal("score_not_allowed", "score", code=code, who=who)
        objective.score, objective.score_overridden = cmd.score, True
        text = render("score_objective", code=code, title=objective.title, score=cmd.score,
                      mean=objective_mean(ctx.session, objective))
        return Reply(card=Card(None, (Text(text),), fallback=text))
    if not leads and kr.owner_person_id != ctx.person.id:
        raise Refusal("score_not_allowed", "score", code=code, who=f"its owner or {who}")
    refuse_removed(kr, "score")
    return _scored(ctx, [(objective, kr, cmd.score, cmd.moved, cmd.note)])


def _scored(ctx: Ctx, given: list[tuple[Objective, KeyResult, float, bool | None, str | None]]) -> Reply:
    """Keep each score (the objective's mean follows unless its lead set it) and say so, with a carry button for
    each unfinished one."""
    texts, buttons = [], []
    for objective, kr, value, moved, note in given:
        kr.score, kr.score_note, kr.moved_business, kr.scored_at = value, note, moved, ctx.now
        ctx.session.flush()
        if not objective.score_overridden:
            objective.score = objective_mean(ctx.session, objective)
        original = changes.originals(ctx.session, [kr.id]).get(kr.id, {}).get("target")
        texts.append(render("score_done", code=kr.key, score=value, moved=moved, note=note, objective=objective.key,
                            objective_score=objective.score, overridden=objective.score_overridden,
                            original=original, target=changes.text_of(kr.target_value)))
        if value < 1:  # unfinished: it may go on in the next cycle, as a draft (bot.services.carry)
            buttons.append(Button(render("carry_button"), "carry", value=kr.key))
    text = "\n\n".join(texts)
    elements: list = [Text(text)]
    if buttons:
        elements.append(Actions(tuple(buttons)))
    return Reply(card=Card(None, tuple(elements), fallback=text))


# ------------------------------------------------------------------ the closing DM's button and form

SCORE_FORM = "score"
MAX_SCORED = 30  # three fields each stays inside Slack's 100-block modal
SCORES = tuple(f"{n / 10:.1f}" for n in range(10, -1, -1))


def words(macro: str, /, **context: object) -> str:
    return render_macro("scoring", macro, **context)


def _closing_cycle(ctx: Ctx, value: str) -> Cycle:
    """The cycle a button or form names, refused unless it is closing (scores are given then, and only then)."""
    cycle_id = row_id(value)
    cycle = ctx.session.get(Cycle, cycle_id) if cycle_id else None
    if cycle is None or cycle.org_id != ctx.org.id:
        raise Refusal("stale_action")
    now_phase = phase(cycle, today_of(ctx.org, ctx.now))
    if now_phase == "closed":
        raise Refusal("scoring_closed", cycle=cycle.name)
    if now_phase != "closing":
        raise Refusal("scoring_too_early", cycle=cycle.name, end=i18n.weekday_day(cycle.end))
    return cycle


def owned(ctx: Ctx, cycle: Cycle) -> list[tuple[Objective, KeyResult]]:
    """The person's key results of the cycle to score: their own, not removed, of objectives that were set."""
    rows = ctx.session.execute(select(Objective, KeyResult).join(KeyResult, KeyResult.objective_id == Objective.id)
                               .where(Objective.org_id == ctx.org.id, Objective.cycle_id == cycle.id,
                                      Objective.status != "draft", KeyResult.owner_person_id == ctx.person.id,
                                      KeyResult.removed_at.is_(None))
                               .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id))
    return [(objective, kr) for objective, kr in rows][:MAX_SCORED]


def scoring_button(cycle: Cycle) -> Actions:
    """The closing DM's button (bot.rituals.quarterly): the cycle's id is its value."""
    return Actions((Button(words("button"), "score_open", value=str(cycle.id), style="primary"),))


@action("score_open")
def score_open(ctx: Ctx, interaction: Interaction) -> Reply:
    cycle = _closing_cycle(ctx, interaction.value)
    rows = owned(ctx, cycle)
    if not rows:
        text = words("nothing", cycle=cycle.name)
        return Reply(card=Card(None, (Text(text),), fallback=text))
    scores = tuple(Option(value, value) for value in SCORES)
    moved = (Option(words("moved_yes"), "yes"), Option(words("moved_no"), "no"))
    fields: list[FormField] = []
    for _objective, kr in rows:
        fields.extend((
            FormField(f"score:{kr.id}", words("field_score", code=kr.key, title=kr.title)[:150], "select", scores,
                      f"{kr.score:.1f}" if kr.score is not None else None, optional=True),
            FormField(f"moved:{kr.id}", words("field_moved", code=kr.key), "select", moved,
                      {True: "yes", False: "no"}.get(kr.moved_business), optional=True),
            FormField(f"note:{kr.id}", words("field_note", code=kr.key), initial=kr.score_note, optional=True,
                      max_length=c.MAX_TEXT),
        ))
    return Reply(form=Form(SCORE_FORM, words("form_title", cycle=cycle.name), tuple(fields), words("save"),
                           words("form_intro"), str(cycle.id)))


@submit(SCORE_FORM)
def save_scores(ctx: Ctx, interaction: Interaction) -> Reply:
    """Every field checked first; then the scores given are kept, as `score KR N yes|no note` keeps one."""
    cycle = _closing_cycle(ctx, interaction.value)
    given, errors = [], {}
    for objective, kr in owned(ctx, cycle):
        raw = (interaction.form.get(f"score:{kr.id}") or "").strip()
        if not raw:
            continue
        value = c.parse_number(raw)
        if value is None or not 0 <= value <= 1:
            errors[f"score:{kr.id}"] = render_macro("errors", "bad_score", given=raw[:20])
            continue
        moved = {"yes": True, "no": False}.get((interaction.form.get(f"moved:{kr.id}") or "").strip())
        note = (interaction.form.get(f"note:{kr.id}") or "").strip() or None
        if note and len(note) > c.MAX_TEXT:
            errors[f"note:{kr.id}"] = render("field_too_long", limit=c.MAX_TEXT)
        given.append((objective, kr, round(value, 2), moved, note))
    if errors:
        return Reply(errors=errors)
    if not given:
        text = words("none_given")
        return Reply(card=Card(None, (Text(text),), fallback=text))
    return _scored(ctx, given)
