"""The ritual catalog: one definition per ritual, read by everything that knows rituals by name.

The grammar (`/okr schedule NAME`), the CLI's choices (`okrbot ritual run NAME`), the importer's
defaults and the exporter, the schedule's late windows, the worker (who gets what, and why a run is
skipped), the post redraws, the wins thread, the sandbox's "run it now" buttons and the error
wording all read `CATALOG`; none of them branches on a ritual's name. Adding a ritual is one
`Ritual` here, the content builder it names, its templates in prompts/ (prompts/ritual_NAME_name.j2
says what messages call it) and their goldens.

This module is a leaf (it imports nothing of bot/ but the weekday names and the renderer): the grammar and the
services read it, while the content builders import the services, so an entry names its builders
as "module:function" and they are imported when a run first needs them (`Ritual.post_builder`,
`Ritual.direct_builder`); `check()` resolves them all at start, so a misspelt one fails there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import TemplateError

from bot.render import render_macro

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.model import Card
    from storage.models import Organization, Team

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # how the import format writes a ritual's day

Window = Literal["day", "week"]  # a missed run may still go out until the end of its local day / ISO week
# How often a ritual happens: every week on its weekday, or once per cycle on a day the cycle's dates give
# (bot.cycles.anchor_day: planning opens, the first day, the middle day, the day after the last).
# An "event" ritual is never due by the clock: an action inserts its run (bot.changes announces a change so),
# and the clock carries it out like any other, exactly once.
Cadence = Literal["weekly", "planning", "start", "midpoint", "end", "event"]
Audience = Literal["all", "company"]  # the teams it runs for: every team, or company-level teams only
Shows = Literal["priorities", "wins", "away"]  # what a channel post lists, so a change there redraws it


@dataclass(frozen=True)
class Occasion:
    """What a ritual's content is built from: one team, one period (ISO week in the team's zone), now.

    `base` is the dashboard's base URL the cards link to; `zone` the team's IANA zone."""

    session: Session
    org: Organization
    team: Team
    period: str
    now: datetime
    base: str | None = None
    zone: str = "UTC"


@dataclass(frozen=True)
class Ritual:
    """One ritual. A run posts `post` in the team's channel (as a reply in the thread of `reply_to`'s
    post when there is one), and sends each message `direct` builds to its person. A ritual without a
    channel post that has nobody to write to is skipped, with `nothing_to_send` as the reason."""

    name: str  # the word people type: `/okr schedule NAME`, `okrbot ritual run NAME`, the import file's key
    weekday: int  # default day, 0 = Monday, in the team's zone
    time: str  # default "HH:MM"
    enabled: bool  # on for a team unless the file or a lead turns it off (off ones are opt-in)
    window: Window = "day"
    post: str | None = None  # "module:function" (Occasion) -> Card: the channel post
    direct: str | None = None  # "module:function" (Occasion) -> list[Outbound]: direct messages
    nothing_to_send: str = "nobody to send it to"  # the skip reason of a run without a post or messages
    reply_to: str | None = None  # the ritual whose channel post this one answers in its thread
    shows: frozenset[Shows] = field(default_factory=frozenset)
    opens_wins_thread: bool = False  # replies marked "win:" in its post's thread are wins of its week
    keeps_lessons: bool = False  # every reply in its post's thread is a lesson of its cycle (the retrospective)
    sandbox: bool = False  # whether the sandbox has a "run it now" button for it (labelled by its template)
    cadence: Cadence = "weekly"  # once per cycle: `weekday` is not used, the period is the cycle
    teams: Audience = "all"

    def __post_init__(self) -> None:
        if self.post is None and self.direct is None:
            raise ValueError(f"ritual {self.name!r} builds nothing: give it a post or direct builder")
        if self.reply_to is not None and self.post is None:
            raise ValueError(f"ritual {self.name!r} replies in a thread but has no post")

    @property
    def template(self) -> str:
        """The template that names it: prompts/ritual_NAME_name.j2, a `title()` macro ("Monday four-square") and,
        with a sandbox button, a `button()` one. A ritual registered from outside brings its own (add_prompts)."""
        return f"ritual_{self.name}_name"

    @property
    def spoken_title(self) -> str:
        """How messages name it, in the language being spoken."""
        return render_macro(self.template, "title")

    @property
    def button(self) -> str | None:
        """The label of its sandbox "run it now" button, in the language being spoken; None: no button."""
        return render_macro(self.template, "button") if self.sandbox else None

    @property
    def audience(self) -> Literal["channel", "direct"]:
        """Who it is for: a channel ritual needs a bound channel; a direct one only people."""
        return "channel" if self.post is not None else "direct"

    @property
    def per_cycle(self) -> bool:
        return self.cadence not in ("weekly", "event")

    @property
    def scheduled(self) -> bool:
        """Whether the clock schedules it (a team has a setting for it); an event ritual is run by an action."""
        return self.cadence != "event"

    @property
    def default(self) -> str:
        """Its default time as the import format writes it: "MON 09:00" (a once-per-cycle one: "10:00")."""
        return self.when(self.weekday, self.time)

    def when(self, weekday: int, time: str) -> str:
        """A setting as the import format writes it: the day only for a weekly ritual."""
        return time if self.per_cycle else f"{DAYS[weekday]} {time}"

    def runs_for(self, level: str) -> bool:
        """Whether a team of this level has this ritual (the kickoff is the company's alone)."""
        return self.teams == "all" or level == "company"

    def post_builder(self) -> Callable[[Occasion], Card] | None:
        return _resolve(self.post) if self.post else None

    def direct_builder(self) -> Callable[[Occasion], list[Any]] | None:
        return _resolve(self.direct) if self.direct else None


CONTENT = "bot.rituals.content"
QUARTER = "bot.rituals.quarterly"
NOTES = "bot.services.notes"
CATALOG: dict[str, Ritual] = {ritual.name: ritual for ritual in (
    Ritual("monday", 0, "09:00", True,
           post=f"{CONTENT}:four_square_post", direct=f"{CONTENT}:objectives_messages",
           shows=frozenset({"priorities", "away"}), sandbox=True),
    Ritual("friday", 4, "16:00", True, post=f"{CONTENT}:friday_post",
           shows=frozenset({"priorities", "wins"}), opens_wins_thread=True, sandbox=True),
    Ritual("wrapup", 4, "18:00", True, post=f"{CONTENT}:wrapup_post", reply_to="friday",
           direct="bot.services.wrapup:wrapup_messages", shows=frozenset({"wins"}), sandbox=True),
    # After the wrap-up (18:00), so the "why" answers and the top three written there reach it (and the channels
    # subscribed to it below).
    Ritual("report", 4, "18:30", True, window="week", direct=f"{CONTENT}:report_messages",
           sandbox=True),
    # Turned on for a team by `/okr subscribe TEAM` (bot.services.subscriptions), off by its last unsubscribe.
    Ritual("subscriptions", 4, "18:30", False, window="week",
           direct="bot.services.subscriptions:digest_messages", nothing_to_send="no channel is subscribed to it"),
    Ritual("nudge", 1, "10:00", False, direct=f"{CONTENT}:nudge_messages",
           nothing_to_send="everyone has checked in"),
    Ritual("planning", 0, "10:00", True, window="week", post=f"{QUARTER}:planning_post",
           cadence="planning", teams="company"),
    Ritual("kickoff", 0, "10:00", True, window="week", post=f"{QUARTER}:kickoff_post",
           cadence="start", teams="company"),
    Ritual("midreview", 0, "10:00", True, window="week", post=f"{QUARTER}:midreview_post",
           cadence="midpoint"),
    Ritual("closing", 0, "10:00", True, window="week", direct=f"{QUARTER}:scoring_messages",
           cadence="end", nothing_to_send="nobody owns a key result of the team, or its owners are asked in another "
                                           "team's closing"),
    Ritual("retro", 0, "11:00", True, window="week", post=f"{QUARTER}:retro_post",
           cadence="end", keeps_lessons=True),
    Ritual("summary", 0, "00:00", True, window="week", post=f"{QUARTER}:summary_post",
           direct=f"{QUARTER}:summary_messages", cadence="event", teams="company"),
    Ritual("change", 0, "00:00", True, window="week", post=f"{QUARTER}:change_post",
           cadence="event"),
    Ritual("helpask", 0, "00:00", True, window="week", direct=f"{NOTES}:help_ask_messages",
           cadence="event", nothing_to_send="nobody to ask (the person or the team's leads are gone)"),
    Ritual("helpreply", 0, "00:00", True, window="week",
           direct=f"{NOTES}:help_reply_messages", cadence="event", nothing_to_send="the asker is gone"),
    Ritual("planneeds", 0, "00:00", True, window="week",
           direct=f"{NOTES}:plan_needs_messages", cadence="event", nothing_to_send="nobody to tell"),
    Ritual("warning", 0, "00:00", True, window="week",
           direct="bot.services.warnings:warning_messages",
           cadence="event", nothing_to_send="the team has no lead to warn"),
    Ritual("approval", 0, "00:00", True, window="week",
           direct="bot.services.drafts:approval_messages", cadence="event", nothing_to_send="nobody to approve it"),
    Ritual("verdict", 0, "00:00", True, window="week",
           direct="bot.services.drafts:verdict_messages", cadence="event", nothing_to_send="nobody submitted it"),
    Ritual("proposal_digest", 0, "09:00", True, direct="bot.services.digest:digest_messages",
           cadence="event", teams="company", nothing_to_send="no new proposal, or no organizer to tell"),
    Ritual("votes", 0, "00:00", True, window="week", post="bot.services.proposals:result_post",
           cadence="event", teams="company"),
)}


def names() -> tuple[str, ...]:
    """Every scheduled ritual's name, in the catalog's order (the order people see them listed): the ones a
    lead schedules and `okrbot ritual run` runs; event rituals are run by the actions that need them."""
    return tuple(name for name, ritual in CATALOG.items() if ritual.scheduled)


def scheduled() -> tuple[Ritual, ...]:
    return tuple(ritual for ritual in CATALOG.values() if ritual.scheduled)


def get(name: str) -> Ritual | None:
    return CATALOG.get(name)


def showing(what: Shows) -> tuple[str, ...]:
    """The rituals whose channel post lists `what`: a change to it marks their posts for a redraw."""
    return tuple(r.name for r in CATALOG.values() if what in r.shows)


def wins_threads() -> tuple[str, ...]:
    return tuple(r.name for r in CATALOG.values() if r.opens_wins_thread)


def lesson_threads() -> tuple[str, ...]:
    return tuple(r.name for r in CATALOG.values() if r.keeps_lessons)


def spoken(last: str = "and") -> str:
    """"monday, friday, wrapup, report and nudge": the names in a sentence."""
    *first, final = names()
    return f"{', '.join(first)} {last} {final}" if first else final


def register(ritual: Ritual) -> Ritual:
    """Add a ritual defined outside this module (a plug-in, a test); its builders must resolve."""
    if ritual.name in CATALOG:
        raise ValueError(f"ritual {ritual.name!r} is already in the catalog")
    _check(ritual, {*CATALOG, ritual.name})
    CATALOG[ritual.name] = ritual
    return ritual


def unregister(name: str) -> None:
    CATALOG.pop(name, None)


def check() -> None:
    """Fail now, not at the first run, when an entry names a builder or a ritual that does not exist."""
    for ritual in CATALOG.values():
        _check(ritual, set(CATALOG))


def _check(ritual: Ritual, known: set[str]) -> None:
    ritual.post_builder()
    ritual.direct_builder()
    try:
        ritual.spoken_title, ritual.button  # noqa: B018 - its template is there and names it
    except TemplateError as exc:
        raise ValueError(f"ritual {ritual.name!r} has no name: prompts/{ritual.template}.j2 must define title()"
                         f"{' and button()' if ritual.sandbox else ''} ({exc})") from exc
    if ritual.reply_to is not None and ritual.reply_to not in known:
        raise ValueError(f"ritual {ritual.name!r} replies to {ritual.reply_to!r}, which is not a ritual")


@cache
def _resolve(reference: str) -> Callable[..., Any]:
    module, _, name = reference.partition(":")
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"ritual builder {reference!r} does not exist: {exc}") from exc
