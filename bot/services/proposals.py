"""Proposals and votes: the first step of the method's quarterly meeting, in chat.

The method: "All employees submit goals they think the company needs to achieve this quarter", and "these
goals were reviewed collectively, duplicates were eliminated, similar ones were integrated, and finally the
goals were reduced to three through voting". So, while a cycle is planning:

- anyone proposes (`/okr propose TEXT`); a proposal's number is its place in the cycle's order, and as
  nothing is deleted (a duplicate is merged, not removed) a number never shifts;
- the organizers (the company's leads) read them (`/okr proposals`, the dashboard), shortlist some and
  merge duplicates (`proposals merge 4 into 2`: the duplicate's votes go to the one kept);
- everyone has VOTES votes (`/okr vote` shows the ballot with a button per proposal; on the shortlist
  when there is one, else on every proposal), at most one per proposal;
- an organizer ends the vote (`/okr vote close`): the ranked result is posted in the company's channel by
  the clock, exactly once (the catalog's event ritual "votes", claimed like every ritual; its run for the
  cycle is also what says the vote is over).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot.context import Ctx, row_id
from bot.cycles import cycle_of_period, cycles_of, period_of, phase, planning_opens, today_of
from bot.errors import Refusal
from bot.handlers import action, command
from bot.model import Actions, Button, Card, Context, Interaction, Reply, Text
from bot.render import render, render_macro
from bot.rituals import runs
from bot.rituals.catalog import Occasion
from bot.services import digest
from bot.services.mission import company_teams, require_company_lead
from storage.models import Cycle, Organization, Person, Proposal, RitualRun, Vote

VOTES = 3  # each person's votes in a cycle's planning
FINAL = 3  # the method: "finally the goals were reduced to three through voting"
MAX_SHOWN = 20  # proposals on one card (a platform's card holds about 50 blocks)
BUTTONS_PER_ROW = 5
RITUAL = "votes"  # the catalog's post of the ranked result (result_post)


@dataclass(frozen=True)
class Numbered:
    """A proposal as every list shows it: its stable number, its author, its votes."""

    row: Proposal
    number: int
    author: str | None
    votes: int
    merged_into: int | None  # the number of the proposal it was merged into

    @property
    def open(self) -> bool:
        return self.merged_into is None


def planning_cycle(session: Session, org: Organization, now) -> Cycle | None:
    """The cycle being planned today in the organization's zone (cycles follow one another: at most one)."""
    today = today_of(org, now)
    return next((cycle for cycle in cycles_of(session, org.id) if phase(cycle, today) == "planning"), None)


def _cycle(ctx: Ctx, usage: str) -> Cycle:
    cycle = planning_cycle(ctx.session, ctx.org, ctx.now)
    if cycle is not None:
        return cycle
    today = today_of(ctx.org, ctx.now)
    upcoming = [x for x in cycles_of(ctx.session, ctx.org.id) if planning_opens(x) > today and x.closed_at is None]
    nxt = upcoming[0] if upcoming else None
    raise Refusal("no_planning", usage, cycle=nxt.name if nxt else "",
                  opens=f"{planning_opens(nxt):%a %d %b %Y}" if nxt else "")


def vote_closed(session: Session, cycle: Cycle) -> bool:
    """Whether an organizer ended the cycle's vote: its result's run exists (posted, or about to be)."""
    return session.scalar(select(RitualRun.id).where(
        RitualRun.org_id == cycle.org_id, RitualRun.ritual == RITUAL, RitualRun.period == period_of(cycle))
        .limit(1)) is not None


def numbered(session: Session, cycle: Cycle) -> list[Numbered]:
    """The cycle's proposals in the order they came, numbered from 1, with their authors and votes."""
    counts = dict(session.execute(select(Vote.proposal_id, func.count()).where(Vote.cycle_id == cycle.id)
                                  .group_by(Vote.proposal_id)).all())
    rows = session.execute(select(Proposal, Person.name).outerjoin(Person, Person.id == Proposal.author_person_id)
                           .where(Proposal.cycle_id == cycle.id).order_by(Proposal.id)).all()
    number_of = {row.id: n for n, (row, _name) in enumerate(rows, start=1)}
    return [Numbered(row, number_of[row.id], name, counts.get(row.id, 0),
                     number_of.get(row.merged_into_id) if row.merged_into_id else None) for row, name in rows]


def candidates(items: list[Numbered]) -> list[Numbered]:
    """What people vote on: the shortlist when the organizers made one, else every proposal not merged."""
    open_ = [item for item in items if item.open]
    shortlist = [item for item in open_ if item.row.shortlisted]
    return shortlist or open_


def ranked(items: list[Numbered]) -> list[Numbered]:
    """The candidates, most votes first; a tie keeps the order they were proposed in."""
    return sorted(candidates(items), key=lambda item: (-item.votes, item.number))


def _by_number(items: list[Numbered], number: int, usage: str) -> Numbered:
    if not 0 < number <= len(items):
        raise Refusal("unknown_proposal", usage, number=number, count=len(items))
    return items[number - 1]


def _my_votes(session: Session, cycle: Cycle, person_id: int) -> list[Vote]:
    return list(session.scalars(select(Vote).where(Vote.cycle_id == cycle.id, Vote.person_id == person_id)
                                .order_by(Vote.slot)))


def _open_for_votes(ctx: Ctx, usage: str) -> Cycle:
    cycle = _cycle(ctx, usage)
    if vote_closed(ctx.session, cycle):
        raise Refusal("vote_over", usage, cycle=cycle.name)
    return cycle


def _line(item: Numbered, mine: bool = False) -> str:
    return render_macro("proposals", "line", number=item.number, text=item.row.text, author=item.author,
                        votes=item.votes, shortlisted=item.row.shortlisted, merged_into=item.merged_into, mine=mine)


def _button_rows(buttons: list[Button]) -> list[Actions]:
    return [Actions(tuple(buttons[i:i + BUTTONS_PER_ROW])) for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _more(count: int) -> list[Context]:
    return [Context(render("more_not_shown", count=count))] if count > 0 else []


# ------------------------------------------------------------------ propose


@command(c.Propose)
def propose(ctx: Ctx, cmd: c.Propose) -> Reply:
    cycle = _open_for_votes(ctx, "propose")
    ctx.session.add(Proposal(org_id=ctx.org.id, cycle_id=cycle.id, text=cmd.text, author_person_id=ctx.person.id,
                             shortlisted=False, created_at=ctx.now))
    ctx.session.flush()
    digest.schedule(ctx.session, ctx.org, ctx.now)  # the organizers hear of it the next morning
    number = len(numbered(ctx.session, cycle))
    text = render_macro("proposals", "saved", number=number, text=cmd.text, cycle=cycle.name, prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))


# ------------------------------------------------------------------ the organizers' list


def _is_organizer(ctx: Ctx) -> bool:
    try:
        require_company_lead(ctx, "proposals")
    except Refusal:
        return False
    return True


def proposals_card(ctx: Ctx, cycle: Cycle, headline: str | None = None) -> Card:
    """Every proposal of the cycle with its votes; an organizer also gets a Shortlist button for each."""
    items = numbered(ctx.session, cycle)
    organizer = _is_organizer(ctx)
    closed = vote_closed(ctx.session, cycle)
    title = render_macro("proposals", "list_title", cycle=cycle.name)
    elements: list = [Text(headline)] if headline else []
    elements.append(Text(render_macro("proposals", "list_intro", count=len(items), cycle=cycle.name,
                                      shortlisted=sum(1 for i in items if i.open and i.row.shortlisted),
                                      organizer=organizer, closed=closed, prefix=ctx.prefix)))
    shown = sorted(items, key=lambda item: (not item.open, -item.votes, item.number))[:MAX_SHOWN]
    elements.extend(Text(_line(item)) for item in shown)
    elements.extend(_more(len(items) - len(shown)))
    if organizer and not closed:
        elements.extend(_button_rows([
            Button(render_macro("proposals", "shortlist_button", number=item.number), "proposal_shortlist",
                   str(item.row.id)) for item in shown if item.open and not item.row.shortlisted]))
    return Card(title, tuple(elements), fallback=title)


def _shortlist(ctx: Ctx, cycle: Cycle, chosen: list[Numbered]) -> Reply:
    merged = next((item for item in chosen if not item.open), None)
    if merged is not None:
        raise Refusal("proposal_merged", "proposals", number=merged.number, into=merged.merged_into)
    new = [item for item in chosen if not item.row.shortlisted]
    if not new:
        raise Refusal("already_shortlisted", "proposals", numbers=", ".join(f"#{i.number}" for i in chosen))
    for item in new:
        item.row.shortlisted = True
    ctx.session.flush()
    headline = render_macro("proposals", "shortlisted", numbers=", ".join(f"#{i.number}" for i in new))
    return Reply(card=proposals_card(ctx, cycle, headline))


def _merge(ctx: Ctx, cycle: Cycle, duplicate: Numbered, kept: Numbered) -> Reply:
    for item in (duplicate, kept):
        if not item.open:
            raise Refusal("proposal_merged", "proposals", number=item.number, into=item.merged_into)
    kept_voters = set(ctx.session.scalars(select(Vote.person_id).where(Vote.proposal_id == kept.row.id)))
    for vote in ctx.session.scalars(select(Vote).where(Vote.proposal_id == duplicate.row.id)):
        if vote.person_id in kept_voters:
            ctx.session.delete(vote)  # they voted for both: the vote comes back to them
        else:
            vote.proposal_id = kept.row.id
    duplicate.row.merged_into_id = kept.row.id
    kept.row.shortlisted = kept.row.shortlisted or duplicate.row.shortlisted
    duplicate.row.shortlisted = False
    ctx.session.flush()
    headline = render_macro("proposals", "merged", number=duplicate.number, into=kept.number)
    return Reply(card=proposals_card(ctx, cycle, headline))


@command(c.Proposals)
def proposals(ctx: Ctx, cmd: c.Proposals) -> Reply:
    if cmd.action is None:
        return Reply(card=proposals_card(ctx, _cycle(ctx, "proposals")))
    require_company_lead(ctx, "proposals")
    cycle = _open_for_votes(ctx, "proposals")
    items = numbered(ctx.session, cycle)
    chosen = [_by_number(items, number, "proposals") for number in cmd.numbers]
    if cmd.action == "shortlist":
        return _shortlist(ctx, cycle, chosen)
    return _merge(ctx, cycle, *chosen)


def _proposal_of_button(ctx: Ctx, value: str) -> tuple[Cycle, list[Numbered], Numbered]:
    """The proposal a button names, in the cycle being planned of this organization; anything else is stale."""
    proposal_id = row_id(value)
    row = ctx.session.get(Proposal, proposal_id) if proposal_id else None
    if row is None or row.org_id != ctx.org.id:
        raise Refusal("stale_action")
    cycle = planning_cycle(ctx.session, ctx.org, ctx.now)
    if cycle is None or cycle.id != row.cycle_id:
        raise Refusal("stale_action")
    items = numbered(ctx.session, cycle)
    return cycle, items, next(item for item in items if item.row.id == row.id)


@action("proposal_shortlist")
def shortlist_button(ctx: Ctx, interaction: Interaction) -> Reply:
    require_company_lead(ctx, "proposals")
    cycle, _items, item = _proposal_of_button(ctx, interaction.value)
    if vote_closed(ctx.session, cycle):
        raise Refusal("vote_over", "proposals", cycle=cycle.name)
    return _shortlist(ctx, cycle, [item])


# ------------------------------------------------------------------ votes


def ballot(ctx: Ctx, cycle: Cycle, headline: str | None = None) -> Card:
    """The person's ballot: the candidates, the ones they voted for ticked, a Vote button on each other one
    while they have votes left."""
    items = numbered(ctx.session, cycle)
    mine = {vote.proposal_id for vote in _my_votes(ctx.session, cycle, ctx.person.id)}
    left = VOTES - len(mine)
    choice = candidates(items)
    shortlist = any(item.row.shortlisted for item in choice)
    title = render_macro("proposals", "ballot_title", cycle=cycle.name)
    elements: list = [Text(headline)] if headline else []
    elements.append(Text(render_macro("proposals", "ballot_intro", left=left, budget=VOTES, count=len(choice),
                                      shortlist=shortlist, cycle=cycle.name, prefix=ctx.prefix)))
    shown = choice[:MAX_SHOWN]
    elements.extend(Text(_line(item, item.row.id in mine)) for item in shown)
    elements.extend(_more(len(choice) - len(shown)))
    if left > 0:
        elements.extend(_button_rows([
            Button(render_macro("proposals", "vote_button", number=item.number), "proposal_vote", str(item.row.id),
                   style="primary") for item in shown if item.row.id not in mine]))
    return Card(title, tuple(elements), fallback=title)


def cast(ctx: Ctx, cycle: Cycle, items: list[Numbered], item: Numbered) -> Reply:
    """One vote for `item`, in the lowest free slot of the person's budget; refused kindly otherwise."""
    if not item.open:
        raise Refusal("proposal_merged", "vote", number=item.number, into=item.merged_into)
    choice = candidates(items)
    if item not in choice:
        raise Refusal("not_shortlisted", "vote", number=item.number,
                      shortlist=", ".join(f"#{i.number}" for i in choice))
    votes = _my_votes(ctx.session, cycle, ctx.person.id)
    if any(vote.proposal_id == item.row.id for vote in votes):
        raise Refusal("already_voted", "vote", number=item.number)
    if len(votes) >= VOTES:
        number_of = {i.row.id: i.number for i in items}
        raise Refusal("votes_used_up", "vote", budget=VOTES,
                      numbers=", ".join(f"#{number_of[v.proposal_id]}" for v in votes))
    slot = min(set(range(1, VOTES + 1)) - {vote.slot for vote in votes})
    ctx.session.add(Vote(org_id=ctx.org.id, cycle_id=cycle.id, proposal_id=item.row.id, person_id=ctx.person.id,
                         slot=slot, at=ctx.now))
    ctx.session.flush()
    headline = render_macro("proposals", "voted", number=item.number, left=VOTES - len(votes) - 1)
    return Reply(card=ballot(ctx, cycle, headline))


def _close(ctx: Ctx) -> Reply:
    require_company_lead(ctx, "vote")
    cycle = _open_for_votes(ctx, "vote")
    items = numbered(ctx.session, cycle)
    if not items:
        raise Refusal("nothing_to_vote", "vote", cycle=cycle.name)
    teams = company_teams(ctx.session, ctx.org)
    runs.event_runs(ctx.session, ctx.org.id, [team.id for team in teams], RITUAL, period_of(cycle), ctx.now)
    headline = render_macro("proposals", "closed", cycle=cycle.name, teams=", ".join(t.name for t in teams))
    return Reply(card=result_card(cycle, items, headline))


@command(c.VoteCast)
def vote(ctx: Ctx, cmd: c.VoteCast) -> Reply:
    if cmd.close:
        return _close(ctx)
    cycle = _open_for_votes(ctx, "vote")
    if cmd.number is None:
        items = numbered(ctx.session, cycle)
        if not items:
            raise Refusal("nothing_to_vote", "vote", cycle=cycle.name)
        return Reply(card=ballot(ctx, cycle))
    items = numbered(ctx.session, cycle)
    return cast(ctx, cycle, items, _by_number(items, cmd.number, "vote"))


@action("proposal_vote")
def vote_button(ctx: Ctx, interaction: Interaction) -> Reply:
    cycle, items, item = _proposal_of_button(ctx, interaction.value)
    if vote_closed(ctx.session, cycle):
        raise Refusal("vote_over", "vote", cycle=cycle.name)
    return cast(ctx, cycle, items, item)


# ------------------------------------------------------------------ the result


def result_card(cycle: Cycle, items: list[Numbered], headline: str | None = None) -> Card:
    """The candidates ranked by votes, the first FINAL marked: what the organizers draft the objectives from."""
    order = ranked(items)
    title = render_macro("proposals", "result_title", cycle=cycle.name)
    elements: list = [Text(headline)] if headline else []
    elements.append(Text(render_macro("proposals", "result_intro", cycle=cycle.name, count=len(order),
                                      votes=sum(item.votes for item in order), final=min(FINAL, len(order)))))
    shown = order[:MAX_SHOWN]
    elements.extend(Text(render_macro("proposals", "ranked", rank=rank, number=item.number, text=item.row.text,
                                      votes=item.votes, final=rank <= FINAL))
                    for rank, item in enumerate(shown, start=1))
    elements.extend(_more(len(order) - len(shown)))
    return Card(title, tuple(elements), fallback=title)


def result_post(o: Occasion) -> Card:
    """The catalog's "votes" ritual: the ranked result of the cycle its period names, in the company channel."""
    cycle = cycle_of_period(o.session, o.org.id, o.period)
    if cycle is None:  # the cycle was deleted after the vote closed: say so rather than post nonsense
        raise ValueError(f"period {o.period!r} names no cycle of organization {o.org.id}")
    return result_card(cycle, numbered(o.session, cycle))
