"""`okrbot import`: the YAML format of ../shared/examples/okrs.yaml into SQL, all or nothing.

The file is validated completely before anything is written, and every problem is reported with
the line and the key it is about, so an admin fixes the whole file in one go. Importing the same
file again updates in place (people by email, teams, objectives and key results by key); a changed
confidence is appended as a check-in, so history is never rewritten.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands import WEEKDAYS, parse_time
from bot.model import Platform
from bot.rituals import catalog
from bot.safeyaml import MAX_BYTES, BoundedSafeLoader, TooLarge, shown
from storage.models import (
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

LEVELS = ("company", "department", "team")
OBJECTIVE_TYPES = ("business", "capability")
SOURCES = ("aligned", "self-driven", "external-support")
STATUSES = ("draft", "active", "closed")
PLATFORMS = ("slack", "teams")  # where people have accounts and organizations have workspaces
CHANNEL_PLATFORMS = get_args(Platform)  # a channel of any adapter can be bound (`/okr bind` in the sandbox too)


# The keys each mapping of the format may have (README, "Import format"); anything else is refused.
KEYS = {
    "file": ("version", "organization", "cycle", "cycles", "people", "teams", "objectives"),
    "organization": ("name", "timezone", "multiple_business_lines", "confidence_colors", "workspaces"),
    "cycle": ("name", "start", "end"),
    "person": ("email", "name", "manager", "timezone", *PLATFORMS),
    "team": ("key", "name", "level", "parent", "timezone", "leads", "members", "channels", "health_metrics",
             "rituals"),
    "objective": ("key", "owner", "type", "source", "title", "aligns_to", "status", "score", "cycle",
                  "key_results"),
    "key_result": ("key", "title", "start", "target", "current", "unit", "milestone", "owner", "confidence"),
}


def too_big(size: int) -> str:
    return f"the file has {size:,} bytes; okrbot imports files of at most {MAX_BYTES:,} bytes ({MAX_BYTES // 10**6} MB)"


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
                    out.append(f"line {line}: {key.value}: appears twice in the same mapping "
                               f"(first on line {first_line[key.value]}); keep one")
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
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ImportFailed([f"{where}{problem}" if isinstance(exc, TooLarge)
                            else f"{where}this is not valid YAML ({problem})"]) from None
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
        self.errors.append(f"line {line or '?'}: {key or 'file'}: {message}")

    def ref(self, item: dict, key: str, path: tuple) -> str | None:
        """A reference to another entry (a team key, an email): text, or None when absent."""
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, dict | list):
            self.error((*path, key), "expected a single key or email, not a list or mapping")
            return None
        return str(value)

    def mapping(self, value: Any, path: tuple, required: bool = True, keys: tuple[str, ...] | None = None) -> dict:
        """A mapping; with `keys`, any other key is refused, so a typo (`aligns-to`) is not silently dropped."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.error(path, "expected a mapping (key: value lines)")
            return {}
        for key in value if keys is not None else ():
            if key not in keys:
                close = difflib.get_close_matches(str(key), keys, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                self.error((*path, key), f"is not a key of this format; {hint}expected one of: {', '.join(keys)}")
        return value

    def sequence(self, value: Any, path: tuple) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "expected a list (lines starting with -)")
            return []
        return value

    def text(self, item: dict, key: str, path: tuple, required: bool = True, limit: int = 300) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.error((*path, key), "is required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            self.error((*path, key), "expected text")
            return None
        value = str(value).strip()
        if len(value) > limit:
            self.error((*path, key), f"is longer than {limit} characters")
        return value

    def choice(self, item: dict, key: str, path: tuple, options: tuple, default: str | None) -> str | None:
        value = item.get(key)
        if value is None:  # absent or written as `key:` with nothing: the default
            return default
        if value not in options:
            self.error((*path, key), f"is {shown(value)}; expected one of {', '.join(options)}")
            return default
        return value

    def number(self, item: dict, key: str, path: tuple) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error((*path, key), f"is {shown(value)}; expected a number")
            return None
        return float(value)

    def zone(self, item: dict, key: str, path: tuple) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.error((*path, key), f"{shown(value)} is not an IANA time zone (like Europe/Berlin)")
            return None
        return str(value)

    def day(self, item: dict, key: str, path: tuple) -> date | None:
        value = item.get(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error((*path, key), f"is {shown(value)}; expected a date like 2026-10-01")
        return None


def parse_ritual_time(text: str) -> tuple[int, str] | None:
    """ "MON 09:00" -> (0, "09:00") """
    parts = str(text).split()
    if len(parts) != 2 or parts[0].lower() not in WEEKDAYS:
        return None
    time = parse_time(parts[1])
    return (WEEKDAYS[parts[0].lower()], time) if time else None


# ------------------------------------------------------------------ the import


def import_text(session: Session, text: str, now: datetime, organization_id: int | None = None) -> ImportResult:
    """Validate, then write everything in the caller's transaction; raise ImportFailed with all problems."""
    data, lines = load(text)
    check = Checker(lines)
    doc = check.mapping(data, (), keys=KEYS["file"])
    if check.errors:
        raise ImportFailed(check.errors)
    if doc.get("version") != 1:
        check.error(("version",), f"is {shown(doc.get('version'))}; this okrbot reads version 1")
    spec = _validate(doc, check)
    if check.errors:
        raise ImportFailed(check.errors)
    return _write(session, spec, now, organization_id)


def _validate(doc: dict, check: Checker) -> dict:
    org = check.mapping(doc.get("organization"), ("organization",), keys=KEYS["organization"])
    org_spec = {
        "name": check.text(org, "name", ("organization",), limit=200),
        "timezone": check.zone(org, "timezone", ("organization",)) or "UTC",
        "multiple_business_lines": bool(org.get("multiple_business_lines", False)),
        "red_max": 3,
        "green_min": 8,
    }
    workspaces = check.mapping(org.get("workspaces"), ("organization", "workspaces"), required=False)
    org_spec["workspaces"] = {}
    for platform in workspaces:
        if platform not in PLATFORMS:
            check.error(("organization", "workspaces", platform), f"expected {' or '.join(PLATFORMS)}")
        else:
            path = ("organization", "workspaces")
            org_spec["workspaces"][platform] = check.text(workspaces, platform, path, limit=64)
    colours = check.mapping(org.get("confidence_colors"), ("organization", "confidence_colors"), required=False,
                            keys=("red_max", "green_min"))
    for key in ("red_max", "green_min"):
        if key in colours:
            value = colours[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
                check.error(("organization", "confidence_colors", key), f"is {shown(value)}; expected 1-10")
            else:
                org_spec[key] = value
    if org_spec["red_max"] >= org_spec["green_min"]:
        check.error(("organization", "confidence_colors"), "red_max must be below green_min")

    cycles_raw = doc.get("cycles") or ([doc["cycle"]] if doc.get("cycle") is not None else [])
    cycles_path = "cycles" if doc.get("cycles") else "cycle"
    cycles = []
    for index, raw in enumerate(check.sequence(cycles_raw, (cycles_path,))):
        path = (cycles_path,) if cycles_path == "cycle" else (cycles_path, index)
        item = check.mapping(raw, path, keys=KEYS["cycle"])
        start, end = check.day(item, "start", path), check.day(item, "end", path)
        if start and end and end <= start:
            check.error((*path, "end"), "must be after start")
        cycles.append({"name": check.text(item, "name", path, limit=64), "start": start, "end": end})
    if not cycles:
        check.error(("cycle",), "is required (name, start, end)")

    people, emails, accounts = [], set(), {}
    for index, raw in enumerate(check.sequence(doc.get("people"), ("people",))):
        path = ("people", index)
        item = check.mapping(raw, path, keys=KEYS["person"])
        email = check.text(item, "email", path, limit=254)
        if email and "@" not in email:
            check.error((*path, "email"), f"{shown(email)} is not an email address")
        if email and email.lower() in emails:
            check.error((*path, "email"), f"{email} appears twice")
        if email:
            emails.add(email.lower())
        for platform in PLATFORMS:
            account = check.ref(item, platform, path)
            if account is not None and (platform, account) in accounts:
                check.error((*path, platform), f"{account} is already the account of {accounts[platform, account]}")
            elif account is not None:
                accounts[platform, account] = email
        people.append({
            "email": email, "name": check.text(item, "name", path, limit=200),
            "manager": check.ref(item, "manager", path), "timezone": check.zone(item, "timezone", path),
            "accounts": {p: str(item[p]) for p in PLATFORMS if item.get(p)}, "path": path,
        })
    for person in people:
        if person["manager"] is not None and str(person["manager"]).lower() not in emails:
            check.error((*person["path"], "manager"), f"{shown(person['manager'])} is not in people")

    teams, keys, channel_owner = [], set(), {}
    for index, raw in enumerate(check.sequence(doc.get("teams"), ("teams",))):
        path = ("teams", index)
        item = check.mapping(raw, path, keys=KEYS["team"])
        key = check.text(item, "key", path, limit=64)
        if key in keys:
            check.error((*path, "key"), f"{key} appears twice")
        keys.add(key)
        roles: dict[str, list[str]] = {}
        for role in ("leads", "members"):
            roles[role] = []
            for i, email in enumerate(check.sequence(item.get(role), (*path, role))):
                if isinstance(email, dict | list) or str(email).lower() not in emails:
                    check.error((*path, role, i), f"{shown(email)} is not in people")
                else:
                    roles[role].append(str(email).lower())
        channels = check.mapping(item.get("channels"), (*path, "channels"), required=False)
        bound: dict[str, list[str]] = {}
        for platform, ids in channels.items():
            if platform not in CHANNEL_PLATFORMS:
                check.error((*path, "channels", platform),
                            f"expected {', '.join(CHANNEL_PLATFORMS[:-1])} or {CHANNEL_PLATFORMS[-1]}")
                continue
            # One channel id, or a list when the team is bound to several channels.
            for channel in ids if isinstance(ids, list) else [ids]:
                if channel is None or isinstance(channel, dict | list):
                    check.error((*path, "channels", platform), "expected a channel id or a list of them")
                elif (platform, str(channel)) in channel_owner:
                    check.error((*path, "channels", platform),
                                f"{channel} is already the channel of team {channel_owner[platform, str(channel)]}")
                else:
                    channel_owner[platform, str(channel)] = key
                    bound.setdefault(platform, []).append(str(channel))
        metric_names = [str(m) for m in check.sequence(item.get("health_metrics"), (*path, "health_metrics"))]
        for i, name in enumerate(metric_names):
            if name.lower() in (m.lower() for m in metric_names[:i]):
                check.error((*path, "health_metrics", i), f"{name} appears twice")
        rituals = check.mapping(item.get("rituals"), (*path, "rituals"), required=False)
        ritual_spec = {}
        for name, when in rituals.items():
            if name == "skip":
                from bot.weeks import parse_week

                weeks = [parse_week(str(w)) for w in check.sequence(when, (*path, "rituals", "skip"))]
                if None in weeks:
                    check.error((*path, "rituals", "skip"), "expected ISO weeks like 2026-W52")
                ritual_spec["skip"] = [w for w in weeks if w]
                continue
            if name not in catalog.CATALOG:
                check.error((*path, "rituals", name), f"expected {', '.join(catalog.names())} or skip")
            elif when in (False, "off", None):
                ritual_spec[name] = None
            elif parse_ritual_time(when) is None:
                check.error((*path, "rituals", name),
                            f"{shown(when)}: expected a day and a time, like \"MON 09:00\", or off")
            else:
                ritual_spec[name] = parse_ritual_time(when)
        teams.append({
            "key": key, "name": check.text(item, "name", path, limit=200),
            "level": check.choice(item, "level", path, LEVELS, "team"), "parent": check.ref(item, "parent", path),
            "timezone": check.zone(item, "timezone", path),
            "leads": roles["leads"], "members": roles["members"],
            "channels": bound, "health_metrics": metric_names,
            "rituals": ritual_spec, "path": path,
        })
    for team in teams:
        if team["parent"] is not None and team["parent"] not in keys:
            check.error((*team["path"], "parent"), f"{shown(team['parent'])} is not a team key")
    _check_tree(teams, check)

    objectives, okeys, krkeys = [], set(), set()
    cycle_names = {c["name"] for c in cycles}
    for index, raw in enumerate(check.sequence(doc.get("objectives"), ("objectives",))):
        path = ("objectives", index)
        item = check.mapping(raw, path, keys=KEYS["objective"])
        key = check.text(item, "key", path, limit=64)
        if key in okeys or key in krkeys:
            check.error((*path, "key"), f"{key} appears twice")
        okeys.add(key)
        owner = check.mapping(item.get("owner"), (*path, "owner"), keys=("team", "person"))
        owner_team = check.ref(owner, "team", (*path, "owner"))
        owner_person = check.ref(owner, "person", (*path, "owner"))
        if (owner_team is None) == (owner_person is None):
            check.error((*path, "owner"), "name exactly one of team: KEY or person: EMAIL")
        elif owner_team is not None and owner_team not in keys:
            check.error((*path, "owner", "team"), f"{shown(owner_team)} is not a team key")
        elif owner_person is not None and str(owner_person).lower() not in emails:
            check.error((*path, "owner", "person"), f"{shown(owner_person)} is not in people")
        cycle = check.ref(item, "cycle", path) or (cycles[0]["name"] if cycles else None)
        if cycle not in cycle_names:
            check.error((*path, "cycle"), f"{shown(cycle)} is not a cycle of this file")
        krs = []
        for k, kr_raw in enumerate(check.sequence(item.get("key_results"), (*path, "key_results"))):
            kpath = (*path, "key_results", k)
            kr = check.mapping(kr_raw, kpath, keys=KEYS["key_result"])
            kr_key = check.text(kr, "key", kpath, limit=64)
            if kr_key in krkeys or kr_key in okeys:
                check.error((*kpath, "key"), f"{kr_key} appears twice")
            krkeys.add(kr_key)
            confidence = kr.get("confidence", 5)
            if isinstance(confidence, bool) or not isinstance(confidence, int) or not 1 <= confidence <= 10:
                check.error((*kpath, "confidence"), f"is {shown(confidence)}; expected a whole number from 1 to 10")
                confidence = 5
            kr_owner = check.ref(kr, "owner", kpath)
            if kr_owner is not None and str(kr_owner).lower() not in emails:
                check.error((*kpath, "owner"), f"{shown(kr_owner)} is not in people")
            krs.append({
                "key": kr_key, "title": check.text(kr, "title", kpath),
                "start": check.number(kr, "start", kpath), "target": check.number(kr, "target", kpath),
                "current": check.number(kr, "current", kpath),
                "unit": check.text(kr, "unit", kpath, required=False, limit=32),
                "milestone": check.text(kr, "milestone", kpath, required=False),
                "owner": str(kr_owner).lower() if kr_owner else None, "confidence": confidence,
            })
        level = "individual" if owner_person is not None else next(
            (t["level"] for t in teams if t["key"] == owner_team), "team")
        source = check.choice(item, "source", path, SOURCES, "aligned" if level == "individual" else None)
        objectives.append({
            "key": key, "title": check.text(item, "title", path), "level": level,
            "type": check.choice(item, "type", path, OBJECTIVE_TYPES, "business"),
            "source": source if level == "individual" else None,
            "owner_team": owner_team, "owner_person": str(owner_person).lower() if owner_person else None,
            "aligns_to": check.ref(item, "aligns_to", path),
            "status": check.choice(item, "status", path, STATUSES, "active"),
            "score": check.number(item, "score", path), "cycle": cycle, "key_results": krs, "path": path,
        })
    for objective in objectives:
        target = objective["aligns_to"]
        if target is not None and target not in okeys and target not in krkeys:
            check.error((*objective["path"], "aligns_to"),
                        f"{shown(target)} is neither an objective nor a key result key")
        if target == objective["key"]:
            check.error((*objective["path"], "aligns_to"), "an objective cannot align to itself")
    return {"organization": org_spec, "cycles": cycles, "people": people, "teams": teams, "objectives": objectives}


def _check_tree(teams: list[dict], check: Checker) -> None:
    parents = {t["key"]: t["parent"] for t in teams}
    for team in teams:
        seen, node = set(), team["key"]
        while node is not None and node in parents:
            if node in seen:
                check.error((*team["path"], "parent"), "the team tree has a cycle here")
                break
            seen.add(node)
            node = parents[node]


WORKSPACE_COLUMNS = {"slack": "slack_team_id", "teams": "teams_tenant_id"}


def _target_organization(session: Session, o: dict, organization_id: int | None) -> Organization | None:
    """The organization a file updates: the one named by --org, else the one that is the file's chat
    workspace (a workspace installed through OAuth gets an empty organization of its own), else the
    one with the file's name; None means a new one.

    A workspace already claimed by another organization is refused: two organizations can never share
    a Slack workspace or a Teams tenant, or one would see the other's data.
    """
    if organization_id is not None:
        org = session.get(Organization, organization_id)
        if org is None:
            raise ImportFailed([f"--org {organization_id}: there is no organization with that id"])
    else:
        org = None
        for platform, workspace in o["workspaces"].items():
            column = getattr(Organization, WORKSPACE_COLUMNS[platform])
            org = org or session.scalar(select(Organization).where(column == workspace))
        org = org or session.scalar(
            select(Organization).where(Organization.name == o["name"]).order_by(Organization.id))
    for platform, workspace in o["workspaces"].items():
        column = getattr(Organization, WORKSPACE_COLUMNS[platform])
        owner = session.scalar(select(Organization).where(column == workspace))
        if owner is not None and (org is None or owner.id != org.id):
            raise ImportFailed([
                f"organization.workspaces.{platform}: {workspace} is already organization {owner.id} "
                f"({owner.name}); import into it with --org {owner.id}"
            ])
    return org


def _write(session: Session, spec: dict, now: datetime, organization_id: int | None) -> ImportResult:
    """Write the validated spec. Existing rows are read once per table, so the statement count does not
    grow with the file: a 10,000-person organization is a few bulk INSERTs, not one SELECT per row."""
    # Imported here: bot.services modules read this module's ritual defaults, so a top-level import is a cycle.
    from bot.services.checkins import record_checkin

    o = spec["organization"]
    org = _target_organization(session, o, organization_id)
    if org is None:
        org = Organization(created_at=now)
        session.add(org)
    for key in ("name", "timezone", "multiple_business_lines", "red_max", "green_min"):
        setattr(org, key, o[key])
    for platform, workspace in o["workspaces"].items():
        setattr(org, WORKSPACE_COLUMNS[platform], workspace)
    session.flush()

    existing: dict[type, dict[tuple, Any]] = {}

    def upsert(model, lookup: dict, **values):
        if model not in existing:
            rows = session.scalars(select(model).where(model.org_id == org.id)).all()
            existing[model] = {tuple(getattr(r, k) for k in lookup): r for r in rows}
        row = existing[model].get(tuple(lookup.values()))
        if row is None:
            row = model(org_id=org.id, **lookup, **values)
            session.add(row)
            existing[model][tuple(lookup.values())] = row
        else:
            for k, v in values.items():
                setattr(row, k, v)
        return row

    cycles = {c["name"]: upsert(Cycle, {"name": c["name"]}, start=c["start"], end=c["end"]) for c in spec["cycles"]}
    people = {}
    for p in spec["people"]:
        people[p["email"].lower()] = upsert(Person, {"email": p["email"]}, name=p["name"], timezone=p["timezone"])
    session.flush()
    for p in spec["people"]:
        row = people[p["email"].lower()]
        row.manager_id = people[str(p["manager"]).lower()].id if p["manager"] else None
        for platform, account in p["accounts"].items():
            upsert(PlatformAccount, {"platform": platform, "account_id": account}, person_id=row.id)

    teams = {}
    for t in spec["teams"]:
        teams[t["key"]] = upsert(Team, {"key": t["key"]}, name=t["name"], level=t["level"], timezone=t["timezone"])
    session.flush()
    memberships = {(m.team_id, m.person_id): m for m in session.scalars(
        select(TeamMember).where(TeamMember.org_id == org.id))}
    metrics = {(m.team_id, m.name): m for m in session.scalars(
        select(HealthMetric).where(HealthMetric.org_id == org.id))}
    settings = {(r.team_id, r.ritual): r for r in session.scalars(
        select(RitualSetting).where(RitualSetting.org_id == org.id))}
    skipped = set(session.execute(select(SkippedWeek.team_id, SkippedWeek.week).where(SkippedWeek.org_id == org.id)))
    for t in spec["teams"]:
        team = teams[t["key"]]
        team.parent_id = teams[t["parent"]].id if t["parent"] else None
        roles = {email: "member" for email in t["members"]} | {email: "lead" for email in t["leads"]}
        for email, role in roles.items():
            person = people[email]
            if (team.id, person.id) in memberships:
                memberships[team.id, person.id].role = role
            else:
                session.add(TeamMember(team_id=team.id, person_id=person.id, org_id=org.id, role=role))
        for platform, channel_ids in t["channels"].items():
            for channel in channel_ids:
                upsert(ChannelBinding, {"platform": platform, "channel_id": channel}, team_id=team.id)
        for position, name in enumerate(t["health_metrics"]):
            metric = metrics.get((team.id, name))
            if metric is None:
                session.add(HealthMetric(org_id=org.id, team_id=team.id, name=name, position=position))
            else:
                metric.position = position
        apply_rituals(session, team, t["rituals"], settings, skipped)

    objectives, krs = {}, {}
    for position, ob in enumerate(spec["objectives"]):
        objectives[ob["key"]] = upsert(
            Objective, {"key": ob["key"]}, cycle_id=cycles[ob["cycle"]].id, title=ob["title"], level=ob["level"],
            type=ob["type"], source=ob["source"], status=ob["status"], score=ob["score"], position=position,
            owner_team_id=teams[ob["owner_team"]].id if ob["owner_team"] else None,
            owner_person_id=people[ob["owner_person"]].id if ob["owner_person"] else None,
        )
    session.flush()
    known = {kr.key: kr for kr in session.scalars(select(KeyResult).where(KeyResult.org_id == org.id))}
    new, changed = [], []
    for ob in spec["objectives"]:
        objective = objectives[ob["key"]]
        for position, k in enumerate(ob["key_results"]):
            row = known.get(k["key"])
            values = dict(objective_id=objective.id, title=k["title"], start_value=k["start"],
                          target_value=k["target"], unit=k["unit"], milestone=k["milestone"], position=position,
                          owner_person_id=people[k["owner"]].id if k["owner"] else None)
            if row is None:
                row = KeyResult(org_id=org.id, key=k["key"], confidence=k["confidence"],
                                current_value=k["current"], updated_at=now, **values)
                session.add(row)
                new.append(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                value_changed = k["current"] is not None and k["current"] != row.current_value
                if k["confidence"] != row.confidence or value_changed:
                    changed.append((row, k))
            krs[k["key"]] = row
    session.flush()
    # Every key result's history starts with the imported state; later imports append their changes.
    session.add_all(CheckIn(org_id=org.id, key_result_id=kr.id, person_id=None, at=now, confidence=kr.confidence,
                            value=kr.current_value, note="imported", source="import") for kr in new)
    for row, k in changed:
        record_checkin(session, row, person_id=None, at=now, source="import", confidence=k["confidence"],
                       value=k["current"], note="changed by import")
    for ob in spec["objectives"]:
        objective, target = objectives[ob["key"]], ob["aligns_to"]
        objective.aligns_to_objective_id = objectives[target].id if target in objectives else None
        objective.aligns_to_kr_id = krs[target].id if target in krs else None
    session.flush()
    return ImportResult(org.id, {
        "people": len(people), "teams": len(teams), "objectives": len(objectives),
        "key_results": len(krs), "check-ins": len(new) + len(changed),
    })


def apply_rituals(session: Session, team: Team, rituals: dict, settings: dict, skipped: set) -> None:
    """Ritual settings of a team: the defaults, overridden by the file (None turns one off).

    `settings` ((team id, ritual) -> row) and `skipped` ((team id, week)) are the organization's
    existing rows, read once by the caller.
    """
    for ritual in catalog.CATALOG.values():
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
    for week in rituals.get("skip", []):
        if (team.id, week) not in skipped:
            skipped.add((team.id, week))
            session.add(SkippedWeek(team_id=team.id, week=week, org_id=team.org_id))
