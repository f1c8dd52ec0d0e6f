"""One command language for `/okr` in Slack, `@okrbot` in Teams and the sandbox.

`parse` turns the text after the prefix into a typed command or a `UsageError`; it never raises for
any input (a hypothesis test holds it to that). Looking things up (which key result "2" is, which
team "rd" is) is the services' job: the grammar only checks shape.

`GRAMMAR` has one `Verb` per command: its name, usage forms, parser, the command types it makes,
aliases and help section. The parser, the usage lines of errors, help (bot.services.general) and the
handler registry (bot.handlers) all read it, so a new command is a `Verb`, a handler, the one line
prompts/commands.j2 says about it, its templates and goldens; help lists it by itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from bot.rituals import catalog

MAX_TEXT = 500
MAX_WIN = 2000
CONFIDENCE_MIN, CONFIDENCE_MAX = 1, 10
COLOURS = ("green", "yellow", "red")


# ------------------------------------------------------------------ commands


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Confidence:
    kr: str
    confidence: int
    note: str | None = None


@dataclass(frozen=True)
class Progress:
    kr: str
    value: float
    note: str | None = None


@dataclass(frozen=True)
class CheckinForm:
    pass


@dataclass(frozen=True)
class PrioritiesForm:
    pass


@dataclass(frozen=True)
class PriorityAdd:
    level: str  # P1 | P2
    text: str


@dataclass(frozen=True)
class PriorityDone:
    number: int


@dataclass(frozen=True)
class PriorityDrop:
    number: int
    reason: str


@dataclass(frozen=True)
class PriorityReopen:
    number: int


@dataclass(frozen=True)
class PlanAdd:
    text: str
    needs: str | None = None  # `... needs @person|TEAM`: who is told it needs their preparation or support


@dataclass(frozen=True)
class NoteAdd:
    """`risk TEXT` (report part 4) or `remark TEXT` (part 5): typed for the week's report, shown verbatim."""

    kind: str  # risk | remark
    text: str


@dataclass(frozen=True)
class HelpNeeded:
    """`help-needed TEXT @person|TEAM`: the addressee (a person, or a team's leads) is asked and answers."""

    text: str
    to: str  # as typed: `@name`, `@email`, a Slack mention `<@U1|name>`, or a team key


@dataclass(frozen=True)
class NextAdd:
    """`next P1|P2 [KR|none] TEXT`: a lead writes one of next week's top priorities (report part 3)."""

    level: str  # P1 | P2
    text: str


@dataclass(frozen=True)
class Away:
    """`away FROM..TO [delegate @person]`: one's holiday (both days included, in one's team's zone); `away`
    lists one's away periods, `away off` ends them (bot.services.away)."""

    start: date | None = None  # None: list (or, with `off`, end them)
    end: date | None = None
    delegate: str | None = None  # as typed: `@name`, `@email`, a Slack mention
    off: bool = False


@dataclass(frozen=True)
class Subscribe:
    """`subscribe TEAM` in a channel: the team's weekly report comes there; `subscribe` lists the channel's."""

    team: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    team: str


@dataclass(frozen=True)
class NextForm:
    """`next` alone: the lead's top-three form for next week (bot.services.wrapup)."""


@dataclass(frozen=True)
class Health:
    name: str
    status: str
    note: str | None = None
    new: bool = False  # `health new NAME ...`: the one way to add a metric (a typo must not add one)


@dataclass(frozen=True)
class WinAdd:
    text: str


@dataclass(frozen=True)
class Wins:
    pass


@dataclass(frozen=True)
class Report:
    team: str | None = None


@dataclass(frozen=True)
class Okrs:
    team: str | None = None


@dataclass(frozen=True)
class Stats:
    """`stats [TEAM]`: whether the team's rituals are working (bot.services.stats)."""

    team: str | None = None


@dataclass(frozen=True)
class Align:
    pass


@dataclass(frozen=True)
class Lint:
    pass


@dataclass(frozen=True)
class Mission:
    """`mission` shows the organization's mission statement; `mission TEXT` sets it (company leads)."""

    text: str | None = None


@dataclass(frozen=True)
class Bind:
    team: str


@dataclass(frozen=True)
class Schedule:
    ritual: str
    weekday: int | None = None  # None keeps the current day
    time: str | None = None  # HH:MM; None with enabled=False turns it off
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleShow:
    pass


@dataclass(frozen=True)
class Skip:
    week: str


@dataclass(frozen=True)
class Dashboard:
    pass


@dataclass(frozen=True)
class SourceSet:
    """`source KR` shows a key result's connector; `source KR off` removes it; `source KR {kind: …}` sets it
    (the import file's `source:` mapping, bot.connectors.spec)."""

    kr: str
    spec: str | None = None  # None: show; "off": remove


@dataclass(frozen=True)
class Language:
    """`language` shows the language okrbot speaks to you and why; `language zh-CN` chooses one; `language
    auto` goes back to the platform's and the organization's choice (bot.i18n)."""

    code: str | None = None


@dataclass(frozen=True)
class TeamAdd:
    """`team add` in a channel: a team from that channel (its name and members), set up in a form."""


@dataclass(frozen=True)
class Change:
    """`change KR target 40 because …`: a running cycle's OKR changed in the open (bot.changes)."""

    subject: str  # a key result's code (or an objective's key, for its title)
    field: str  # title | target | start | unit | why (an objective's) | remove (a key result taken out)
    value: str  # as typed; the number of a target or start is checked by the grammar
    reason: str


@dataclass(frozen=True)
class Score:
    """`score KR 0.7 yes|no [note]`: a closing cycle's key result scored by its owner (an objective's key: its
    lead overrides the mean of its key results)."""

    subject: str
    score: float  # 0.0-1.0
    moved: bool | None = None  # the method's "did it move the business?"
    note: str | None = None


@dataclass(frozen=True)
class Carry:
    """`carry KR`: an unfinished key result of an ended cycle carried into the next one, as a draft."""

    subject: str


@dataclass(frozen=True)
class Propose:
    """`propose TEXT`: an objective the company should pursue in the cycle being planned (bot.services.proposals)."""

    text: str


@dataclass(frozen=True)
class Proposals:
    """`proposals` lists the cycle's proposals; organizers (company leads) `shortlist N [N...]` and
    `merge N into M` (a duplicate's votes go to the one it is merged into)."""

    action: str | None = None  # None: list | shortlist | merge
    numbers: tuple[int, ...] = ()  # shortlist: the proposals; merge: (duplicate, kept)


@dataclass(frozen=True)
class VoteCast:
    """`vote` shows the ballot; `vote N` votes for proposal N; `vote close` (organizers) ends the voting and
    posts the ranked result."""

    number: int | None = None
    close: bool = False


@dataclass(frozen=True)
class Draft:
    """`draft [TEAM]`: a form for a new objective of the team's set for the cycle being planned (its leads)."""

    team: str | None = None


@dataclass(frozen=True)
class SubmitSet:
    """`submit [TEAM]`: the team's drafted set goes to the lead of the team above for approval."""

    team: str | None = None


Command = (
    Help | Mine | Confidence | Progress | CheckinForm | PrioritiesForm | PriorityAdd | PriorityDone
    | PriorityDrop | PriorityReopen | PlanAdd | Health | WinAdd | Wins | Report | Okrs | Align | Lint | Bind | Schedule
    | ScheduleShow | Skip | Dashboard | SourceSet | Mission | TeamAdd | Change | Score | Language | Carry
    | NoteAdd | HelpNeeded | NextAdd | Away | Stats | NextForm
    | Propose | Proposals | VoteCast | Draft | SubmitSet | Subscribe | Unsubscribe
)


@dataclass(frozen=True)
class UsageError:
    """Input that does not fit the grammar: `error` names a macro in prompts/errors.j2."""

    error: str
    usage: str  # the name of the grammar entry (a key of USAGE) whose forms show the right way
    details: tuple[tuple[str, str], ...] = ()

    @property
    def context(self) -> dict[str, str]:
        return dict(self.details)


WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [("mon", "monday"), ("tue", "tuesday"), ("wed", "wednesday"), ("thu", "thursday"),
         ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday")]
    )
    for name in names
}
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")
NUMBER_PATTERN = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$|^[+-]?\.\d+%?$")


def _err(error: str, usage: str, **details: object) -> UsageError:
    return UsageError(error, usage, tuple((k, str(v)) for k, v in details.items()))


def _rest(words: list[str], start: int) -> str | None:
    text = " ".join(words[start:]).strip()
    return text or None


def parse_confidence(token: str) -> int | None:
    """1-10, also written "7/10"; anything else is None."""
    token = token.strip()
    if token.endswith("/10"):
        token = token[:-3]
    if not token.isascii() or not token.isdigit():
        return None
    value = int(token)
    return value if CONFIDENCE_MIN <= value <= CONFIDENCE_MAX else None


def parse_number(token: str) -> float | None:
    """A plain decimal number ("62", "62.5", "62%", "1,200"); None for anything else."""
    token = token.strip()
    if not token.isascii() or not NUMBER_PATTERN.match(token):
        return None
    value = float(token.rstrip("%").replace(",", ""))
    return value if math.isfinite(value) else None


def parse_time(token: str) -> str | None:
    match = TIME_PATTERN.match(token.strip().lower())
    if not match:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _text_arg(words: list[str], start: int, usage: str, part: str, limit: int = MAX_TEXT):
    """The text from `start` on. `part` names this argument in the grammar (`VERB` or `VERB.PART`): errors.j2
    says from it what is missing ("Something is missing: what the plan is") or too long ("The plan is ...")."""
    text = _rest(words, start)
    if text is None:
        return _err("missing", usage, what=part)
    if len(text) > limit:
        return _err("too_long", usage, what=part, limit=limit, length=len(text))
    return text


def _note(words: list[str], start: int, usage: str) -> str | None | UsageError:
    note = _rest(words, start)
    if note is not None and len(note) > MAX_TEXT:
        return _err("too_long", usage, what="note", limit=MAX_TEXT, length=len(note))
    return note


def parse(text: str) -> Command | UsageError:
    words = (text or "").split()
    if words and words[0].lower() in ("/okr", "@okrbot", "okrbot"):
        words = words[1:]
    if not words:
        return Help()
    name = words[0].lower()
    name = ALIASES.get(name) or LANGUAGE_ALIASES.get(name, name)
    verb = GRAMMAR.get(name)
    if verb is None:
        return _err("unknown_command", "help", given=words[0][:40])
    return verb.parse(words)


def _help(words: list[str]) -> Command | UsageError:
    topic = words[1].lower() if len(words) > 1 else None
    topic = (ALIASES.get(topic) or LANGUAGE_ALIASES.get(topic, topic)) if topic else None
    return Help(topic if topic in USAGE else None)


def _language(words: list[str]) -> Command | UsageError:
    return Language(words[1][:35] if len(words) > 1 else None)


def _confidence(words: list[str]) -> Command | UsageError:
    if len(words) < 3:
        return _err("missing", "confidence", what="confidence")
    value = parse_confidence(words[2])
    if value is None:
        return _err("bad_confidence", "confidence", given=words[2][:20])
    note = _note(words, 3, "confidence")
    if isinstance(note, UsageError):
        return note
    return Confidence(words[1], value, note)


def _progress(words: list[str]) -> Command | UsageError:
    if len(words) < 3:
        return _err("missing", "progress", what="progress")
    value = parse_number(words[2])
    if value is None:
        return _err("bad_number", "progress", given=words[2][:20])
    note = _note(words, 3, "progress")
    if isinstance(note, UsageError):
        return note
    return Progress(words[1], value, note)


def _position(token: str) -> int | None:
    token = token.lstrip("#")
    return int(token) if token.isascii() and token.isdigit() and 0 < int(token) < 1000 else None


def _priority(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return PrioritiesForm()
    action = words[1].lower()
    if action in ("p1", "p2"):  # "/okr priority P1 ship it" reads naturally too
        words = [words[0], "add", *words[1:]]
        action = "add"
    if action == "add":
        if len(words) < 3 or words[2].upper() not in ("P1", "P2"):
            given = words[2] if len(words) > 2 else ""
            return _err("bad_priority_level", "priority", given=given[:20])
        text = _text_arg(words, 3, "priority", "priority.text")
        return text if isinstance(text, UsageError) else PriorityAdd(words[2].upper(), text)
    if action in ("done", "drop", "reopen"):
        number = _position(words[2]) if len(words) > 2 else None
        if number is None:
            return _err("bad_position", "priority", given=(words[2] if len(words) > 2 else "")[:20])
        if action == "done":
            return PriorityDone(number)
        if action == "reopen":
            return PriorityReopen(number)
        reason = _text_arg(words, 3, "priority", "priority.reason")
        return reason if isinstance(reason, UsageError) else PriorityDrop(number, reason)
    return _err("unknown_subcommand", "priority", given=words[1][:40])


def _plan(words: list[str]) -> Command | UsageError:
    """`plan TEXT needs @zhaolei`: a last-but-one word "needs" names who the plan needs."""
    needs = None
    if len(words) > 3 and words[-2].lower() == "needs":
        words, needs = words[:-2], words[-1][:128]
    text = _text_arg(words, 1, "plan", "plan")
    return text if isinstance(text, UsageError) else PlanAdd(text, needs)


def _note_of(kind: str) -> Parser:
    def parse_note(words: list[str]) -> Command | UsageError:
        text = _text_arg(words, 1, kind, kind)
        return text if isinstance(text, UsageError) else NoteAdd(kind, text)

    return parse_note


def _help_needed(words: list[str]) -> Command | UsageError:
    """The addressee is the last word: `help-needed Review the vendor contract @zhao.lei` or `... legal`."""
    if len(words) < 3:
        return _err("missing", "help-needed", what="help-needed")
    text = _text_arg(words[:-1], 1, "help-needed", "help-needed.text")
    return text if isinstance(text, UsageError) else HelpNeeded(text, words[-1][:128])


def _next(words: list[str]) -> Command | UsageError:
    if len(words) == 1:
        return NextForm()
    if words[1].upper() not in ("P1", "P2"):
        return _err("bad_priority_level", "next", given=(words[1] if len(words) > 1 else "")[:20])
    text = _text_arg(words, 2, "next", "next.text")
    return text if isinstance(text, UsageError) else NextAdd(words[1].upper(), text)


MAX_AWAY_DAYS = 366  # a longer absence is a leave, not a holiday: the lead changes the key results' owners


def _day(token: str) -> date | None:
    try:
        return date.fromisoformat(token) if len(token) == 10 and token.isascii() else None
    except ValueError:
        return None


def _away(words: list[str]) -> Command | UsageError:
    """`away 2026-12-21..2027-01-04 delegate @zhaolei`; one day alone is a one-day absence."""
    if len(words) == 1:
        return Away()
    if len(words) == 2 and words[1].lower() == "off":
        return Away(off=True)
    first, dots, last = words[1].partition("..")
    start, end = _day(first), _day(last if dots else first)
    if start is None or end is None:
        return _err("bad_away_dates", "away", given=words[1][:30])
    if end < start:
        return _err("away_reversed", "away", start=start.isoformat(), end=end.isoformat())
    if (end - start).days >= MAX_AWAY_DAYS:
        return _err("away_too_long", "away", days=MAX_AWAY_DAYS)
    rest = words[2:]
    if rest and (rest[0].lower() != "delegate" or len(rest) != 2):
        return _err("bad_away_delegate", "away", given=" ".join(rest)[:40])
    return Away(start, end, rest[1][:128] if rest else None)


def _health(words: list[str]) -> Command | UsageError:
    colour_at = next((i for i, w in enumerate(words) if i > 1 and w.lower() in COLOURS), None)
    if colour_at is None:
        if len(words) < 2:
            return _err("missing", "health", what="health")
        return _err("bad_colour", "health")
    new = words[1].lower() == "new" and colour_at > 2  # `health new green` sets a metric called "new"
    name = " ".join(words[1 + int(new):colour_at])
    if len(name) > 100:
        return _err("too_long", "health", what="health.name", limit=100, length=len(name))
    note = _note(words, colour_at + 1, "health")
    if isinstance(note, UsageError):
        return note
    return Health(name, words[colour_at].lower(), note, new)


def _win(words: list[str]) -> Command | UsageError:
    text = _text_arg(words, 1, "win", "win", limit=MAX_WIN)
    return text if isinstance(text, UsageError) else WinAdd(text)


def _team_arg(cls):
    def parse_team(words: list[str]) -> Command | UsageError:
        return cls(words[1][:64] if len(words) > 1 else None)

    return parse_team


def _mission(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return Mission()
    text = _text_arg(words, 1, "mission", "mission")
    return text if isinstance(text, UsageError) else Mission(text)


def _unsubscribe(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return _err("missing", "unsubscribe", what="unsubscribe")
    return Unsubscribe(words[1][:64])


def _bind(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return _err("missing", "bind", what="bind")
    return Bind(words[1][:64])


def _schedule(words: list[str]) -> Command | UsageError:
    if len(words) == 1 or (len(words) == 2 and words[1].lower() in catalog.names()):
        return ScheduleShow()
    if words[1].lower() not in catalog.names():
        given = words[1] if len(words) > 1 else ""
        return _err("bad_ritual", "schedule", given=given[:20], rituals=catalog.spoken())
    ritual = words[1].lower()
    args = [w.lower() for w in words[2:]]
    if args == ["off"]:
        return Schedule(ritual, enabled=False)
    weekday = None
    if len(args) == 2:
        weekday = WEEKDAYS.get(args[0])
        if weekday is None:
            return _err("bad_weekday", "schedule", given=args[0][:20])
        args = args[1:]
    if len(args) == 1 and args[0] == "on":
        return Schedule(ritual, enabled=True)
    time = parse_time(args[0]) if len(args) == 1 else None
    if time is None:
        return _err("bad_time", "schedule", given=" ".join(args)[:20])
    return Schedule(ritual, weekday, time, True)


def _skip(words: list[str]) -> Command | UsageError:
    from bot.weeks import parse_week

    week = parse_week(words[1]) if len(words) > 1 else None
    if week is None:
        return _err("bad_week", "skip", given=(words[1] if len(words) > 1 else "")[:20])
    return Skip(week)


def _source(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return _err("missing", "source", what="source")
    spec = _rest(words, 2)
    if spec is not None and len(spec) > 4 * MAX_TEXT:
        return _err("too_long", "source", what="source.spec", limit=4 * MAX_TEXT, length=len(spec))
    return SourceSet(words[1], spec.lower() if spec and spec.lower() == "off" else spec)


def _team(words: list[str]) -> Command | UsageError:
    if len(words) == 2 and words[1].lower() == "add":
        return TeamAdd()
    return _err("unknown_subcommand_team", "team", given=(words[1] if len(words) > 1 else "")[:40])


CHANGE_FIELDS = ("title", "target", "start", "unit", "why", "remove")  # why: an objective's; remove: takes no value


def _change(words: list[str]) -> Command | UsageError:
    """`change KR FIELD VALUE because REASON`: the reason is required, and comes after the word "because"."""
    if len(words) < 4 and not (len(words) == 3 and words[2].lower() == "remove"):
        return _err("missing", "change", what="change")
    field = words[2].lower()
    if field not in CHANGE_FIELDS:
        return _err("bad_change_field", "change", given=words[2][:20], fields=", ".join(CHANGE_FIELDS))
    because = next((i for i, w in enumerate(words) if i > 2 and w.lower() == "because"), None)
    reason = _rest(words, because + 1) if because is not None else None
    if reason is None:
        return _err("change_needs_reason", "change", code=words[1][:64])
    if len(reason) > MAX_TEXT:
        return _err("too_long", "change", what="change.reason", limit=MAX_TEXT, length=len(reason))
    value = " ".join(words[3:because]).strip()
    if field == "remove":  # `change KR remove because …`: the key result is taken out of the set, and kept
        return Change(words[1][:64], field, "", reason)
    if not value:
        return _err("missing", "change", what=f"change.{field}")
    if field in ("target", "start") and parse_number(value) is None:
        return _err("bad_number", "change", given=value[:20])
    limit = {"title": 300, "why": 2000}.get(field, 32)
    if len(value) > limit:
        return _err("too_long", "change", what=f"change.{field}", limit=limit, length=len(value))
    return Change(words[1][:64], field, value, reason)


def _score(words: list[str]) -> Command | UsageError:
    if len(words) < 3:
        return _err("missing", "score", what="score")
    value = parse_number(words[2]) if not words[2].endswith("%") else None
    if value is None or not 0 <= value <= 1:
        return _err("bad_score", "score", given=words[2][:20])
    answer = words[3].lower() if len(words) > 3 else None
    moved = {"yes": True, "no": False}.get(answer) if answer else None
    note = _note(words, 4 if moved is not None else 3, "score")
    if isinstance(note, UsageError):
        return note
    return Score(words[1][:64], round(value, 2), moved, note)


def _carry(words: list[str]) -> Command | UsageError:
    if len(words) < 2:
        return _err("missing", "carry", what="carry")
    return Carry(words[1][:64])


def _propose(words: list[str]) -> Command | UsageError:
    text = _text_arg(words, 1, "propose", "propose")
    return text if isinstance(text, UsageError) else Propose(text)


def _proposals(words: list[str]) -> Command | UsageError:
    if len(words) == 1:
        return Proposals()
    action = words[1].lower()
    if action == "shortlist":
        numbers = [_position(w) for w in words[2:]]
        if not numbers or None in numbers:
            return _err("bad_proposal_number", "proposals", given=" ".join(words[2:])[:20])
        return Proposals("shortlist", tuple(dict.fromkeys(n for n in numbers if n is not None)))
    if action == "merge":
        numbers = [_position(w) for w in words[2:] if w.lower() != "into"]
        if len(words) != 5 or words[3].lower() != "into" or None in numbers:
            return _err("bad_merge", "proposals")
        if numbers[0] == numbers[1]:
            return _err("merge_same", "proposals", number=numbers[0])
        return Proposals("merge", tuple(n for n in numbers if n is not None))
    return _err("unknown_subcommand_proposals", "proposals", given=words[1][:40])


def _vote(words: list[str]) -> Command | UsageError:
    if len(words) == 1:
        return VoteCast()
    if len(words) == 2 and words[1].lower() == "close":
        return VoteCast(close=True)
    number = _position(words[1])
    if number is None or len(words) > 2:
        return _err("bad_proposal_number", "vote", given=" ".join(words[1:])[:20])
    return VoteCast(number)


def _simple(cls):
    return lambda words: cls()


# ------------------------------------------------------------------ the grammar


Parser = Callable[[list[str]], "Command | UsageError"]
SEPARATOR = "  ·  "  # between the forms of one usage line


@dataclass(frozen=True)
class Verb:
    """One entry of the grammar: everything the parser, the error wording and help know of a command.

    `usage` holds its forms ("  ·  " between them; "{rituals}" is filled in from the ritual catalog
    when read, so a ritual added later shows). Help lists every entry by itself, under its `section`
    (a heading of prompts/help.j2), with the one line the macro `name` of prompts/<words>.j2 says about
    it. `makes` are the command types it parses to: each needs exactly one handler, in a module of
    `bot.core.SERVICES` or, for a command registered from outside bot/ (a plug-in, a test), in the
    module named by `handlers`. `menu` names the chat menus that offer it (Teams' command lists, at
    most 10 each: "personal" chats, "team" channels and group chats), described by its usage and help line.
    """

    name: str
    usage: str
    parse: Parser
    makes: tuple[type, ...]
    section: str
    aliases: tuple[str, ...] = ()
    words: str = "commands"
    handlers: str | None = None
    menu: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(form.strip() for form in USAGE[self.name].split(SEPARATOR))


GRAMMAR: dict[str, Verb] = {verb.name: verb for verb in (
    Verb("mine", "mine", _simple(Mine), (Mine,), "checkin", ("my",), menu=("personal",)),
    Verb("confidence", "confidence KR 1-10 [note]", _confidence, (Confidence,), "checkin", ("conf", "c"),
         menu=("personal",)),
    Verb("progress", "progress KR VALUE [note]", _progress, (Progress,), "checkin", ("p",), menu=("personal",)),
    Verb("checkin", "checkin", _simple(CheckinForm), (CheckinForm,), "checkin", menu=("personal",)),
    Verb("source", "source KR  ·  source KR {kind: http, url: URL, pointer: /total}  ·  source KR off", _source,
         (SourceSet,), "checkin"),
    Verb("priority",
         "priority add P1|P2 [KR|none] TEXT  ·  priority done N  ·  priority drop N REASON  ·  priority reopen N",
         _priority, (PrioritiesForm, PriorityAdd, PriorityDone, PriorityDrop, PriorityReopen), "week", ("prio",)),
    Verb("priorities", "priorities", _simple(PrioritiesForm), (PrioritiesForm,), "week", menu=("team",)),
    Verb("plan", "plan [KR|none] TEXT [needs @person|TEAM]", _plan, (PlanAdd,), "week", menu=("team",)),
    Verb("risk", "risk TEXT", _note_of("risk"), (NoteAdd,), "week"),
    Verb("help-needed", "help-needed TEXT @person|TEAM", _help_needed, (HelpNeeded,), "week"),
    Verb("remark", "remark TEXT", _note_of("remark"), (NoteAdd,), "week"),
    Verb("health", "health NAME green|yellow|red [note]  ·  health new NAME green|yellow|red [note]", _health,
         (Health,), "week", menu=("team",)),
    Verb("win", "win TEXT", _win, (WinAdd,), "friday", menu=("team",)),
    Verb("wins", "wins", _simple(Wins), (Wins,), "friday", menu=("team",)),
    Verb("next", "next P1|P2 [KR|none] TEXT  ·  next", _next, (NextAdd, NextForm), "friday"),
    Verb("okrs", "okrs [TEAM]", _team_arg(Okrs), (Okrs,), "see", ("okr",), menu=("personal", "team")),
    Verb("report", "report [TEAM]", _team_arg(Report), (Report,), "see", ("status",), menu=("personal", "team")),
    Verb("stats", "stats [TEAM]", _team_arg(Stats), (Stats,), "see"),
    Verb("align", "align", _simple(Align), (Align,), "see"),
    Verb("lint", "lint", _simple(Lint), (Lint,), "see"),
    Verb("mission", "mission  ·  mission We (value) in (field) (improving lives)", _mission, (Mission,), "see"),
    Verb("subscribe", "subscribe TEAM  ·  subscribe", _team_arg(Subscribe), (Subscribe,), "see"),
    Verb("unsubscribe", "unsubscribe TEAM", _unsubscribe, (Unsubscribe,), "see"),
    Verb("dashboard", "dashboard", _simple(Dashboard), (Dashboard,), "see", menu=("personal",)),
    Verb("bind", "bind TEAM", _bind, (Bind,), "leads", menu=("team",)),
    Verb("schedule", "schedule {rituals} [DAY] HH:MM|off|on  ·  schedule", _schedule, (Schedule, ScheduleShow),
         "leads", menu=("team",)),
    Verb("skip", "skip YYYY-Www", _skip, (Skip,), "leads"),
    Verb("team", "team add", _team, (TeamAdd,), "leads"),
    Verb("change", "change KR target|start|unit|title|why VALUE because REASON  ·  change KR remove because REASON",
         _change, (Change,), "leads"),
    Verb("away", "away YYYY-MM-DD..YYYY-MM-DD [delegate @person]  ·  away off  ·  away", _away, (Away,), "checkin"),
    Verb("score", "score KR 0.0-1.0 [yes|no] [note]", _score, (Score,), "checkin"),
    Verb("carry", "carry KR", _carry, (Carry,), "checkin"),
    Verb("propose", "propose TEXT", _propose, (Propose,), "plan"),
    Verb("proposals", "proposals  ·  proposals shortlist N  ·  proposals merge N into N", _proposals, (Proposals,),
         "plan"),
    Verb("vote", "vote  ·  vote N  ·  vote close", _vote, (VoteCast,), "plan"),
    Verb("draft", "draft [TEAM]", _team_arg(Draft), (Draft,), "plan"),
    Verb("submit", "submit [TEAM]", _team_arg(SubmitSet), (SubmitSet,), "plan"),
    Verb("language", "language [zh-CN|es|en|auto]", _language, (Language,), "see"),
    Verb("help", "help", _help, (Help,), "see", ("?",), menu=("personal", "team")),
)}

# The command words in the shipped languages (README: Languages), word -> the grammar entry: typed in any
# language, they mean the English command (which always works). Key-result codes, team keys, confidence values
# and subcommands (add, done, green...) never change.
WORDS_BY_LANGUAGE = {
    "es": {
        "ayuda": "help", "mis": "mine", "míos": "mine", "confianza": "confidence", "progreso": "progress",
        "avance": "progress", "prioridad": "priority", "prioridades": "priorities", "salud": "health",
        "logro": "win", "victoria": "win", "logros": "wins", "victorias": "wins", "informe": "report",
        "alinear": "align", "revisar": "lint", "misión": "mission", "vincular": "bind", "horario": "schedule",
        "saltar": "skip", "panel": "dashboard", "fuente": "source", "idioma": "language",
    },
    "zh-CN": {
        "帮助": "help", "我的": "mine", "信心": "confidence", "信心指数": "confidence", "进展": "progress",
        "进度": "progress", "更新": "checkin", "优先事项": "priority", "本周优先": "priorities", "计划": "plan",
        "状态指标": "health", "胜利": "win", "胜利榜": "wins", "周报": "report", "对齐": "align", "检查": "lint",
        "使命": "mission", "绑定": "bind", "日程": "schedule", "跳过": "skip", "看板": "dashboard",
        "数据源": "source", "语言": "language",
    },
}
LANGUAGE_ALIASES = {word: name for words in WORDS_BY_LANGUAGE.values() for word, name in words.items()}


def register(verb: Verb) -> Verb:
    """Add a command from outside bot/ (a plug-in, a test); a name or alias already taken is an error."""
    taken = {*GRAMMAR, *ALIASES}
    clash = [word for word in (verb.name, *verb.aliases) if word in taken]
    if clash:
        raise ValueError(f"the grammar already has {', '.join(clash)}")
    GRAMMAR[verb.name] = verb
    return verb


def unregister(name: str) -> None:
    GRAMMAR.pop(name, None)


def command_types() -> tuple[type, ...]:
    """Every command type the grammar parses to, each once: the handler registry needs one handler for each."""
    return tuple(dict.fromkeys(t for verb in GRAMMAR.values() for t in verb.makes))


class _Usage(Mapping[str, str]):
    """Each entry's usage line by name, read from GRAMMAR when asked (a command registered later shows).

    A Mapping, not a dict subclass: dict's values() and items() skip __getitem__ and would show the
    "{rituals}" placeholder itself."""

    def __getitem__(self, key: str) -> str:
        return GRAMMAR[key].usage.replace("{rituals}", "|".join(catalog.names()))

    def __iter__(self) -> Iterator[str]:
        return iter(GRAMMAR)

    def __len__(self) -> int:
        return len(GRAMMAR)


class _Aliases(Mapping[str, str]):
    """Other words for a command (alias -> name), read from GRAMMAR when asked."""

    def _all(self) -> dict[str, str]:
        return {alias: verb.name for verb in GRAMMAR.values() for alias in verb.aliases}

    def __getitem__(self, key: str) -> str:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


# What each command looks like; shown with every error (prefix "/okr" or "@okrbot" is added) and by help.
USAGE: Mapping[str, str] = _Usage()
ALIASES: Mapping[str, str] = _Aliases()
