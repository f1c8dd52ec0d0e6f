"""Running `okrbot` the way a person does (argv in, text out) and comparing databases by natural keys."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

from sqlalchemy import inspect, select, text

from bot.workspaces import workspaces_of
from okrbot.cli import main
from storage.db import make_engine, make_sessionmaker
from storage.models import (
    ChannelBinding,
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


def okrbot(monkeypatch, capsys, database_url: str, *argv: str) -> tuple[int, str, str]:
    """`okrbot ARGV` against DATABASE_URL; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def empty_database(database_url: str, tmp_path: Path, template: Path) -> str:
    """A fresh, migrated, empty database of the same kind (a new SQLite file, or PostgreSQL emptied)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "fresh.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    engine = make_engine(database_url)
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return database_url


def snapshot(database_url: str) -> dict:
    """Everything the import format carries, keyed by natural keys (emails, team and objective keys), not ids."""
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as s:
        (org,) = s.scalars(select(Organization)).all()
        people = {p.id: p for p in s.scalars(select(Person))}
        email = {i: p.email for i, p in people.items()}
        teams = {t.id: t for t in s.scalars(select(Team))}
        key = {i: t.key for i, t in teams.items()}
        accounts = defaultdict(dict)
        for a in s.scalars(select(PlatformAccount).where(PlatformAccount.platform != "sandbox")):
            accounts[email[a.person_id]][a.platform] = a.account_id
        members = defaultdict(set)
        for m in s.scalars(select(TeamMember)):
            members[key[m.team_id]].add((email[m.person_id], m.role))
        channels = defaultdict(set)
        for c in s.scalars(select(ChannelBinding)):
            channels[key[c.team_id]].add((c.platform, c.channel_id))
        metrics = defaultdict(list)
        for m in s.scalars(select(HealthMetric).order_by(HealthMetric.position)):
            metrics[key[m.team_id]].append(m.name)
        rituals = defaultdict(dict)
        for r in s.scalars(select(RitualSetting)):
            # A ritual that is off keeps no meaningful time.
            rituals[key[r.team_id]][r.ritual] = (r.weekday, r.time) if r.enabled else "off"
        skips = defaultdict(set)
        for w in s.scalars(select(SkippedWeek)):
            skips[key[w.team_id]].add(w.week)
        cycles = {c.id: (c.name, c.start, c.end) for c in s.scalars(select(Cycle))}
        objectives = s.scalars(select(Objective).order_by(Objective.position, Objective.id)).all()
        okey = {o.id: o.key for o in objectives}
        krs = s.scalars(select(KeyResult).order_by(KeyResult.position, KeyResult.id)).all()
        krkey = {k.id: k.key for k in krs}
        data = {
            "organization": (org.name, org.timezone, org.multiple_business_lines, org.red_max, org.green_min,
                             workspaces_of(s, org.id)),
            "people": {p.email: (p.name, email.get(p.manager_id), p.timezone, dict(accounts[p.email]))
                       for p in people.values()},
            "teams": {t.key: (t.name, t.level, key.get(t.parent_id), t.timezone, members[t.key], channels[t.key],
                              metrics[t.key], rituals[t.key], skips[t.key]) for t in teams.values()},
            "cycles": sorted(cycles.values()),
            "objective_order": [o.key for o in objectives],
            "objectives": {o.key: (o.title, o.level, o.type, o.source, key.get(o.owner_team_id),
                                   email.get(o.owner_person_id), okey.get(o.aligns_to_objective_id),
                                   krkey.get(o.aligns_to_kr_id), o.status, o.score, cycles[o.cycle_id][0])
                           for o in objectives},
            "key_results": {k.key: (okey[k.objective_id], k.title, email.get(k.owner_person_id), k.start_value,
                                    k.target_value, k.current_value, k.unit, k.milestone, k.confidence)
                            for k in krs},
            "kr_order": {o.key: [k.key for k in krs if k.objective_id == o.id] for o in objectives},
        }
    engine.dispose()
    return data


def count_rows(database_url: str, model) -> int:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as s:
        n = len(s.scalars(select(model.id)).all())
    engine.dispose()
    return n
