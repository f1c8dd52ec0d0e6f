"""A large organization for the benchmarks, bulk-inserted with SQLAlchemy core executemany.

At scale 1: 10,000 people, 2,000 teams (1 company, 20 departments, the rest teams below them),
8,000 objectives, 30,000 key results and 26 weeks of weekly check-ins (780,000 rows), plus the
weekly ritual data a real organization has: priorities, plans, health metrics and wins. Generation
takes seconds to a minute, not hours, because every table is one executemany with ids chosen here.

Deterministic: the same scale gives the same data (random.Random with a fixed seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, insert, select, text

from bot.weeks import local_week
from storage.db import refresh_statistics
from storage.models import (
    ChannelBinding,
    CheckIn,
    Cycle,
    HealthMetric,
    HealthUpdate,
    KeyResult,
    Objective,
    Organization,
    Person,
    Plan,
    PlatformAccount,
    Priority,
    Team,
    TeamMember,
    Win,
)

WEEKS = 26
# Wednesday noon UTC of the last of the 26 weeks: the benchmark's "now".
NOW = datetime(2026, 12, 23, 12, 0, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Europe/London", "America/Los_Angeles")
BATCH = 20_000


@dataclass(frozen=True)
class Shape:
    people: int
    teams: int
    departments: int
    objectives: int
    key_results: int
    weeks: int = WEEKS

    @classmethod
    def at(cls, scale: float) -> Shape:
        teams = max(3, round(2_000 * scale))
        return cls(
            people=max(teams * 2, round(10_000 * scale)),
            teams=teams,
            departments=max(1, min(teams - 2, round(20 * scale))),
            objectives=max(teams, round(8_000 * scale)),
            key_results=max(teams * 2, round(30_000 * scale)),
        )


@dataclass(frozen=True)
class Generated:
    org_id: int
    shape: Shape
    ceo_id: int
    company_team_id: int
    leaf_team_ids: list[int]
    rows: int


def _bulk(connection, table, rows: list[dict]) -> int:
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), rows[start : start + BATCH])
    return len(rows)


def generate(engine: Engine, scale: float = 1.0, seed: int = 20261223) -> Generated:
    """Fill an empty, migrated database; returns what the benchmarks need to find their way."""
    rnd = random.Random(seed)
    shape = Shape.at(scale)
    now = NOW
    weeks = [local_week(now - timedelta(weeks=back), "UTC") for back in range(shape.weeks - 1, -1, -1)]
    cycle_start = date.fromisocalendar(int(weeks[0][:4]), int(weeks[0][6:]), 1)
    total = 0
    with engine.begin() as c:
        c.execute(insert(Organization.__table__), [{
            "id": 1, "name": "Bench Corp", "timezone": "Europe/Berlin", "multiple_business_lines": True,
            "red_max": 3, "green_min": 8, "created_at": now - timedelta(weeks=30),
        }])
        org = 1
        c.execute(insert(Cycle.__table__), [{"id": 1, "org_id": org, "name": "2026-H2", "start": cycle_start,
                                             "end": cycle_start + timedelta(weeks=shape.weeks) - timedelta(days=1)}])

        # Teams: 1 company, departments under it, teams spread over the departments.
        departments = list(range(2, 2 + shape.departments))
        team_rows = [{"id": 1, "org_id": org, "key": "company", "name": "Bench Corp", "level": "company",
                      "parent_id": None, "timezone": None}]
        for d in departments:
            team_rows.append({"id": d, "org_id": org, "key": f"dept-{d}", "name": f"Department {d}",
                              "level": "department", "parent_id": 1, "timezone": ZONES[d % len(ZONES)]})
        leaves = list(range(2 + shape.departments, shape.teams + 1))
        for t in leaves:
            team_rows.append({"id": t, "org_id": org, "key": f"team-{t}", "name": f"Team {t}", "level": "team",
                              "parent_id": departments[t % len(departments)], "timezone": None})
        total += _bulk(c, Team.__table__, team_rows)

        # People: round-robin into teams; the first person of each team leads it.
        members: dict[int, list[int]] = {t["id"]: [] for t in team_rows}
        team_ids = [t["id"] for t in team_rows]
        for p in range(1, shape.people + 1):
            members[team_ids[(p - 1) % len(team_ids)]].append(p)
        lead = {t: ids[0] for t, ids in members.items()}
        parent = {t["id"]: t["parent_id"] for t in team_rows}
        person_rows, member_rows = [], []
        for t, ids in members.items():
            for i, p in enumerate(ids):
                manager = lead[t] if i else (lead[parent[t]] if parent[t] else None)
                person_rows.append({"id": p, "org_id": org, "email": f"p{p}@bench.test", "name": f"Person {p}",
                                    "manager_id": None if manager == p else manager, "timezone": None})
                member_rows.append({"team_id": t, "person_id": p, "org_id": org, "role": "member" if i else "lead"})
        person_rows.sort(key=lambda r: r["id"])
        managers = [(r["id"], r["manager_id"]) for r in person_rows]
        for r in person_rows:
            r["manager_id"] = None  # set after every person exists (foreign keys)
        total += _bulk(c, Person.__table__, person_rows)
        for start in range(0, len(managers), BATCH):
            c.execute(Person.__table__.update().where(Person.__table__.c.id == _bind("pid"))
                      .values(manager_id=_bind("mid")),
                      [{"pid": p, "mid": m} for p, m in managers[start : start + BATCH] if m])
        total += _bulk(c, TeamMember.__table__, member_rows)
        total += _bulk(c, PlatformAccount.__table__, [
            {"id": p, "org_id": org, "person_id": p, "platform": "slack", "account_id": f"U{p:08d}"}
            for p in range(1, shape.people + 1)])
        total += _bulk(c, ChannelBinding.__table__, [
            {"id": t, "org_id": org, "team_id": t, "platform": "slack", "channel_id": f"C{t:08d}"}
            for t in team_ids[1:]])

        # Objectives: 4 company, 3 per department, 2 per team, the rest individual; aligned upward.
        objective_rows: list[dict] = []

        def objective(owner_team: int | None, level: str, aligns: int | None, owner_person: int | None = None):
            oid = len(objective_rows) + 1
            capability = oid % 11 == 0
            objective_rows.append({
                "id": oid, "org_id": org, "cycle_id": 1, "key": f"o{oid}", "title": f"Objective {oid} of {level}",
                "level": level, "type": "capability" if capability else "business",
                "source": "aligned" if level == "individual" else None, "owner_team_id": owner_team,
                "owner_person_id": owner_person, "aligns_to_objective_id": None if oid % 23 == 0 else aligns,
                "aligns_to_kr_id": None, "status": "active", "score": None, "position": oid,
            })
            return oid

        company = [objective(1, "company", None) for _ in range(4)]
        dept_objectives = {d: [objective(d, "department", company[(d + i) % 4]) for i in range(3)]
                           for d in departments}
        team_objectives = {t: [objective(t, "team", dept_objectives[parent[t]][i % 3]) for i in range(2)]
                           for t in leaves}
        people_in_leaves = [p for t in leaves for p in members[t][1:]] or list(range(1, shape.people + 1))
        while len(objective_rows) < shape.objectives:
            p = people_in_leaves[len(objective_rows) % len(people_in_leaves)]
            home = team_ids[(p - 1) % len(team_ids)]
            aligns = team_objectives.get(home, [company[0]])[0]
            objective(None, "individual", aligns, owner_person=p)
        total += _bulk(c, Objective.__table__, objective_rows)

        # Key results: 3-5 per objective (30,000 over 8,000), each with 26 weekly check-ins.
        kr_rows, checkin_rows = [], []
        per = shape.key_results / len(objective_rows)
        assigned = 0
        for index, o in enumerate(objective_rows):
            want = round(per * (index + 1)) - assigned
            assigned += want
            team = o["owner_team_id"]
            owners = members[team] if team else [o["owner_person_id"]]
            for k in range(max(1, want)):
                kid = len(kr_rows) + 1
                milestone = kid % 17 == 0
                start_value, target = (None, None) if milestone else (float(rnd.randint(0, 50)),
                                                                       float(rnd.randint(60, 200)))
                confidence, value = 5, start_value
                for w in range(len(weeks)):
                    confidence = min(10, max(1, confidence + rnd.choice((-2, -1, 0, 0, 0, 1, 1))))
                    if value is not None:
                        value = round(value + (target - start_value) / shape.weeks * rnd.random() * 1.5, 1)
                    at = now - timedelta(weeks=shape.weeks - 1 - w, hours=rnd.randint(1, 40))
                    checkin_rows.append({"org_id": org, "key_result_id": kid, "person_id": owners[k % len(owners)],
                                         "at": at, "confidence": confidence, "value": value, "note": None,
                                         "source": "slack"})
                kr_rows.append({
                    "id": kid, "org_id": org, "objective_id": o["id"], "key": f"kr{kid}",
                    "title": f"Key result {kid}", "owner_person_id": owners[k % len(owners)],
                    "start_value": start_value, "target_value": target, "current_value": value,
                    "unit": None if milestone else "%", "milestone": "Shipped" if milestone else None,
                    "confidence": confidence, "position": k, "updated_at": checkin_rows[-1]["at"],
                })
        total += _bulk(c, KeyResult.__table__, kr_rows)
        total += _bulk(c, CheckIn.__table__, checkin_rows)
        del checkin_rows

        # The weekly four-square data of every team, every week.
        priority_rows, plan_rows, metric_rows, health_rows, win_rows = [], [], [], [], []
        for t in team_ids:
            for m in range(2):
                metric_rows.append({"id": len(metric_rows) + 1, "org_id": org, "team_id": t,
                                    "name": ("Morale", "On-call load")[m], "position": m})
        for w, week in enumerate(weeks):
            at = now - timedelta(weeks=shape.weeks - 1 - w)
            current = w == len(weeks) - 1
            for t in team_ids:
                people = members[t]
                for n in range(3):
                    status = "open" if current else rnd.choice(("done", "done", "dropped", "open"))
                    priority_rows.append({
                        "org_id": org, "team_id": t, "week": week, "level": "P1" if n < 2 else "P2",
                        "text": f"Priority {n + 1} of team {t} in {week}", "owner_person_id": people[n % len(people)],
                        "status": status, "reason": "Blocked by a dependency" if status == "dropped" else None,
                        "carried_from_id": None, "created_at": at,
                    })
                if w >= len(weeks) - 4:
                    plan_rows.append({"org_id": org, "team_id": t, "week": week, "text": f"Plan for {week}",
                                      "author_person_id": people[0], "created_at": at})
                for m in range(2):
                    health_rows.append({"org_id": org, "metric_id": 2 * (t - 1) + m + 1, "week": week,
                                        "status": rnd.choice(("green", "green", "yellow", "red")), "note": None,
                                        "person_id": people[0], "at": at})
                if not current:
                    win_rows.append({"org_id": org, "team_id": t, "week": week, "author_person_id": people[-1],
                                     "text": f"A win of team {t}", "platform": "slack",
                                     "message_id": f"{t}.{w}", "at": at})
        total += _bulk(c, Priority.__table__, priority_rows)
        total += _bulk(c, Plan.__table__, plan_rows)
        total += _bulk(c, HealthMetric.__table__, metric_rows)
        total += _bulk(c, HealthUpdate.__table__, health_rows)
        total += _bulk(c, Win.__table__, win_rows)

    _advance_sequences(engine)
    with engine.begin() as c:
        total_people = c.execute(select(func.count()).select_from(Person.__table__)).scalar()
    assert total_people == shape.people
    return Generated(org, shape, lead[1], 1, leaves, total)


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def _advance_sequences(engine: Engine) -> None:
    """PostgreSQL: ids were chosen here, so move each serial sequence past them for later inserts.

    Then the planner's statistics, as `okrbot import` leaves them (storage.db.refresh_statistics).
    """
    if engine.dialect.name != "postgresql":
        refresh_statistics(engine)
        return
    with engine.begin() as c:
        for table in (Organization, Cycle, Team, Person, PlatformAccount, ChannelBinding, Objective, KeyResult,
                      CheckIn, Priority, Plan, HealthMetric, HealthUpdate, Win):
            name = table.__tablename__
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {name}), 1))"))
    refresh_statistics(engine)
