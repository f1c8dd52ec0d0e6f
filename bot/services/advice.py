"""The method's advice, checked against the data: the alignment report and OKR lint.

Alignment (okr-levels-and-alignment): "OKRs at different levels within an organization influence
and support each other. If each level operates independently, OKRs will not effectively help the
organization to achieve its strategic goals." A department's or team's business objective should
therefore align to an objective or key result above it. Capability (non-business, HR/CHO-line)
objectives are exempt: the method shows the HR team's objectives rightly aligning to neither the
company's nor the department's business directions. Of personal objectives, only those whose source
is "aligned" (the breakdown of a superior's key result) must point at something; self-driven and
external-support ones by definition need not.

Every message lives in prompts/advice.j2, one macro per code, quoting the method's reason.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, over, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot.context import Ctx, current_cycle
from bot.errors import Refusal
from bot.handlers import command
from bot.levels import Level
from bot.model import Card, Context, Reply, Text
from bot.render import environment
from bot.services.priorities import MAX_PRIORITIES
from bot.weeks import week_of
from storage.models import CheckIn, Cycle, KeyResult, Objective, Organization, Priority, Team

MIN_KRS, MAX_KRS = 2, 5  # outside this a warning
ADVISED_KRS = (3, 4)  # the method's "3 to 4 key results": 2 or 5 is advice, not a warning
CYCLE_MONTHS = 3  # "Give yourself three months to challenge OKRs": a cycle shorter than a quarter is advised against
HIDING_STRENGTH, DESPAIR = 8, 2  # an initial confidence of 8-10 hides strength; 1-2 is despairing
# An objective that reads as a metric: a percentage, an amount of money, or a number of two digits or more that
# is not a year ("Q4", "v2" and "top 3" are names, not targets).
_METRIC = re.compile(r"""
    \d[\d,.]*\s*(?:%|percent\b|pct\b)                  # 20%, 20 percent
  | [$€£¥]\s*\d | \d\s*(?:[$€£¥]|usd\b|eur\b|rmb\b)    # $50,000, 50k RMB
  | \bkpis?\b                                         # "hit the KPIs"
  | (?<![\w.,/-])(?!(?:19|20)\d\d(?!\d))\d[\d,.]*\d(?:\s*[kmb])?(?!\w)   # 25,000 or 50k, but not 2026
""", re.IGNORECASE | re.VERBOSE)
# The advice about how an objective and its key results are written, not how they are kept: what a form that
# writes an OKR shows right after it (a new key result is never "stale", whatever its check-ins).
WRITING = frozenset({"kr_count", "kr_count_advised", "objective_metric", "objective_no_owner", "kr_unmeasured",
                     "kr_no_owner"})
STALE_AFTER = timedelta(weeks=2)
MAX_LISTED = 25  # items per card; the CLI lists all of them
MAX_CHARS = 2800
Severity = Literal["warning", "info"]


@dataclass(frozen=True)
class Misalignment:
    code: str  # unaligned | aligned_below | individual_unaligned
    subject: str  # the objective's key
    title: str
    level: str
    message: str


@dataclass(frozen=True)
class Advice:
    code: str
    severity: Severity
    subject: str  # what it is about, by key (objective, key result, cycle, "team-key 2026-W47")
    message: str


@cache
def _macros():
    return environment().get_template("advice.j2").make_module()


def advice_text(code: str, **context: object) -> str:
    """Render one macro of prompts/advice.j2 (only the arguments it declares are passed)."""
    macro = getattr(_macros(), code)
    return str(macro(**{k: v for k, v in context.items() if k in macro.arguments})).strip()


def _objectives(session: Session, org: Organization, cycle: Cycle) -> list[Objective]:
    return list(session.scalars(
        select(Objective)
        .where(Objective.org_id == org.id, Objective.cycle_id == cycle.id, Objective.status != "closed")
        .order_by(Objective.position, Objective.id)
    ))


def _key_results(session: Session, org: Organization, cycle: Cycle) -> list[KeyResult]:
    return list(session.scalars(
        select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.org_id == org.id, Objective.cycle_id == cycle.id, Objective.status != "closed",
               KeyResult.live)
        .order_by(Objective.position, Objective.id, KeyResult.position, KeyResult.id)
    ))


def alignment_report(session: Session, org: Organization, cycle: Cycle) -> list[Misalignment]:
    """Objectives that should support something above them and do not (three statements in all)."""
    objectives = _objectives(session, org, cycle)
    by_id = {o.id: o for o in objectives}
    kr_targets = {o.aligns_to_kr_id for o in objectives if o.aligns_to_kr_id}
    kr_parent: dict[int, int] = dict(session.execute(
        select(KeyResult.id, KeyResult.objective_id).where(KeyResult.org_id == org.id, KeyResult.id.in_(kr_targets))
    ).all()) if kr_targets else {}
    missing = {kr_parent[k] for k in kr_targets if k in kr_parent} | {
        o.aligns_to_objective_id for o in objectives if o.aligns_to_objective_id
    }
    missing -= set(by_id)
    if missing:  # a parent in another cycle or closed: still a real parent
        by_id.update({o.id: o for o in session.scalars(
            select(Objective).where(Objective.org_id == org.id, Objective.id.in_(missing)))})
    found: list[Misalignment] = []
    for objective in objectives:
        if objective.level == "individual":
            if objective.source != "aligned" or objective.aligns_to_objective_id or objective.aligns_to_kr_id:
                continue
            code = "individual_unaligned"
        elif objective.level in ("department", "team") and objective.type == "business":
            parent_id = objective.aligns_to_objective_id or kr_parent.get(objective.aligns_to_kr_id or 0)
            parent = by_id.get(parent_id) if parent_id else None
            if parent is not None and Level.rank(parent.level) < Level.rank(objective.level):
                continue
            code = "unaligned" if parent is None else "aligned_below"
        else:
            continue
        parent_key = None
        if code == "aligned_below":
            parent_key = parent.key  # type: ignore[union-attr]
        found.append(Misalignment(
            code=code, subject=objective.key, title=objective.title, level=objective.level,
            message=advice_text(code, key=objective.key, title=objective.title, level=objective.level,
                                parent=parent_key),
        ))
    return found


def lint(session: Session, org: Organization, cycle: Cycle, now: datetime) -> list[Advice]:
    """The method's advice, checked against one cycle. A fixed number of statements, whatever the size."""
    found: list[Advice] = []

    def advise(code: str, severity: Severity, subject: str, **context: object) -> None:
        found.append(Advice(code, severity, subject, advice_text(code, subject=subject, **context)))

    if not org.mission:
        advise("no_mission", "warning", org.name)
    days = (cycle.end - cycle.start).days + 1
    if cycle.end < months_after(cycle.start, CYCLE_MONTHS) - timedelta(days=1):
        advise("cycle_short", "warning", cycle.name, days=days, months=CYCLE_MONTHS)
    objectives = _objectives(session, org, cycle)
    if objectives and not any(o.type == "capability" for o in objectives):
        advise("no_capability", "info", cycle.name)
    company = [o for o in objectives if o.level == "company" and o.type == "business"]
    if len(company) > 1 and not org.multiple_business_lines:
        advise("company_objectives", "warning", cycle.name, count=len(company),
               keys=", ".join(o.key for o in company))
    krs = _key_results(session, org, cycle)
    per_objective = Counter(kr.objective_id for kr in krs)
    for objective in objectives:
        count = per_objective[objective.id]
        if count < MIN_KRS or count > MAX_KRS:
            advise("kr_count", "warning", objective.key, count=count, low=MIN_KRS, high=MAX_KRS)
        elif count not in ADVISED_KRS:
            advise("kr_count_advised", "info", objective.key, count=count, low=ADVISED_KRS[0], high=ADVISED_KRS[-1])
        if reads_as_metric(objective.title):
            advise("objective_metric", "warning", objective.key, title=objective.title)
        if objective.owner_team_id is None and objective.owner_person_id is None:
            advise("objective_no_owner", "warning", objective.key)
    for kr in krs:
        if kr.target_value is None and not kr.milestone:
            advise("kr_unmeasured", "warning", kr.key)
        if kr.owner_person_id is None:
            advise("kr_no_owner", "warning", kr.key)
    _initial_confidence(session, org, cycle, krs, advise)
    _too_many_priorities(session, org, cycle, advise)
    _stale_confidence(session, org, cycle, now, krs, advise)
    return found


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def reads_as_metric(title: str) -> bool:
    """Whether an objective's title reads as a number to hit rather than a direction ("Raise revenue 20%")."""
    return _METRIC.search(title) is not None


def _initial_confidence(session: Session, org: Organization, cycle: Cycle, krs: list[KeyResult], advise) -> None:
    """Key results whose first confidence (their first check-in; the current one when there is none) was 8-10
    or 1-2: the method recommends starting near 5, "challenging but not despairing"."""
    if not krs:
        return
    first = (
        select(CheckIn.key_result_id, CheckIn.confidence,
               over(func.row_number(), partition_by=CheckIn.key_result_id,
                    order_by=(CheckIn.at, CheckIn.id)).label("n"))
        .join(KeyResult, KeyResult.id == CheckIn.key_result_id)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(CheckIn.org_id == org.id, Objective.cycle_id == cycle.id)
        .subquery()
    )
    initial = dict(session.execute(select(first.c.key_result_id, first.c.confidence).where(first.c.n == 1)).all())
    for kr in krs:
        confidence = initial.get(kr.id, kr.confidence)
        if confidence >= HIDING_STRENGTH:
            advise("confidence_hiding_strength", "info", kr.key, confidence=confidence)
        elif confidence <= DESPAIR:
            advise("confidence_despair", "info", kr.key, confidence=confidence)


def _too_many_priorities(session: Session, org: Organization, cycle: Cycle, advise) -> None:
    first, last = week_of(cycle.start), week_of(cycle.end)
    rows = session.execute(
        select(Team.key, Priority.week, func.count())
        .join(Team, Team.id == Priority.team_id)
        .where(Priority.org_id == org.id, Priority.status != "dropped", Priority.week >= first, Priority.week <= last)
        .group_by(Team.key, Priority.week)
        .having(func.count() > MAX_PRIORITIES)
        .order_by(Priority.week, Team.key)
    ).all()
    for team_key, week, count in rows:
        advise("too_many_priorities", "warning", f"{team_key} {week}", count=count, limit=MAX_PRIORITIES)


def _stale_confidence(session: Session, org: Organization, cycle: Cycle, now: datetime, krs, advise) -> None:
    """A key result whose confidence nobody confirmed for two weeks ("OKR progress must be confirmed
    every week"). Only while the cycle runs, and only once it has run two weeks."""
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    if not cycle.start + STALE_AFTER <= today <= cycle.end or not krs:
        return
    since = now - STALE_AFTER
    ids = [kr.id for kr in krs]
    fresh = set(session.scalars(
        select(CheckIn.key_result_id).where(
            CheckIn.org_id == org.id, CheckIn.key_result_id.in_(ids), CheckIn.at >= since
        ).distinct()
    ))
    for kr in krs:
        if kr.id not in fresh:
            advise("stale_confidence", "info", kr.key, weeks=STALE_AFTER.days // 7)


def _cycle(ctx: Ctx) -> Cycle:
    cycle = current_cycle(ctx.session, ctx.org, ctx.now)
    if cycle is None:
        raise Refusal("no_cycle")
    return cycle


def _listing(title: str, intro: str, lines: list[str], fallback: str) -> Card:
    shown = lines[:MAX_LISTED]
    elements: list = [Text(intro)]
    chunk: list[str] = []
    for line in shown:  # texts of at most MAX_CHARS each: Slack draws at most 3,000 characters per section
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > MAX_CHARS:
            elements.append(Text("\n".join(chunk)))
            chunk = []
        chunk.append(line[:MAX_CHARS])
    if chunk:
        elements.append(Text("\n".join(chunk)))
    if len(lines) > len(shown):
        elements.append(Context(advice_text("more", count=len(lines) - len(shown))))
    return Card(title, tuple(elements), fallback=fallback)


def alignment_card(misalignments: list[Misalignment], cycle: Cycle) -> Card:
    intro = advice_text("align_intro", cycle=cycle.name, count=len(misalignments))
    lines = [advice_text("line", subject=m.subject, message=m.message) for m in misalignments]
    return _listing(advice_text("align_title", cycle=cycle.name), intro, lines, intro)


def lint_card(advice: list[Advice], cycle: Cycle) -> Card:
    ordered = sorted(advice, key=lambda a: a.severity != "warning")
    intro = advice_text("lint_intro", cycle=cycle.name, count=len(advice),
                        warnings=sum(a.severity == "warning" for a in advice))
    lines = [advice_text("line", subject=a.subject, message=a.message, severity=a.severity) for a in ordered]
    return _listing(advice_text("lint_title", cycle=cycle.name), intro, lines, intro)


@command(c.Align)
def align(ctx: Ctx, _cmd: c.Align) -> Reply:
    cycle = _cycle(ctx)
    return Reply(card=alignment_card(alignment_report(ctx.session, ctx.org, cycle), cycle))


@command(c.Lint)
def lint_command(ctx: Ctx, _cmd: c.Lint) -> Reply:
    cycle = _cycle(ctx)
    return Reply(card=lint_card(lint(ctx.session, ctx.org, cycle, ctx.now), cycle))
