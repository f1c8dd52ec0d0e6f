"""`okrbot import`: the YAML format of ../shared/examples/okrs.yaml into SQL, all or nothing.

The file is parsed into the typed spec (bot.spec) and validated completely before anything is
written, and every problem is reported with the line and the key it is about, so an admin fixes the
whole file in one go. Importing the same
file again updates in place (people by email, teams, objectives and key results by key); a changed
confidence is appended as a check-in, so history is never rewritten.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import changes, history, i18n, workspaces
from bot import platforms as registry
from bot.commands import WEEKDAYS, parse_time
from bot.connectors.spec import parse_source, set_sources
from bot.render import render_macro
from bot.rituals import catalog
from bot.safeyaml import MAX_BYTES, BoundedSafeLoader, TooLarge, shown
from bot.services.checkins import record_checkin
from bot.services.mission import missing_parts
from bot.spec import (
    FORMAT_VERSION,
    KEYS,
    LEVELS,
    OBJECTIVE_TYPES,
    SOURCES,
    STATUSES,
    AwaySpec,
    CycleSpec,
    Document,
    KeyResultSpec,
    ObjectiveSpec,
    OrganizationSpec,
    PersonSpec,
    Schedule,
    TeamSpec,
    person_keys,
)
from bot.weeks import parse_week
from storage.models import (
    AwayPeriod,
    ChannelBinding,
    CheckIn,
    Cycle,
    HealthMetric,
    KeyResult,
    Objective,
    Organization,
    Person,
    PlatformAccount,
    RitualSetting,
    SkippedWeek,
    Team,
    TeamMember,
)


def said(name: str, /, **values: object) -> str:
    """One problem with a file, worded by prompts/import_errors.j2 in the language being spoken (a chat
    person's for `/okr source`, OKRBOT_LANGUAGE's for `okrbot import`)."""
    return render_macro("import_errors", name, **values)


def too_big(size: int) -> str:
    return said("too_big", size=size, limit=MAX_BYTES, megabytes=MAX_BYTES // 10**6)


class ImportFailed(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    organization_id: int
    counts: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------ reading with line numbers


def _lines(node: yaml.Node, path: tuple = (), out: dict | None = None, seen: set | None = None) -> dict[tuple, int]:
    """Map every path in the document (("teams", 2, "parent")) to its 1-based line.

    A node reached again through a YAML alias is walked once: aliases may refer to themselves.
    """
    out = {} if out is None else out
    seen = set() if seen is None else seen
    out[path] = node.start_mark.line + 1
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out[(*path, key.value)] = key.start_mark.line + 1
                _lines(value, (*path, key.value), out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out, seen)
    return out


_Loader = BoundedSafeLoader  # safe, libyaml-backed, and refusing alias bombs before they expand


def _duplicate_keys(node: yaml.Node, out: list[str], seen: set | None = None) -> list[str]:
    """YAML keeps the last of two equal keys silently; an import file with one is almost always a mistake."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in first_line:
                    out.append(said("at", line=line, key=key.value,
                                    message=said("duplicate_key", first=first_line[key.value])))
                first_line.setdefault(key.value, line)
            _duplicate_keys(value, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, out, seen)
    return out


def load(text: str) -> tuple[Any, dict[tuple, int]]:
    if (size := len(text.encode("utf-8", "surrogatepass"))) > MAX_BYTES:
        raise ImportFailed([too_big(size)])
    try:
        loader = _Loader(text)  # a safe loader; parsed once, the nodes give both the data and the lines
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", exc)
        message = str(problem) if isinstance(exc, TooLarge) else said("not_yaml", problem=problem)
        raise ImportFailed([said("at_line", line=mark.line + 1, message=message) if mark else message]) from None
    if node is not None and (duplicates := _duplicate_keys(node, [])):
        raise ImportFailed(duplicates)
    return data, (_lines(node) if node is not None else {})


class Checker:
    """Collects every problem with its line; the import proceeds only when there are none."""

    def __init__(self, lines: dict[tuple, int]) -> None:
        self.lines = lines
        self.errors: list[str] = []

    def error(self, path: tuple, message: str) -> None:
        line = None
        for cut in range(len(path), -1, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")
        self.errors.append(said("at", line=line, key=key, message=message))

    def problem(self, path: tuple, name: str, /, **values: object) -> None:
        """Record the problem `name` of prompts/import_errors.j2 at `path`."""
        self.error(path, said(name, **values))

    def ref(self, item: dict, key: str, path: tuple) -> str | None:
        """A reference to another entry (a team key, an email): text, or None when absent."""
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, dict | list):
            self.problem((*path, key), "not_single")
            return None
        return str(value)

    def mapping(self, value: Any, path: tuple, required: bool = True, keys: tuple[str, ...] | None = None) -> dict:
        """A mapping; with `keys`, any other key is refused, so a typo (`aligns-to`) is not silently dropped."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.problem(path, "not_mapping")
            return {}
        for key in value if keys is not None else ():
            if key not in keys:
                close = difflib.get_close_matches(str(key), keys, n=1)
                self.problem((*path, key), "unknown_key", keys=keys, close=close[0] if close else None)
        return value

    def sequence(self, value: Any, path: tuple) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, "not_list")
            return []
        return value

    def text(self, item: dict, key: str, path: tuple, required: bool = True, limit: int = 300) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.problem((*path, key), "required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            self.problem((*path, key), "not_text")
            return None
        value = str(value).strip()
        if len(value) > limit:
            self.problem((*path, key), "too_long", limit=limit)
        return value

    def choice(self, item: dict, key: str, path: tuple, options: tuple, default: str | None) -> str | None:
        value = item.get(key)
        if value is None:  # absent or written as `key:` with nothing: the default
            return default
        if value not in options:
            self.problem((*path, key), "not_one_of", value=shown(value), options=options)
            return default
        return value

    def number(self, item: dict, key: str, path: tuple) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem((*path, key), "not_number", value=shown(value))
            return None
        return float(value)

    def zone(self, item: dict, key: str, path: tuple) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.problem((*path, key), "not_zone", value=shown(value))
            return None
        return str(value)

    def language(self, item: dict, key: str, path: tuple) -> str | None:
        """A language okrbot speaks (bot.i18n), in its canonical form (`zh-cn` -> `zh-CN`)."""
        value = item.get(key)
        if value is None:
            return None
        tag = i18n.supported(str(value)) if isinstance(value, str) else None
        if tag is None:
            shipped = [tag for tag, _name in i18n.languages()]
            self.problem((*path, key), "not_language", value=shown(value), languages=shipped)
        return tag

    def day(self, item: dict, key: str, path: tuple) -> date | None:
        value = item.get(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem((*path, key), "not_date", value=shown(value))
        return None


def parse_ritual_time(text: str) -> tuple[int, str] | None:
    """ "MON 09:00" -> (0, "09:00") """
    parts = str(text).split()
    if len(parts) != 2 or parts[0].lower() not in WEEKDAYS:
        return None
    time = parse_time(parts[1])
    return (WEEKDAYS[parts[0].lower()], time) if time else None


# ------------------------------------------------------------------ the import


def import_text(session: Session, text: str, now: datetime, organization_id: int | None = None,
                reason: str | None = None) -> ImportResult:
    """Validate, then write everything in the caller's transaction; raise ImportFailed with all problems.

    A file that changes the OKRs of a running cycle (bot.changes) needs `reason`; without one it is refused
    with the list of those changes, and with one the changes are kept and announced."""
    data, lines = load(text)
    check = Checker(lines)
    doc = check.mapping(data, (), keys=KEYS["file"])
    if check.errors:
        raise ImportFailed(check.errors)
    if doc.get("version") != FORMAT_VERSION:
        check.problem(("version",), "bad_version", value=shown(doc.get("version")), version=FORMAT_VERSION)
    spec = parse_document(doc, check)
    if check.errors:
        raise ImportFailed(check.errors)
    return _write(session, spec, now, organization_id, reason)


# ------------------------------------------------------------------ parsing into the spec


def parse_document(doc: dict, check: Checker) -> Document:
    """The file as a `Document`, every problem recorded in `check` (sections in the file's order, each
    entry's own problems first, then its references to other entries)."""
    org = check.mapping(doc.get("organization"), ("organization",), keys=KEYS["organization"])
    organization = _organization(org, check)
    cycles = _cycles(doc, check)
    people, emails = _people(doc.get("people"), check)
    teams = _teams(doc.get("teams"), emails, check)
    objectives = _objectives(doc.get("objectives"), {t.key for t in teams}, emails, cycles, check)
    names = {c.name for c in cycles}
    changes_ = history.parse_changes(doc.get("changes"), check, names, emails)
    lessons = history.parse_lessons(doc.get("lessons"), check, names, {t.key for t in teams}, emails)
    _carried_from(objectives, check)
    return Document(organization, cycles, people, teams, objectives, changes_, lessons)


def _carried_from(objectives: list[ObjectiveSpec], check: Checker) -> None:
    keys = {k.key for ob in objectives for k in ob.key_results}
    for i, ob in enumerate(objectives):
        for j, k in enumerate(ob.key_results):
            if k.carried_from is not None and k.carried_from not in keys:
                check.problem(("objectives", i, "key_results", j, "carried_from"), "not_key_result",
                              value=shown(k.carried_from))


def _organization(org: dict, check: Checker) -> OrganizationSpec:
    path = ("organization",)
    spec = OrganizationSpec(
        name=check.text(org, "name", path, limit=200),
        timezone=check.zone(org, "timezone", path) or "UTC",
        language=check.language(org, "language", path),
        multiple_business_lines=bool(org.get("multiple_business_lines", False)),
        mission=check.text(org, "mission", path, required=False, limit=500),
    )
    missing = missing_parts(spec.mission) if spec.mission else []
    if missing:
        check.problem((*path, "mission"), "mission_lacks", missing=missing)
    workspaces = check.mapping(org.get("workspaces"), (*path, "workspaces"), required=False)
    known = registry.with_accounts()
    for platform in workspaces:
        if platform not in known:
            check.problem((*path, "workspaces", platform), "expected", choices=list(known))
        else:
            spec.workspaces[platform] = check.text(workspaces, platform, (*path, "workspaces"), limit=64)
    colours = check.mapping(org.get("confidence_colors"), (*path, "confidence_colors"), required=False,
                            keys=("red_max", "green_min"))
    for key in ("red_max", "green_min"):
        if key in colours:
            value = colours[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
                check.problem((*path, "confidence_colors", key), "not_colour_bound", value=shown(value))
            else:
                setattr(spec, key, value)
    if spec.red_max >= spec.green_min:
        check.problem((*path, "confidence_colors"), "colours_crossed")
    return spec


def _cycles(doc: dict, check: Checker) -> list[CycleSpec]:
    """`cycle:` (one) or `cycles:` (a list); at least one."""
    raw_cycles = doc.get("cycles") or ([doc["cycle"]] if doc.get("cycle") is not None else [])
    key = "cycles" if doc.get("cycles") else "cycle"
    cycles = []
    for index, raw in enumerate(check.sequence(raw_cycles, (key,))):
        path = (key,) if key == "cycle" else (key, index)
        item = check.mapping(raw, path, keys=KEYS["cycle"])
        start, end = check.day(item, "start", path), check.day(item, "end", path)
        if start and end and end <= start:
            check.problem((*path, "end"), "end_before_start")
        planning = check.day(item, "planning_from", path) if item.get("planning_from") is not None else None
        if planning and start and planning >= start:
            check.problem((*path, "planning_from"), "planning_after_start")
        closed = check.day(item, "closed", path) if item.get("closed") is not None else None
        cycles.append(CycleSpec(check.text(item, "name", path, limit=64), start, end, planning, closed))
    if not cycles:
        check.problem(("cycle",), "no_cycle")
    return cycles


def _people(raw_people: Any, check: Checker) -> tuple[list[PersonSpec], set[str]]:
    """The people, and their emails in lower case (what references to them are compared with)."""
    people: list[PersonSpec] = []
    emails: set[str] = set()
    accounts: dict[tuple[str, str], str] = {}  # (platform, account id) -> the email of the person it is
    for index, raw in enumerate(check.sequence(raw_people, ("people",))):
        people.append(_person(raw, ("people", index), emails, accounts, check))
    for index, person in enumerate(people):
        if person.manager is not None and str(person.manager).lower() not in emails:
            check.problem(("people", index, "manager"), "not_person", value=shown(person.manager))
        for n, period in enumerate(person.away):
            if period.delegate is not None and period.delegate.lower() not in emails:
                check.problem(("people", index, "away", n, "delegate"), "not_person", value=shown(period.delegate))
    return people, emails


def _person(raw: Any, path: tuple, emails: set[str], accounts: dict, check: Checker) -> PersonSpec:
    item = check.mapping(raw, path, keys=person_keys())
    email = check.text(item, "email", path, limit=254)
    if email and "@" not in email:
        check.problem((*path, "email"), "not_email", value=shown(email))
    if email and email.lower() in emails:
        check.problem((*path, "email"), "twice", value=email)
    if email:
        emails.add(email.lower())
    known = registry.with_accounts()
    for platform in known:
        account = check.ref(item, platform, path)
        if account is not None and (platform, account) in accounts:
            check.problem((*path, platform), "account_taken", account=account, person=accounts[platform, account])
        elif account is not None:
            accounts[platform, account] = email
    return PersonSpec(
        email=email, name=check.text(item, "name", path, limit=200), manager=check.ref(item, "manager", path),
        timezone=check.zone(item, "timezone", path), accounts={p: str(item[p]) for p in known if item.get(p)},
        away=_away(item, path, check),
    )


def _away(item: dict, path: tuple, check: Checker) -> list[AwaySpec]:
    """`away:` a person's periods, each `{start: DAY, end: DAY, delegate: EMAIL}` (bot.away; `/okr away`)."""
    periods = []
    for index, raw in enumerate(check.sequence(item.get("away"), (*path, "away"))):
        at = (*path, "away", index)
        entry = check.mapping(raw, at, keys=KEYS["away"])
        start, end = check.day(entry, "start", at), check.day(entry, "end", at)
        if start and end and end < start:
            check.problem((*at, "end"), "end_before_start")
        if start and end:
            periods.append(AwaySpec(start, end, check.ref(entry, "delegate", at)))
    return periods


def _teams(raw_teams: Any, emails: set[str], check: Checker) -> list[TeamSpec]:
    teams: list[TeamSpec] = []
    keys: set[str] = set()
    channel_owner: dict[tuple[str, str], str] = {}  # (platform, channel id) -> the key of the team bound to it
    for index, raw in enumerate(check.sequence(raw_teams, ("teams",))):
        teams.append(_team(raw, ("teams", index), emails, keys, channel_owner, check))
    for index, team in enumerate(teams):
        if team.parent is not None and team.parent not in keys:
            check.problem(("teams", index, "parent"), "not_team", value=shown(team.parent))
    _check_tree(teams, check)
    return teams


def _team(raw: Any, path: tuple, emails: set[str], keys: set[str], channel_owner: dict, check: Checker) -> TeamSpec:
    item = check.mapping(raw, path, keys=KEYS["team"])
    key = check.text(item, "key", path, limit=64)
    if key in keys:
        check.problem((*path, "key"), "twice", value=key)
    keys.add(key)
    leads, members = (_role(item, role, path, emails, check) for role in ("leads", "members"))
    channels = _channels(item, path, key, channel_owner, check)
    metrics = _health_metrics(item, path, check)
    rituals, skip = _rituals(item, path, check)
    return TeamSpec(
        key=key, name=check.text(item, "name", path, limit=200),
        level=check.choice(item, "level", path, LEVELS, "team"), parent=check.ref(item, "parent", path),
        timezone=check.zone(item, "timezone", path), language=check.language(item, "language", path),
        leads=leads, members=members, channels=channels, health_metrics=metrics, rituals=rituals, skip=skip,
        follow_channel=_flag(item, "follow_channel", path, check),
    )


def _flag(item: dict, key: str, path: tuple, check: Checker) -> bool:
    value = item.get(key, False)
    if not isinstance(value, bool):
        check.problem((*path, key), "not_flag", value=shown(value))
        return False
    return value


def _role(item: dict, role: str, path: tuple, emails: set[str], check: Checker) -> list[str]:
    """`leads:` or `members:`: emails of people in the file, in lower case."""
    found = []
    for i, email in enumerate(check.sequence(item.get(role), (*path, role))):
        if isinstance(email, dict | list) or str(email).lower() not in emails:
            check.problem((*path, role, i), "not_person", value=shown(email))
        else:
            found.append(str(email).lower())
    return found


def _channels(item: dict, path: tuple, key: str, channel_owner: dict, check: Checker) -> dict[str, list[str]]:
    """`channels:` platform -> one channel id, or a list when the team is bound to several channels."""
    channels = check.mapping(item.get("channels"), (*path, "channels"), required=False)
    bound: dict[str, list[str]] = {}
    for platform, ids in channels.items():
        if not registry.is_registered(platform):  # a channel of any adapter can be bound (the sandbox's too)
            known = registry.names()
            check.problem((*path, "channels", platform), "expected", choices=list(known))
            continue
        for channel in ids if isinstance(ids, list) else [ids]:
            if channel is None or isinstance(channel, dict | list):
                check.problem((*path, "channels", platform), "not_channel")
            elif (platform, str(channel)) in channel_owner:
                check.problem((*path, "channels", platform), "channel_taken", channel=channel,
                              team=channel_owner[platform, str(channel)])
            else:
                channel_owner[platform, str(channel)] = key
                bound.setdefault(platform, []).append(str(channel))
    return bound


def _health_metrics(item: dict, path: tuple, check: Checker) -> list[str]:
    names = [str(m) for m in check.sequence(item.get("health_metrics"), (*path, "health_metrics"))]
    for i, name in enumerate(names):
        if name.lower() in (m.lower() for m in names[:i]):
            check.problem((*path, "health_metrics", i), "twice", value=name)
    return names


def _rituals(item: dict, path: tuple, check: Checker) -> tuple[dict[str, Schedule | None], list[str]]:
    """`rituals:` name -> "MON 09:00" or off, and `skip:` ISO weeks."""
    rituals = check.mapping(item.get("rituals"), (*path, "rituals"), required=False)
    chosen: dict[str, Schedule | None] = {}
    skip: list[str] = []
    for name, when in rituals.items():
        if name == "skip":
            weeks = [parse_week(str(w)) for w in check.sequence(when, (*path, "rituals", "skip"))]
            if None in weeks:
                check.problem((*path, "rituals", "skip"), "not_weeks")
            skip = [w for w in weeks if w]
        elif name not in catalog.names():
            check.problem((*path, "rituals", name), "expected", choices=[*catalog.names(), "skip"])
        elif when in (False, "off", None):
            chosen[name] = None
        elif catalog.CATALOG[name].per_cycle:  # once per cycle: the cycle gives the day, the file the time
            at = parse_time(str(when))
            if at is None:
                check.problem((*path, "rituals", name), "not_cycle_time", value=shown(when))
            else:
                chosen[name] = (catalog.CATALOG[name].weekday, at)
        elif parse_ritual_time(when) is None:
            check.problem((*path, "rituals", name), "not_ritual_time", value=shown(when))
        else:
            chosen[name] = parse_ritual_time(when)
    return chosen, skip


def _check_tree(teams: list[TeamSpec], check: Checker) -> None:
    parents = {t.key: t.parent for t in teams}
    for index, team in enumerate(teams):
        seen, node = set(), team.key
        while node is not None and node in parents:
            if node in seen:
                check.problem(("teams", index, "parent"), "team_loop")
                break
            seen.add(node)
            node = parents[node]


def _objectives(
    raw_objectives: Any, team_keys: set[str], emails: set[str], cycles: list[CycleSpec], check: Checker
) -> list[ObjectiveSpec]:
    objectives: list[ObjectiveSpec] = []
    keys = _Keys(set(), set())
    cycle_names = [c.name for c in cycles]
    for index, raw in enumerate(check.sequence(raw_objectives, ("objectives",))):
        objectives.append(_objective(raw, ("objectives", index), keys, team_keys, emails, cycle_names, check))
    for index, objective in enumerate(objectives):
        target = objective.aligns_to
        if target is not None and target not in keys.objectives and target not in keys.key_results:
            check.problem(("objectives", index, "aligns_to"), "not_aligned_key", value=shown(target))
        if target == objective.key:
            check.problem(("objectives", index, "aligns_to"), "aligned_to_itself")
    return objectives


@dataclass
class _Keys:
    """The keys seen so far: an objective's and a key result's share one namespace (`aligns_to` names either)."""

    objectives: set[str]
    key_results: set[str]


def _objective(raw: Any, path: tuple, keys: _Keys, team_keys: set[str], emails: set[str], cycle_names: list[str],
               check: Checker) -> ObjectiveSpec:
    item = check.mapping(raw, path, keys=KEYS["objective"])
    key = check.text(item, "key", path, limit=64)
    if key in keys.objectives or key in keys.key_results:
        check.problem((*path, "key"), "twice", value=key)
    keys.objectives.add(key)
    owner_team, owner_person = _owner(item, path, team_keys, emails, check)
    cycle = check.ref(item, "cycle", path) or (cycle_names[0] if cycle_names else None)
    if cycle not in cycle_names:
        check.problem((*path, "cycle"), "not_cycle", value=shown(cycle))
    key_results = _key_results(item, path, keys, emails, check)
    individual = owner_person is not None  # an individual objective has a source: "aligned" unless given
    source = check.choice(item, "source", path, SOURCES, "aligned" if individual else None)
    return ObjectiveSpec(
        key=key, title=check.text(item, "title", path), cycle=cycle, owner_team=owner_team,
        owner_person=str(owner_person).lower() if owner_person else None,
        type=check.choice(item, "type", path, OBJECTIVE_TYPES, "business"),
        source=source if individual else None, aligns_to=check.ref(item, "aligns_to", path),
        status=check.choice(item, "status", path, STATUSES, "active"), score=check.number(item, "score", path),
        key_results=key_results, why=check.text(item, "why", path, required=False, limit=2000),
    )


def _score(item: dict, path: tuple, check: Checker) -> float | None:
    score = check.number(item, "score", path)
    if score is not None and not 0 <= score <= 1:
        check.problem((*path, "score"), "not_score", value=shown(score))
    return score


def _owner(item: dict, path: tuple, team_keys: set[str], emails: set[str], check: Checker) -> tuple[str | None, ...]:
    """`owner: {team: KEY}` or `owner: {person: EMAIL}`: (team key, email) with one of them None."""
    owner = check.mapping(item.get("owner"), (*path, "owner"), keys=("team", "person"))
    team = check.ref(owner, "team", (*path, "owner"))
    person = check.ref(owner, "person", (*path, "owner"))
    if (team is None) == (person is None):
        check.problem((*path, "owner"), "not_one_owner")
    elif team is not None and team not in team_keys:
        check.problem((*path, "owner", "team"), "not_team", value=shown(team))
    elif person is not None and str(person).lower() not in emails:
        check.problem((*path, "owner", "person"), "not_person", value=shown(person))
    return team, person


def _key_results(item: dict, path: tuple, keys: _Keys, emails: set[str], check: Checker) -> list[KeyResultSpec]:
    krs = []
    for k, raw in enumerate(check.sequence(item.get("key_results"), (*path, "key_results"))):
        kpath = (*path, "key_results", k)
        kr = check.mapping(raw, kpath, keys=KEYS["key_result"])
        kr_key = check.text(kr, "key", kpath, limit=64)
        if kr_key in keys.key_results or kr_key in keys.objectives:
            check.problem((*kpath, "key"), "twice", value=kr_key)
        keys.key_results.add(kr_key)
        confidence = kr.get("confidence", 5)
        if isinstance(confidence, bool) or not isinstance(confidence, int) or not 1 <= confidence <= 10:
            check.problem((*kpath, "confidence"), "not_confidence", value=shown(confidence))
            confidence = 5
        owner = check.ref(kr, "owner", kpath)
        if owner is not None and str(owner).lower() not in emails:
            check.problem((*kpath, "owner"), "not_person", value=shown(owner))
        source, problems = parse_source(kr["source"]) if kr.get("source") is not None else (None, [])
        for name, problem in problems:
            check.error((*kpath, "source", name) if name else (*kpath, "source"), problem)
        krs.append(KeyResultSpec(
            key=kr_key, title=check.text(kr, "title", kpath),
            start=check.number(kr, "start", kpath), target=check.number(kr, "target", kpath),
            current=check.number(kr, "current", kpath), unit=check.text(kr, "unit", kpath, required=False, limit=32),
            milestone=check.text(kr, "milestone", kpath, required=False),
            owner=str(owner).lower() if owner else None, confidence=confidence, source=source,
            score=_score(kr, kpath, check), score_note=check.text(kr, "score_note", kpath, required=False, limit=2000),
            moved_business=_flag(kr, "moved_business", kpath, check) if kr.get("moved_business") is not None else None,
            removed=check.text(kr, "removed", kpath, required=False, limit=2000),
            carried_from=check.text(kr, "carried_from", kpath, required=False, limit=64),
        ))
    return krs


# ------------------------------------------------------------------ applying the spec


def _target_organization(session: Session, o: OrganizationSpec, organization_id: int | None) -> Organization | None:
    """The organization a file updates: the one named by --org, else the one that is the file's chat
    workspace (a workspace installed through OAuth gets an empty organization of its own), else the
    one with the file's name; None means a new one.

    A workspace already claimed by another organization is refused: two organizations can never share
    a Slack workspace or a Teams tenant, or one would see the other's data.
    """
    if organization_id is not None:
        org = session.get(Organization, organization_id)
        if org is None:
            raise ImportFailed([said("no_organization", id=organization_id)])
    else:
        org = None
        for platform, workspace in o.workspaces.items():
            org = org or workspaces.organization_of(session, platform, workspace)
        org = org or session.scalar(
            select(Organization).where(Organization.name == o.name).order_by(Organization.id))
    for platform, workspace in o.workspaces.items():
        owner = workspaces.organization_of(session, platform, workspace)
        if owner is not None and (org is None or owner.id != org.id):
            raise ImportFailed([said("workspace_taken", platform=platform, workspace=workspace, id=owner.id,
                                     name=owner.name)])
    return org


def _write(session: Session, spec: Document, now: datetime, organization_id: int | None,
           reason: str | None = None) -> ImportResult:
    """Write the validated spec. Existing rows are read once per table, so the statement count does not
    grow with the file: a 10,000-person organization is a few bulk INSERTs, not one SELECT per row."""
    org = _write_organization(session, spec.organization, organization_id, now)
    changed = _running_changes(session, org, spec, now)
    if changed and not reason:
        raise ImportFailed([said("needs_reason", count=len(changed)), *(
            "  " + said("change", subject=c.subject, field=c.field, old=c.old, new=c.new) for c in changed)])
    rows = _Existing(session, org.id)
    cycles = {c.name: rows.upsert(Cycle, {"name": c.name}, start=c.start, end=c.end, planning_from=c.planning_from)
              for c in spec.cycles}
    for c in spec.cycles:  # a closed cycle stays closed; the file closes one on the day it names
        if c.closed is not None and cycles[c.name].closed_at is None:
            cycles[c.name].closed_at = datetime.combine(c.closed, time(0), tzinfo=UTC)
    people = _write_people(session, rows, spec.people, now)
    teams = _write_teams(session, rows, org, spec.teams, people)
    levels = {t.key: t.level for t in spec.teams}
    objectives = {}
    for position, ob in enumerate(spec.objectives):
        objectives[ob.key] = rows.upsert(
            Objective, {"key": ob.key}, cycle_id=cycles[ob.cycle].id, title=ob.title,
            level="individual" if ob.individual else levels.get(ob.owner_team, "team"),
            type=ob.type, source=ob.source, status=ob.status, score=ob.score, position=position, why=ob.why,
            owner_team_id=teams[ob.owner_team].id if ob.owner_team else None,
            owner_person_id=people[ob.owner_person].id if ob.owner_person else None,
        )
    session.flush()
    krs, checkins = _write_key_results(session, org, spec.objectives, objectives, people, now)
    set_sources(session, org.id, {krs[k.key].id: k.source for ob in spec.objectives for k in ob.key_results})
    for ob in spec.objectives:
        objective, target = objectives[ob.key], ob.aligns_to
        objective.aligns_to_objective_id = objectives[target].id if target in objectives else None
        objective.aligns_to_kr_id = krs[target].id if target in krs else None
    for ob in spec.objectives:  # what closing added; a file without it leaves it as it is (history is not undone)
        for k in ob.key_results:
            row = krs[k.key]
            if k.score is not None:
                row.score, row.score_note, row.moved_business = k.score, k.score_note, k.moved_business
            if k.removed is not None and row.live:
                row.removed_reason, row.removed_at = k.removed, now
            if k.carried_from is not None:
                row.carried_from_id = krs[k.carried_from].id
    history.write_history(session, org.id, spec.changes, spec.lessons, cycles, teams, people, objectives, krs)
    session.flush()
    if changed and reason:
        added = [replace(c, key_result_id=krs[c.subject].id) if c.field == "added" else c for c in changed]
        changes.record(session, org, added, reason, None, "import", now)
    return ImportResult(org.id, {
        "people": len(people), "teams": len(teams), "objectives": len(objectives),
        "key_results": len(krs), "check-ins": checkins,
    })


def _running_changes(session: Session, org: Organization, spec: Document, now: datetime) -> list[changes.Change]:
    """What the file changes in objectives and key results of a running cycle (bot.changes): titles, targets,
    starts, units, key results added to such an objective or removed from it (`removed: WHY`). Key results the
    file leaves out stay."""
    if org.id is None:
        return []
    objectives = {o.key: o for o in session.scalars(select(Objective).where(Objective.org_id == org.id))}
    running = {c.id for c in session.scalars(select(Cycle).where(Cycle.org_id == org.id))
               if changes.is_running(c, org, now)}
    if not running or not objectives:
        return []
    krs = {k.key: k for k in session.scalars(select(KeyResult).where(KeyResult.org_id == org.id))}
    found: list[changes.Change] = []
    for ob in spec.objectives:
        objective = objectives.get(ob.key)
        if objective is None or objective.cycle_id not in running:
            continue
        if ob.title != objective.title:
            found.append(changes.Change(ob.key, "title", objective.title, ob.title, objective.cycle_id, objective.id))
        for k in ob.key_results:
            kr = krs.get(k.key)
            if kr is None:
                found.append(changes.Change(k.key, "added", None, k.title, objective.cycle_id, objective.id))
            elif kr.objective_id == objective.id:
                found.extend(changes.key_result_changes(kr, objective, title=k.title, target=k.target,
                                                        start=k.start, unit=k.unit))
                if k.removed is not None and kr.live:
                    found.append(changes.Change(k.key, "removed", kr.title, None, objective.cycle_id, objective.id,
                                                kr.id))
    return found


def _write_organization(session: Session, o: OrganizationSpec, organization_id: int | None,
                        now: datetime) -> Organization:
    org = _target_organization(session, o, organization_id)
    if org is None:
        org = Organization(created_at=now)
        session.add(org)
    for key in ("name", "timezone", "language", "multiple_business_lines", "red_max", "green_min"):
        setattr(org, key, getattr(o, key))
    if o.mission is not None:
        org.mission = " ".join(o.mission.split())
    session.flush()
    for platform, workspace in o.workspaces.items():
        workspaces.link(session, org, platform, workspace)
    return org


class _Existing:
    """The organization's rows of each table, read once on first use and kept by their lookup columns."""

    def __init__(self, session: Session, org_id: int) -> None:
        self.session, self.org_id = session, org_id
        self.rows: dict[type, dict[tuple, Any]] = {}

    def upsert(self, model: type, lookup: dict, **values: Any) -> Any:
        """The row with `lookup`'s values, given `values`: changed in place, or added when there is none."""
        if model not in self.rows:
            found = self.session.scalars(select(model).where(model.org_id == self.org_id)).all()
            self.rows[model] = {tuple(getattr(r, k) for k in lookup): r for r in found}
        row = self.rows[model].get(tuple(lookup.values()))
        if row is None:
            row = model(org_id=self.org_id, **lookup, **values)
            self.session.add(row)
            self.rows[model][tuple(lookup.values())] = row
        else:
            for k, v in values.items():
                setattr(row, k, v)
        return row


def _write_people(session: Session, rows: _Existing, specs: list[PersonSpec], now: datetime) -> dict[str, Person]:
    """People by email in lower case, with their managers and chat accounts."""
    people = {}
    for p in specs:
        people[p.email.lower()] = rows.upsert(Person, {"email": p.email}, name=p.name, timezone=p.timezone)
    session.flush()
    for p in specs:
        row = people[p.email.lower()]
        row.manager_id = people[str(p.manager).lower()].id if p.manager else None
        for platform, account in p.accounts.items():
            rows.upsert(PlatformAccount, {"platform": platform, "account_id": account}, person_id=row.id)
        for a in p.away:  # the file's periods; others the organization has stay
            rows.upsert(AwayPeriod, {"person_id": row.id, "start": a.start, "end": a.end}, created_at=now,
                        delegate_person_id=people[a.delegate.lower()].id if a.delegate else None)
    return people


def _write_teams(session: Session, rows: _Existing, org: Organization, specs: list[TeamSpec],
                 people: dict[str, Person]) -> dict[str, Team]:
    """Teams by key, with their parents, members, channels, health metrics and rituals."""
    teams = {}
    for t in specs:
        teams[t.key] = rows.upsert(Team, {"key": t.key}, name=t.name, level=t.level, timezone=t.timezone,
                                   follows_channel=t.follow_channel, language=t.language)
    session.flush()
    memberships = {(m.team_id, m.person_id): m for m in session.scalars(
        select(TeamMember).where(TeamMember.org_id == org.id))}
    metrics = {(m.team_id, m.name): m for m in session.scalars(
        select(HealthMetric).where(HealthMetric.org_id == org.id))}
    settings = {(r.team_id, r.ritual): r for r in session.scalars(
        select(RitualSetting).where(RitualSetting.org_id == org.id))}
    skipped = set(session.execute(select(SkippedWeek.team_id, SkippedWeek.week).where(SkippedWeek.org_id == org.id)))
    for t in specs:
        team = teams[t.key]
        team.parent_id = teams[t.parent].id if t.parent else None
        roles = {email: "member" for email in t.members} | {email: "lead" for email in t.leads}
        for email, role in roles.items():
            person = people[email]
            if (team.id, person.id) in memberships:
                memberships[team.id, person.id].role = role
            else:
                session.add(TeamMember(team_id=team.id, person_id=person.id, org_id=org.id, role=role))
        for platform, channel_ids in t.channels.items():
            for channel in channel_ids:
                rows.upsert(ChannelBinding, {"platform": platform, "channel_id": channel}, team_id=team.id)
        for position, name in enumerate(t.health_metrics):
            metric = metrics.get((team.id, name))
            if metric is None:
                session.add(HealthMetric(org_id=org.id, team_id=team.id, name=name, position=position))
            else:
                metric.position = position
        apply_rituals(session, team, t.rituals, t.skip, settings, skipped)
    return teams


def _write_key_results(session: Session, org: Organization, specs: list[ObjectiveSpec], objectives: dict,
                       people: dict[str, Person], now: datetime) -> tuple[dict[str, KeyResult], int]:
    """Key results by key, and how many check-ins the import recorded: every new key result's history
    starts with the imported state; a later import appends what it changed."""
    known = {kr.key: kr for kr in session.scalars(select(KeyResult).where(KeyResult.org_id == org.id))}
    krs, new, changed = {}, [], []
    for ob in specs:
        objective = objectives[ob.key]
        for position, k in enumerate(ob.key_results):
            row = known.get(k.key)
            values = dict(objective_id=objective.id, title=k.title, start_value=k.start,
                          target_value=k.target, unit=k.unit, milestone=k.milestone, position=position,
                          owner_person_id=people[k.owner].id if k.owner else None)
            if row is None:
                row = KeyResult(org_id=org.id, key=k.key, confidence=k.confidence,
                                current_value=k.current, updated_at=now, **values)
                session.add(row)
                new.append(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                value_changed = k.current is not None and k.current != row.current_value
                if k.confidence != row.confidence or value_changed:
                    changed.append((row, k))
            krs[k.key] = row
    session.flush()
    session.add_all(CheckIn(org_id=org.id, key_result_id=kr.id, person_id=None, at=now, confidence=kr.confidence,
                            value=kr.current_value, note="imported", source="import") for kr in new)
    for row, k in changed:
        record_checkin(session, row, person_id=None, at=now, source="import", confidence=k.confidence,
                       value=k.current, note="changed by import")
    return krs, len(new) + len(changed)


def apply_rituals(session: Session, team: Team, rituals: dict[str, Schedule | None], skip: list[str],
                  settings: dict, skipped: set) -> None:
    """Ritual settings of a team: the defaults, overridden by the file (None turns one off), and the weeks
    it skips.

    `settings` ((team id, ritual) -> row) and `skipped` ((team id, week)) are the organization's
    existing rows, read once by the caller.
    """
    for ritual in catalog.scheduled():
        name = ritual.name
        row = settings.get((team.id, name))
        chosen = rituals.get(name, ...)
        if row is not None and chosen is ...:
            continue
        weekday, time = (ritual.weekday, ritual.time) if chosen in (..., None) else chosen
        enabled = chosen is not None and (chosen is not ... or ritual.enabled)
        if row is None:
            settings[team.id, name] = RitualSetting(team_id=team.id, ritual=name, org_id=team.org_id,
                                                    weekday=weekday, time=time, enabled=enabled)
            session.add(settings[team.id, name])
        else:
            row.weekday, row.time, row.enabled = weekday, time, enabled
    for week in skip:
        if (team.id, week) not in skipped:
            skipped.add((team.id, week))
            session.add(SkippedWeek(team_id=team.id, week=week, org_id=team.org_id))
