"""The weekly status report in the method's five parts, rolled up the team tree, and the Friday wins.

The method's report: (1) the team's OKRs with confidence, red at 3 or below and green above 7;
(2) last week's priorities, done or not and why; (3) next week's three most important items;
(4) risks or obstacles ("bosses don't like surprises"); (5) remarks. A lead gets it for every team
they lead, so a department lead sees their teams and a company lead the whole tree.

Bounded output: a report is a chat message, so each part lists at most MAX_TEAMS teams (those with
the most to say first) and a few lines per team, then says how many more there are. The data is read
with a fixed number of statements whatever the size of the tree (no N+1); the benchmark relies on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import commands as c
from bot import i18n
from bot.away import local_day
from bot.context import Ctx, current_cycle, team_timezone
from bot.handlers import command
from bot.links import absolute, report_path
from bot.model import Actions, Button, Card, Context, Divider, Reply, Text
from bot.render import render
from bot.services.foursquare import (
    HealthStatus,
    OkrStatus,
    PlanItem,
    health_status,
    mark_away,
    okr_status,
    plans_on_board,
)
from bot.services.notes import TypedNote, notes_of
from bot.services.weekly import WIN_MARK, wins_of_week
from bot.weeks import shift
from storage.models import Organization, Person, Priority, Team, TeamMember, Win

MAX_TEAMS = 5  # teams listed per part; the rest are counted
MAX_LINES = 5  # lines per team per part
TOP = 3  # "Just list three important items"
MAX_TITLE = 80  # long titles are cut in the report (the dashboard has them whole)
MAX_WINS = 30


@dataclass
class TeamWeek:
    """What the report knows about one team: plain values, read in bulk."""

    team: Team
    depth: int
    okrs: list[OkrStatus] = field(default_factory=list)
    priorities: list[Priority] = field(default_factory=list)
    health: list[HealthStatus] = field(default_factory=list)
    plans: list[PlanItem] = field(default_factory=list)
    notes: list[TypedNote] = field(default_factory=list)  # typed risks, help requests, remarks (bot.services.notes)
    next_week: list[Priority] = field(default_factory=list)  # what its lead wrote for next week (`/okr next`)

    @property
    def written(self) -> list[Priority]:
        """What the lead wrote for next week (`/okr next`, the wrap-up's top-three form)."""
        return [p for p in self.next_week if p.status != "dropped"]

    @property
    def top(self) -> list[Priority]:
        """Next week's top three: what the lead wrote, else the week's open items (they carry over), P1 before P2,
        in the order they were set."""
        return self.written[:TOP] if self.written else [p for p in self.priorities if p.status == "open"][:TOP]

    @property
    def risky_okrs(self) -> list[OkrStatus]:
        return [o for o in self.okrs if o.colour == "red" or o.flagged]

    @property
    def risky_health(self) -> list[HealthStatus]:
        return [h for h in self.health if h.status in ("red", "yellow")]

    @property
    def raised(self) -> list[TypedNote]:
        """Risks and help requests people typed: part 4, beside the derived lines."""
        return [n for n in self.notes if n.kind in ("risk", "help")]

    @property
    def dropped(self) -> list[Priority]:
        return [p for p in self.priorities if p.status == "dropped"]


def _cut(text: str, limit: int = MAX_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _whole(text: str, _limit: int = MAX_TITLE) -> str:
    """The full report cuts nothing."""
    return text


Cut = Callable[..., str]  # _cut in chat, _whole in the full report


def subtree(session: Session, org: Organization, roots: list[Team]) -> list[tuple[Team, int]]:
    """The roots and everything under them, depth first (a department, then its teams), each once.

    One query for the organization's teams; the tree is walked in memory.
    """
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.name, Team.id)):
        children[team.parent_id].append(team)
    ordered: list[tuple[Team, int]] = []
    seen: set[int] = set()

    def walk(team: Team, depth: int) -> None:
        if team.id in seen:
            return
        seen.add(team.id)
        ordered.append((team, depth))
        for child in children.get(team.id, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return ordered


def led_teams(session: Session, org: Organization, lead: Person) -> list[Team]:
    """The teams `lead` leads, without those already under another team they lead."""
    teams = list(session.scalars(
        select(Team).join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.org_id == org.id, TeamMember.person_id == lead.id, TeamMember.role == "lead")
        .order_by(Team.id)
    ))
    ids = {t.id for t in teams}
    parents = {t.id: t.parent_id for t in session.scalars(select(Team).where(Team.org_id == org.id))}

    def under_another(team: Team) -> bool:
        node, seen = parents.get(team.id), set()
        while node is not None and node not in seen:
            if node in ids:
                return True
            seen.add(node)
            node = parents.get(node)
        return False

    return [t for t in teams if not under_another(t)]


def _priorities(session: Session, team_ids: list[int], week: str) -> tuple[dict[int, list[Priority]],
                                                                       dict[int, list[Priority]]]:
    """The week's priorities per team (a team with none yet shows last week's open ones, carried over), and what
    was written for next week already, in one statement.

    Read-only: unlike the four-square, the report does not write the carried rows.
    """
    last_week, next_week = shift(week, -1), shift(week, 1)
    rows = session.scalars(
        select(Priority).where(Priority.team_id.in_(team_ids), Priority.week.in_([week, last_week, next_week]))
        .order_by(Priority.level, Priority.created_at, Priority.id)
    )
    this: dict[int, list[Priority]] = defaultdict(list)
    before: dict[int, list[Priority]] = defaultdict(list)
    after: dict[int, list[Priority]] = defaultdict(list)
    for row in rows:
        {week: this, last_week: before, next_week: after}[row.week][row.team_id].append(row)
    return {t: this[t] if this[t] else [p for p in before[t] if p.status == "open"] for t in team_ids}, after


def gather(session: Session, org: Organization, roots: list[Team], week: str, now: datetime) -> list[TeamWeek]:
    """Everything the report shows for the roots' whole subtree, in a fixed number of statements."""
    tree = subtree(session, org, roots)
    if not tree:
        return []
    teams = [team for team, _ in tree]
    ids = [team.id for team in teams]
    zone = team_timezone(session, roots[0], org)
    okrs: dict[int, list[OkrStatus]] = defaultdict(list)
    cycle = current_cycle(session, org, now)
    statuses = okr_status(session, org, cycle, teams, week, zone, trend_weeks=2, all_notes=True)
    for status in mark_away(session, statuses, local_day(now, zone)):
        okrs[status.team_id].append(status)
    priorities, written = _priorities(session, ids, week)
    health = health_status(session, ids, week)
    plans = plans_on_board(session, ids, week)
    notes = notes_of(session, ids, week)
    return [
        TeamWeek(team, depth, okrs[team.id], priorities[team.id], health[team.id], plans[team.id], notes[team.id],
                 written[team.id])
        for team, depth in tree
    ]


Line = Callable[[], str]  # rendered only if shown: a company roll-up has thousands of candidate lines


def _part(number: int, heading: str, teams: list[TeamWeek], lines: Callable[[TeamWeek, Cut], list[Line]],
          empty: str, full: bool = False) -> list:
    """One part of the report: a heading, then one text per team that has something to say (all of them, each
    whole, when `full`: `okrbot report --all` and the dashboard's report page)."""
    speaking = [(tw, ls) for tw in teams if (ls := lines(tw, _whole if full else _cut))]
    max_teams, max_lines = (len(speaking), None) if full else (MAX_TEAMS, MAX_LINES)
    elements: list = [Text(render("report_part", number=number, heading=heading))]
    if not speaking:
        elements.append(Context(empty))
        return elements
    for tw, ls in speaking[:max_teams]:
        shown = [line() for line in ls[:max_lines]]
        elements.append(Text(render("report_team", team=tw.team.name, depth=tw.depth, lines=shown,
                                    more=len(ls) - len(shown))))
    if len(speaking) > max_teams:
        elements.append(Context(render("report_more_teams", count=len(speaking) - max_teams)))
    return elements


def _okr_lines(tw: TeamWeek, cut: Cut) -> list[Line]:
    if not tw.okrs:
        return []
    lines: list[Line] = [partial(render, "report_okr_summary", okrs=tw.okrs)]
    # Those that need the talk first (red or dropped by 2+), then the weakest.
    ranked = sorted(tw.okrs, key=lambda o: (o.colour != "red" and not o.flagged, o.confidence, o.code))
    lines += [partial(render, "report_okr", o=o, title=cut(o.title), note=cut(o.note or "", 200),
                      away=o.owner_words if o.away_until else "") for o in ranked]
    return lines


def _last_week_lines(tw: TeamWeek, cut: Cut) -> list[Line]:
    lines: list[Line] = []
    for p in tw.priorities:
        lines.append(partial(render, "report_priority", p=p, text=cut(p.text, 200), reason=cut(p.reason or "", 200)))
        if p.why and p.status == "open":  # the owner's answer to the wrap-up's "why?"
            lines.append(partial(render, "report_priority_why", why=cut(p.why, 300)))
    live = [p for p in tw.priorities if p.status != "dropped"]
    unserved = sum(1 for p in live if p.key_result_id is None)
    if unserved:  # failure factor ④: "we did a lot of things that deviated from the goal"
        lines.append(partial(render, "report_unserved", count=unserved, total=len(live)))
    return lines


def _top_lines(tw: TeamWeek, cut: Cut) -> list[Line]:
    lines: list[Line] = [partial(render, "report_top", p=p, text=cut(p.text, 200)) for p in tw.top]
    if lines and not tw.written:  # guessed from this week, not the lead's words: say so
        lines.insert(0, partial(render, "report_top_derived"))
    return lines


def _risk_lines(tw: TeamWeek, cut: Cut) -> list[Line]:
    lines: list[Line] = [partial(render, "report_risk_health", h=h, note=cut(h.note or "", 200))
                         for h in sorted(tw.risky_health, key=lambda h: h.status != "red")]
    lines += [partial(render, "report_risk_okr", o=o, title=cut(o.title), note=cut(o.note or "", 200))
              for o in tw.risky_okrs]
    return lines + _typed(tw.raised, cut)


def _typed(notes: list[TypedNote], cut: Cut) -> list[Line]:
    """What people typed, verbatim (cut only in chat, like every other line)."""
    return [partial(render, "report_note_typed", note=n, author=n.author, who=n.who or "", helper=n.helper or "",
                    text=cut(n.text, 300)) for n in notes]


def _note_lines(tw: TeamWeek, cut: Cut) -> list[Line]:
    lines: list[Line] = [
        partial(render, "report_note_dropped", p=p, text=cut(p.text, 120), reason=cut(p.reason or "", 200))
        for p in tw.dropped
    ]
    lines += [partial(render, "report_note_plan", plan=p, text=cut(p.text, 200)) for p in tw.plans]
    return _typed([n for n in tw.notes if n.kind == "remark"], cut) + lines


def report_card(org: Organization, teams: list[TeamWeek], week: str, heading: str, *, full: bool = False,
                see_all: str | None = None) -> Card:
    """The report as a card: bounded for a chat message, or `full` (every team, every line, whole titles).
    A bounded card ends with a button to `see_all`, the dashboard page with the full report."""
    risky = [tw for tw in teams if tw.risky_health or tw.risky_okrs or tw.raised]
    risky.sort(key=lambda tw: -(len(tw.risky_health) + len(tw.risky_okrs) + len(tw.raised)))
    counted = Counter(o.colour for tw in teams for o in tw.okrs)
    colours = {c: counted[c] for c in ("red", "yellow", "green")}
    elements: list = [Text(render("report_heading", heading=heading, week=week, teams=len(teams),
                                  okrs=sum(colours.values()), colours=colours))]
    elements += _part(1, "OKRs", teams, _okr_lines, render("report_empty", part="okrs"), full)
    elements += _part(2, "This week's priorities", teams, _last_week_lines, render("report_empty", part="priorities"),
                      full)
    elements += _part(3, "Next week's top three", teams, _top_lines, render("report_empty", part="top"), full)
    elements += _part(4, "Risks and blockers", risky, _risk_lines, render("report_empty", part="risks"), full)
    elements += _part(5, "Notes", teams, _note_lines, render("report_empty", part="notes"), full)
    elements.append(Divider())
    elements.append(Context(render("report_footer", colours=(org.red_max, org.green_min))))
    if see_all and not full:
        elements.append(Actions((Button(i18n.gettext("See the whole report"), "report_open", url=see_all),)))
    fallback = render("report_fallback", heading=heading, week=week, teams=len(teams), risky=len(risky))
    return Card(render("report_title", week=week), tuple(elements), fallback=fallback)


def status_report(session: Session, org: Organization, lead: Person, week: str, now: datetime,
                  base: str | None = None) -> Card:
    """The five-part report of every team `lead` leads, with everything under those teams; `base` is the
    dashboard's base URL, for the "see the whole report" button."""
    roots = led_teams(session, org, lead)
    return report_card(org, gather(session, org, roots, week, now), week, lead.name,
                       see_all=absolute(base, report_path([t.key for t in roots], org.id)))


def team_status_report(session: Session, org: Organization, team: Team, week: str, now: datetime,
                       base: str | None = None, full: bool = False) -> Card:
    """The five-part report of one team and everything under it (OKRs are public in the method)."""
    return report_card(org, gather(session, org, [team], week, now), week, team.name, full=full,
                       see_all=absolute(base, report_path([team.key], org.id)))


@command(c.Report)
def report(ctx: Ctx, cmd: c.Report) -> Reply:
    """`report TEAM` reports on that team; plain `report` on the teams one leads, else one's own team."""
    if cmd.team:
        team = ctx.find_team(cmd.team)
        return Reply(card=team_status_report(ctx.session, ctx.org, team, ctx.week(team), ctx.now, ctx.dashboard_url))
    roots = led_teams(ctx.session, ctx.org, ctx.person)
    if not roots:
        team = ctx.team()
        return Reply(card=team_status_report(ctx.session, ctx.org, team, ctx.week(team), ctx.now, ctx.dashboard_url))
    week = ctx.week(roots[0])
    return Reply(card=status_report(ctx.session, ctx.org, ctx.person, week, ctx.now, ctx.dashboard_url))


# ------------------------------------------------------------------ Friday wins


def wins_summary_card(session: Session, org: Organization, team: Team, week: str) -> Card:
    """The week's wins of a team: how many, who, and what (the latest MAX_WINS in full)."""
    wins = wins_of_week(session, team.id, week)
    author = aliased(Person)
    names = dict(session.execute(
        select(Win.id, author.name).join(author, author.id == Win.author_person_id)
        .where(Win.team_id == team.id, Win.week == week)
    ).all()) if wins else {}
    authors = sorted({names[w.id] for w in wins if w.id in names})
    shown = wins[:MAX_WINS]
    elements: list = [Text(render("wins_summary", team=team.name, week=week, count=len(wins), authors=authors,
                                      mark=WIN_MARK))]
    for start in range(0, len(shown), 10):  # ten wins per text keeps every block well under 3,000 characters
        chunk = [(names.get(w.id), _cut(w.text, 240)) for w in shown[start : start + 10]]
        elements.append(Text(render("wins_list", wins=chunk)))
    if len(wins) > len(shown):
        elements.append(Context(render("wins_more", count=len(wins) - len(shown))))
    fallback = render("wins_fallback", team=team.name, week=week, count=len(wins))
    return Card(render("wins_title", team=team.name, week=week), tuple(elements), fallback=fallback)


@command(c.Wins)
def wins(ctx: Ctx, _cmd: c.Wins) -> Reply:
    team = ctx.team()
    return Reply(card=wins_summary_card(ctx.session, ctx.org, team, ctx.week(team)))
