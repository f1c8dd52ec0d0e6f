"""The import format as types: what `okrbot import` reads and `okrbot export` writes (README, "Import format").

Both directions meet here. The importer parses and checks a YAML file into a `Document`, then applies
it to the database (bot.importer); the exporter builds a `Document` from the database, then dumps it
(bot.exporter). A field holds what the file means, with the format's defaults filled in (an objective
without `status:` is active, one without `cycle:` belongs to the file's first cycle); which keys a
file may leave out, and how each one is spelled, is the parser's and the dumper's business.

Two parts are thin on purpose, because what they name is defined elsewhere: a team's rituals are
{ritual name: (weekday, "HH:MM"), or None for off}, only those the file sets (bot.rituals.catalog has
the rituals and their defaults); workspaces, accounts and channels are keyed by platform name.

While a file is being checked, a field the file gets wrong may hold None whatever its type says: a
`Document` with any problem is reported, never applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot import platforms
from bot.connectors.spec import Source

FORMAT_VERSION = 1
LEVELS = ("company", "department", "team")
OBJECTIVE_TYPES = ("business", "capability")
SOURCES = ("aligned", "self-driven", "external-support")
STATUSES = ("draft", "active", "closed")

# The keys each mapping of the format may have (README, "Import format"); anything else is refused.
KEYS = {
    "file": ("version", "organization", "cycle", "cycles", "people", "teams", "objectives", "changes", "lessons"),
    "organization": ("name", "timezone", "language", "multiple_business_lines", "confidence_colors", "workspaces",
                     "mission"),
    "cycle": ("name", "start", "end", "planning_from", "closed"),
    "person": ("email", "name", "manager", "timezone", "away"),  # and a key per platform with accounts (person_keys)
    "away": ("start", "end", "delegate"),  # a person's holiday (`/okr away`), both days included
    "team": ("key", "name", "level", "parent", "timezone", "language", "leads", "members", "channels",
             "health_metrics", "rituals", "follow_channel"),
    "objective": ("key", "owner", "type", "source", "title", "aligns_to", "status", "score", "cycle",
                  "key_results", "why"),
    "key_result": ("key", "title", "start", "target", "current", "unit", "milestone", "owner", "confidence",
                   "source", "score", "score_note", "moved_business", "removed", "carried_from"),
    # A closed cycle's history (bot.history): the honest changes and the retrospective's lessons.
    "change": ("at", "cycle", "objective", "subject", "field", "old", "new", "reason", "by", "source"),
    "lesson": ("at", "cycle", "team", "kind", "text", "by"),
}



def person_keys() -> tuple[str, ...]:
    """A person's keys: the fixed ones and the account of each registered platform that has accounts (`slack:`,
    `teams:`, or a platform an adapter registered later), read from the registry when a file is read."""
    return (*KEYS["person"], *platforms.with_accounts())


Schedule = tuple[int, str]  # a ritual's (weekday, 0 = Monday, "HH:MM") in the team's zone


@dataclass
class OrganizationSpec:
    name: str
    timezone: str = "UTC"
    language: str | None = None  # the default language (bot.i18n): a shipped one's tag; None: English
    multiple_business_lines: bool = False
    red_max: int = 3  # confidence at or below this is red
    green_min: int = 8  # confidence at or above this is green
    workspaces: dict[str, str] = field(default_factory=dict)  # platform -> its workspace (team or tenant) id
    mission: str | None = None  # "We (value) in (field) (improving lives)"; None keeps the one set in chat


@dataclass
class CycleSpec:
    name: str
    start: date
    end: date
    planning_from: date | None = None  # when planning opens; None: bot.cycles' default before the start
    closed: date | None = None  # the day `okrbot cycle close` ended its closing phase


@dataclass
class AwaySpec:
    """One away period (storage.models.AwayPeriod): dates in the person's own team's zone (bot.away)."""

    start: date
    end: date
    delegate: str | None = None  # the email of who checks in meanwhile, as written


@dataclass
class PersonSpec:
    email: str
    name: str
    manager: str | None = None  # the manager's email, as written
    timezone: str | None = None
    accounts: dict[str, str] = field(default_factory=dict)  # platform -> account id
    away: list[AwaySpec] = field(default_factory=list)


@dataclass
class TeamSpec:
    key: str
    name: str
    level: str = "team"
    parent: str | None = None  # the parent team's key
    timezone: str | None = None
    language: str | None = None  # its channel posts' language; None: the organization's
    leads: list[str] = field(default_factory=list)  # emails, lower case
    members: list[str] = field(default_factory=list)
    channels: dict[str, list[str]] = field(default_factory=dict)  # platform -> channel ids
    health_metrics: list[str] = field(default_factory=list)  # in the order the board shows them
    rituals: dict[str, Schedule | None] = field(default_factory=dict)  # set by the file; None: turned off
    skip: list[str] = field(default_factory=list)  # ISO weeks without rituals
    follow_channel: bool = False  # membership follows the bound channels' joins and leaves


@dataclass
class KeyResultSpec:
    key: str
    title: str
    start: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str | None = None
    milestone: str | None = None
    owner: str | None = None  # email, lower case
    confidence: int = 5
    source: Source | None = None  # a pull connector (bot.connectors.spec)
    score: float | None = None  # the closing score its owner gave, 0.0-1.0
    score_note: str | None = None
    moved_business: bool | None = None  # the answer to "did it move the business?"
    removed: str | None = None  # why an honest change took it out of the set (it is kept)
    carried_from: str | None = None  # the key of the earlier cycle's key result it carries on


@dataclass
class ObjectiveSpec:
    key: str
    title: str
    cycle: str  # the cycle's name
    owner_team: str | None = None  # exactly one of the two owners
    owner_person: str | None = None  # email, lower case
    type: str = "business"
    source: str | None = None  # individual objectives only
    status: str = "active"
    score: float | None = None
    aligns_to: str | None = None  # an objective's or a key result's key
    key_results: list[KeyResultSpec] = field(default_factory=list)
    why: str | None = None  # why it was set so (the kickoff says it)

    @property
    def individual(self) -> bool:
        return self.owner_person is not None


@dataclass
class ChangeSpec:
    """One honest change (storage.models.OkrChange), as kept: appended, never updated."""

    at: datetime
    cycle: str
    objective: str | None  # the objective's key
    subject: str
    field: str
    old: str | None
    new: str | None
    reason: str
    by: str | None = None  # email
    source: str = "import"


@dataclass
class LessonSpec:
    """One reply of a retrospective thread (storage.models.Lesson)."""

    at: datetime
    cycle: str
    team: str  # the team's key
    kind: str  # learned | keep | stop | start
    text: str
    by: str | None = None  # email


@dataclass
class Document:
    """One organization's set-up: the whole file."""

    organization: OrganizationSpec
    cycles: list[CycleSpec]  # the first is the default cycle of objectives
    people: list[PersonSpec]
    teams: list[TeamSpec]
    objectives: list[ObjectiveSpec]
    changes: list[ChangeSpec] = field(default_factory=list)
    lessons: list[LessonSpec] = field(default_factory=list)
