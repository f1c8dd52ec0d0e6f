"""The Monday four-square of a team: the method's four quadrants as one read model and one card.

The method: "Tasks to focus on this week" (P1/P2, up to 4), "Plans for the next four weeks",
"Current status of OKRs" ("Is it getting higher or lower? Because what happened?") and "Status
indicators" (green is good, yellow is alert, red is bad). Company OKRs come first, then the
department's, then the team's; personal OKRs are never shown in a channel ("Personal OKRs only need
to be communicated one-on-one").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import i18n
from bot.away import away_on, local_day
from bot.cards import progress_text
from bot.context import Ctx, ancestry, current_cycle, zone_of
from bot.handlers import command
from bot.levels import Level
from bot.links import absolute, key_result_path
from bot.model import Actions, Button, Card, Context, Divider, Fields, KeyResultLine, Reply, Text
from bot.render import render
from bot.services.keyresults import colour
from bot.services.priorities import MAX_PRIORITIES, PriorityItem, by_key_result, priority_items
from bot.services.trends import ID_CHUNK, confidence_trends, since_last_week, week_start, weeks_ending
from bot.weeks import monday_of, shift
from storage.models import (
    CheckIn,
    Cycle,
    HealthMetric,
    HealthUpdate,
    KeyResult,
    Objective,
    Organization,
    Person,
    Plan,
    Priority,
    Team,
)

TREND_WEEKS = 6  # weeks of confidence history drawn next to each key result
PLAN_WEEKS = 4  # "plans for the next four weeks": a plan stays on the board four weeks from the week it was added
IDLE_WEEKS = 2  # a key result of the team no priority served in the last two weeks (nor this one) is flagged


@dataclass(frozen=True)
class PlanItem:
    text: str
    week: str  # the week it was added
    author: str | None
    kr: str | None = None  # the code of the key result it serves


@dataclass(frozen=True)
class OkrStatus:
    """One key result on the board: this week's confidence against last week's."""

    kr_id: int
    code: str
    title: str
    objective: str
    level: str  # the owning objective's level: company | department | team
    team_id: int  # the owning team
    team: str  # the owning team's name
    owner: str | None
    confidence: int
    colour: str
    previous: int | None  # confidence at the end of last week; None before the first check-in
    delta: int | None
    flagged: bool  # dropped by 2 or more since last week: talk about this
    progress: str | None
    trend: tuple[int, ...]
    note: str | None = None  # the latest note written with a check-in this week: the owner's "because what happened"
    note_by: str | None = None
    owner_id: int | None = None
    away_until: str | None = None  # the owner is away (bot.away) until this day (ISO): posts say so beside the name

    @property
    def owner_words(self) -> str | None:
        """The owner as posts name them: "Zhou Qiang, away until 2027-01-04" while away."""
        if self.owner and self.away_until:
            return render("away_label", name=self.owner, end=self.away_until)
        return self.owner


@dataclass(frozen=True)
class HealthStatus:
    name: str
    status: str | None  # this week's latest: green | yellow | red; None when nobody set it yet
    note: str | None
    previous: str | None  # last week's latest


@dataclass(frozen=True)
class FourSquare:
    team_id: int
    team_key: str
    team_name: str
    week: str
    timezone: str
    cycle: str | None
    priorities: tuple[PriorityItem, ...]
    plans: tuple[PlanItem, ...]
    okrs: tuple[OkrStatus, ...]
    health: tuple[HealthStatus, ...]
    idle: tuple[str, ...] = ()  # codes of the team's own key results no priority served for IDLE_WEEKS

    @property
    def flagged(self) -> tuple[OkrStatus, ...]:
        return tuple(o for o in self.okrs if o.flagged)


# The board's statements are built once, with bind parameters: building a statement costs more Python
# time than running it, and a four-square or a roll-up runs each one once.
_IN_SCOPE = (
    Objective.org_id == bindparam("org_id"),
    Objective.cycle_id == bindparam("cycle_id"),
    Objective.owner_team_id.in_(bindparam("team_ids", expanding=True)),
    Objective.level != "individual",
    Objective.status != "closed",
    KeyResult.live,  # a key result an honest change removed is kept, not shown
)
# Plain columns, not ORM entities: a company roll-up reads tens of thousands of these rows.
_BOARD_KRS = (
    select(
        KeyResult.id, KeyResult.key, KeyResult.title, KeyResult.confidence, KeyResult.position,
        KeyResult.start_value, KeyResult.current_value, KeyResult.target_value, KeyResult.unit,
        KeyResult.milestone, KeyResult.value_source, Objective.id.label("objective_id"),
        Objective.title.label("objective"),
        Objective.level, Objective.owner_team_id, Objective.position.label("objective_position"),
        Person.name.label("owner"), KeyResult.owner_person_id.label("owner_id"),
    )
    .join(Objective, Objective.id == KeyResult.objective_id)
    .outerjoin(Person, Person.id == KeyResult.owner_person_id)
    .where(*_IN_SCOPE)
)
_BOARD_KR_IDS = select(KeyResult.id).join(Objective, Objective.id == KeyResult.objective_id).where(*_IN_SCOPE)
_HEALTH = (
    select(HealthMetric.id, HealthMetric.team_id, HealthMetric.name, HealthUpdate.week, HealthUpdate.status,
           HealthUpdate.note)
    .outerjoin(HealthUpdate, (HealthUpdate.metric_id == HealthMetric.id)
               & HealthUpdate.week.in_(bindparam("weeks", expanding=True)))
    .where(HealthMetric.team_id.in_(bindparam("team_ids", expanding=True)))
    .order_by(HealthMetric.team_id, HealthMetric.position, HealthMetric.id, HealthUpdate.at, HealthUpdate.id)
)
_PLANS = (
    select(Plan.team_id, Plan.text, Plan.week, Person.name, KeyResult.key)
    .outerjoin(Person, Person.id == Plan.author_person_id)
    .outerjoin(KeyResult, KeyResult.id == Plan.key_result_id)
    .where(Plan.team_id.in_(bindparam("team_ids", expanding=True)), Plan.week.in_(bindparam("weeks", expanding=True)))
    .order_by(Plan.week, Plan.created_at, Plan.id)
)


def okr_status(
    session: Session, org: Organization, cycle: Cycle | None, teams: list, week: str, timezone: str,
    trend_weeks: int = TREND_WEEKS, all_notes: bool = False,
) -> list[OkrStatus]:
    """Key results of `cycle` owned by `teams` (never individual objectives), in the order of `teams`.

    `teams` are Team rows or anything with an `id` and a `name` (the rows of `ancestry`). One query for
    the key results and one for their trends, whatever their number: the trend query takes the same
    filter as a subquery instead of a list of ids. `trend_weeks` >= 2 (this week and last week give the
    change). This week's notes are read for the flagged ones (one more query, only when any is flagged),
    or for every one with `all_notes` (the status report).
    """
    if cycle is None or not teams:
        return []
    order = {t.id: i for i, t in enumerate(teams)}
    names = {t.id: t.name for t in teams}
    scope = {"org_id": org.id, "cycle_id": cycle.id, "team_ids": list(order)}
    rows = session.execute(_BOARD_KRS, scope).all()
    if not rows:
        return []
    rows.sort(key=lambda r: (order[r.owner_team_id], Level.rank(r.level), r.objective_position,
                             r.objective_id, r.position, r.id))
    trends = confidence_trends(session, _BOARD_KR_IDS, weeks_ending(week, trend_weeks), timezone, scope)
    statuses = []
    for kr in rows:
        trend = trends.get(kr.id, ())
        confidence = trend[-1] if trend else kr.confidence
        change = since_last_week(trend)
        statuses.append(OkrStatus(
            kr_id=kr.id, code=kr.key, title=kr.title, objective=kr.objective, level=kr.level,
            team_id=kr.owner_team_id, team=names[kr.owner_team_id], owner=kr.owner, confidence=confidence,
            colour=colour(confidence, org.red_max, org.green_min), previous=change.previous, delta=change.delta,
            flagged=change.flagged, progress=progress_text(kr), trend=trend, owner_id=kr.owner_id,
        ))
    wanted = [s.kr_id for s in statuses if all_notes or s.flagged]
    notes = week_notes(session, wanted, week_start(week, timezone)) if wanted else {}
    return [replace(s, note=notes[s.kr_id][0], note_by=notes[s.kr_id][1]) if s.kr_id in notes else s
            for s in statuses]


_NOTES = (
    select(CheckIn.key_result_id, CheckIn.note, Person.name)
    .outerjoin(Person, Person.id == CheckIn.person_id)
    .where(CheckIn.key_result_id.in_(bindparam("kr_ids", expanding=True)), CheckIn.at >= bindparam("since"),
           CheckIn.note.is_not(None), CheckIn.note != "", CheckIn.source != "import")
    .order_by(CheckIn.at, CheckIn.id)
)


def mark_away(session: Session, okrs: list[OkrStatus], day) -> list[OkrStatus]:
    """The statuses whose owner is away on `day` (bot.away) say until when, in one statement."""
    away = away_on(session, (o.owner_id for o in okrs if o.owner_id is not None), day)
    return [replace(o, away_until=away[o.owner_id].end.isoformat()) if o.owner_id in away else o for o in okrs]


def week_notes(session: Session, kr_ids: list[int], since: datetime) -> dict[int, tuple[str, str | None]]:
    """The latest note (and its writer) of each key result's check-ins since `since`: why it moved, in the owner's
    words, so the Monday post quotes it instead of asking "what happened?"."""
    notes: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(kr_ids), ID_CHUNK):
        for kr_id, note, name in session.execute(_NOTES, {"kr_ids": kr_ids[start : start + ID_CHUNK],
                                                          "since": since}):
            notes[kr_id] = (note, name)  # later rows win
    return notes


def health_status(session: Session, team_ids: list[int], week: str) -> dict[int, list[HealthStatus]]:
    """Each team's health metrics with this week's and last week's latest colour, in one query."""
    if not team_ids:
        return {}
    last_week = shift(week, -1)
    rows = session.execute(_HEALTH, {"team_ids": list(team_ids), "weeks": [week, last_week]}).all()
    metrics: dict[int, tuple[int, str]] = {}
    latest: dict[tuple[int, str], tuple[str, str | None]] = {}
    for metric_id, team_id, name, update_week, status, note in rows:
        metrics.setdefault(metric_id, (team_id, name))
        if update_week is not None:
            latest[(metric_id, update_week)] = (status, note)  # later rows win
    result: dict[int, list[HealthStatus]] = {team_id: [] for team_id in team_ids}
    for metric_id, (team_id, name) in metrics.items():
        status, note = latest.get((metric_id, week), (None, None))
        before = latest.get((metric_id, last_week))
        result[team_id].append(HealthStatus(name=name, status=status, note=note,
                                            previous=before[0] if before else None))
    return result


def plans_on_board(session: Session, team_ids: list[int], week: str) -> dict[int, list[PlanItem]]:
    """Plans still on the board in `week`: those added in this week or the three before it.

    A plan is written for "the next four weeks", so it stays relevant for four weeks from the week it
    was added and then drops off by itself; nothing has to be closed by hand.
    """
    if not team_ids:
        return {}
    weeks = [shift(week, -n) for n in range(PLAN_WEEKS)]
    result: dict[int, list[PlanItem]] = {team_id: [] for team_id in team_ids}
    for team_id, text, plan_week, author_name, kr in session.execute(_PLANS, {"team_ids": list(team_ids),
                                                                              "weeks": weeks}):
        result[team_id].append(PlanItem(text, plan_week, author_name, kr))
    return result


def four_square(session: Session, org: Organization, team: Team, week: str, now: datetime) -> FourSquare:
    """Everything the team's Monday meeting looks at, for ISO `week` in the team's zone.

    Priorities come from `priority_items`, which carries last week's open ones over the first time a
    new week is looked at (so this may write those carried rows, in the caller's transaction).
    """
    chain = ancestry(session, team.id)  # the team and its ancestors, company first: whose OKRs the board shows
    zone = zone_of(chain, org)
    priorities = priority_items(session, team, week, now)
    cycle = current_cycle(session, org, now)
    okrs = mark_away(session, okr_status(session, org, cycle, chain, week, zone), local_day(now, zone))
    return FourSquare(
        team_id=team.id,
        team_key=team.key,
        team_name=team.name,
        week=week,
        timezone=zone,
        cycle=cycle.name if cycle else None,
        priorities=tuple(priorities),
        plans=tuple(plans_on_board(session, [team.id], week)[team.id]),
        okrs=tuple(okrs),
        health=tuple(health_status(session, [team.id], week)[team.id]),
        idle=idle_key_results(session, cycle, [o for o in okrs if o.team_id == team.id], week),
    )


_SERVED = (
    select(Priority.key_result_id).distinct()
    .where(Priority.key_result_id.in_(bindparam("kr_ids", expanding=True)),
           Priority.week.in_(bindparam("weeks", expanding=True)))
)


def idle_key_results(session: Session, cycle: Cycle | None, own: list[OkrStatus], week: str) -> tuple[str, ...]:
    """The team's own key results that no priority (of any team) served this week or in the IDLE_WEEKS before it:
    "only if these things are completed this week can the team's goals move forward." Asked only once the cycle
    has run that long, so a new cycle's first Monday flags nothing."""
    if cycle is None or not own or cycle.start > monday_of(shift(week, -IDLE_WEEKS)):
        return ()
    weeks = [shift(week, -n) for n in range(IDLE_WEEKS + 1)]
    served = set(session.scalars(_SERVED, {"kr_ids": [o.kr_id for o in own], "weeks": weeks}))
    return tuple(o.code for o in own if o.kr_id not in served)


def okr_line(status: OkrStatus, org_id: int, base: str | None = None) -> KeyResultLine:
    return KeyResultLine(
        code=status.code, title=status.title, confidence=status.confidence, colour=status.colour,  # type: ignore[arg-type]
        delta=status.delta, trend=status.trend, flagged=status.flagged, progress=status.progress,
        owner=status.owner_words, level=status.level, url=absolute(base, key_result_path(status.code, org_id)),
    )


def four_square_card(fs: FourSquare, org: Organization, base: str | None = None) -> Card:
    """The four quadrants as a neutral card. Colour is never the only signal: numbers and words too.
    Each key result links to its page under `base`, the dashboard's base URL ("" for relative links)."""
    elements: list = [
        Text(render("foursquare_priorities", priorities=fs.priorities, limit=MAX_PRIORITIES,
                    counted=sum(1 for p in fs.priorities if p.counted), groups=by_key_result(fs.priorities))),
        Text(render("foursquare_plans", plans=fs.plans)),
        Divider(),
        Text(render("foursquare_okrs", okrs=fs.okrs, cycle=fs.cycle)),
    ]
    level = None
    for status in fs.okrs:
        if status.level != level:
            level = status.level
            elements.append(Context(render("foursquare_level", level=level, team=status.team)))
        elements.append(okr_line(status, org.id, base))
    if fs.flagged:
        elements.append(Context(render("foursquare_flagged", flagged=fs.flagged)))
    if fs.idle:
        elements.append(Context(render("foursquare_idle", idle=fs.idle, weeks=IDLE_WEEKS)))
    elements.append(Divider())
    elements.append(Text(render("foursquare_health", health=fs.health)))
    if fs.health:
        elements.append(Fields(tuple(
            (h.name, render("foursquare_health_value", status=h.status, note=h.note, previous=h.previous))
            for h in fs.health
        )))
    elements.append(Actions((
        Button(i18n.gettext("Update my confidence"), "checkin_open", style="primary"),
        Button(i18n.gettext("Set priorities"), "priorities_open", value=str(fs.team_id)),
    )))
    title = render("foursquare_title", team=fs.team_name, week=fs.week)
    fallback = render("foursquare_fallback", team=fs.team_name, week=fs.week, priorities=len(fs.priorities),
                      okrs=len(fs.okrs), flagged=len(fs.flagged))
    return Card(title, tuple(elements), fallback=fallback)


@command(c.Okrs)
def okrs(ctx: Ctx, cmd: c.Okrs) -> Reply:
    team = ctx.find_team(cmd.team) if cmd.team else ctx.team()
    fs = four_square(ctx.session, ctx.org, team, ctx.week(team), ctx.now)
    return Reply(card=four_square_card(fs, ctx.org, ctx.dashboard_url))
