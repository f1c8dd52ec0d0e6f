"""Core benchmark: import, the Monday four-square and the company roll-up report on a large organization.

    python bench/core.py                       # full size (10,000 people, 30,000 key results), both databases
    python bench/core.py --scale 0.05          # a quick check
    python bench/core.py --db sqlite --skip-import

For each database it generates the organization (bench/generate.py), then measures:
- import: the organization exported with `bot.exporter` and imported into an empty database through the
  real importer (`bot.importer.import_text`, the code path of `okrbot import`);
- the four-square of 200 random teams (p50/p99), each in its own transaction like a real request,
  against a baseline of one indexed SELECT of the same team's key results;
- the company roll-up status report of the CEO, against a baseline of reading every key result once;
- SQL statements per call, counted with a before_cursor_execute listener: the four-square's count is
  shown for the boards with the fewest and the most key results, to show it does not grow with them.

Targets (2-core machine): four-square p99 <= 30 ms, company report <= 2 s, on SQLite and PostgreSQL.
PostgreSQL: OKRBOT_BENCH_POSTGRES, else OKRBOT_TEST_POSTGRES, else postgresql://postgres@127.0.0.1:5432/postgres;
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from generate import NOW, Generated, generate  # noqa: E402

from bot.exporter import export_yaml  # noqa: E402
from bot.importer import import_text  # noqa: E402
from bot.services.foursquare import four_square, four_square_card  # noqa: E402
from bot.services.status_report import status_report  # noqa: E402
from bot.weeks import local_week  # noqa: E402
from okrbot.platforms import register_platforms  # noqa: E402
from storage.db import make_engine, make_sessionmaker, normalize_url  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import KeyResult, Objective, Organization, Person, Team  # noqa: E402

FOUR_SQUARE_P99_MS = 30
REPORT_S = 2.0


class Counter:
    """SQL statements sent on an engine (an executemany counts once: one round trip)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._tick)

    def _tick(self, *_args) -> None:
        self.count += 1


@contextmanager
def database(kind: str, workdir: Path):
    """An empty migrated database of `kind`; PostgreSQL ones are dropped afterwards."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    server = normalize_url(os.environ.get("OKRBOT_BENCH_POSTGRES") or os.environ.get("OKRBOT_TEST_POSTGRES")
                           or "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"okrbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.rsplit("/", 1)[0] + "/" + name)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_four_square(engine, gen: Generated, teams: int) -> dict:
    sessions = make_sessionmaker(engine)
    counter = Counter(engine)
    chosen = random.Random(7).sample(gen.leaf_team_ids, min(teams, len(gen.leaf_team_ids)))
    times, cpu_times, base_times, samples = [], [], [], []
    with sessions() as s:
        org = s.get(Organization, gen.org_id)
        s.expunge(org)
    for warm, team_id in [(True, t) for t in chosen[:10]] + [(False, t) for t in chosen]:
        with sessions() as s, s.begin():
            start_count = counter.count
            t0, c0 = time.perf_counter(), time.process_time()
            team = s.get(Team, team_id)
            week = local_week(NOW, "Europe/Berlin")
            board = four_square(s, org, team, week, NOW)
            four_square_card(board, org)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            statements = counter.count - start_count
            s.rollback()  # a first look at a week may carry priorities over: keep every sample alike
        with sessions() as s:
            t0 = time.perf_counter()
            s.execute(select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id)
                      .where(Objective.owner_team_id == team_id)).all()
            base = time.perf_counter() - t0
        if not warm:
            times.append(elapsed)
            cpu_times.append(cpu)
            base_times.append(base)
            samples.append((len(board.okrs), statements))
    fewest, most = min(samples), max(samples)
    return {
        "p50_ms": percentile(times, 0.5) * 1000, "p99_ms": percentile(times, 0.99) * 1000,
        "cpu_p50_ms": percentile(cpu_times, 0.5) * 1000, "cpu_p99_ms": percentile(cpu_times, 0.99) * 1000,
        "base_p50_ms": percentile(base_times, 0.5) * 1000,
        "statements": sorted({n for _, n in samples}), "fewest": fewest, "most": most, "teams": len(times),
    }


def bench_report(engine, gen: Generated, runs: int) -> dict:
    sessions = make_sessionmaker(engine)
    counter = Counter(engine)
    times, cpu_times, statements, base_times = [], [], [], []
    for run in range(runs + 1):
        with sessions() as s, s.begin():
            org = s.get(Organization, gen.org_id)
            ceo = s.get(Person, gen.ceo_id)
            week = local_week(NOW, "Europe/Berlin")
            start_count = counter.count
            t0, c0 = time.perf_counter(), time.process_time()
            card = status_report(s, org, ceo, week, NOW)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            used = counter.count - start_count
        with sessions() as s:
            t0 = time.perf_counter()
            s.scalars(select(KeyResult).where(KeyResult.org_id == gen.org_id)).all()
            base = time.perf_counter() - t0
        if run:  # the first run warms caches
            times.append(elapsed)
            cpu_times.append(cpu)
            statements.append(used)
            base_times.append(base)
    return {"p50_s": statistics.median(times), "max_s": max(times), "cpu_p50_s": statistics.median(cpu_times),
            "statements": sorted(set(statements)),
            "base_s": statistics.median(base_times), "elements": len(card.elements), "runs": runs}


def bench_import(engine, kind: str, gen: Generated, workdir: Path) -> dict:
    register_platforms()  # the importer checks a channel's platform against the registry, as `okrbot import` does
    with make_sessionmaker(engine)() as s:
        t0 = time.perf_counter()
        document = export_yaml(s, s.get(Organization, gen.org_id))
        exported = time.perf_counter() - t0
    with database(kind, workdir) as fresh:
        sessions = make_sessionmaker(fresh)
        t0 = time.perf_counter()
        with sessions() as s, s.begin():
            result = import_text(s, document, NOW)
        imported = time.perf_counter() - t0
    assert result.counts["key_results"] == gen.shape.key_results, result.counts
    return {"export_s": exported, "import_s": imported, "yaml_mb": len(document.encode()) / 1e6,
            "counts": result.counts}


def run(kind: str, scale: float, teams: int, runs: int, skip_import: bool, workdir: Path) -> dict:
    with database(kind, workdir) as engine:
        t0 = time.perf_counter()
        gen = generate(engine, scale)
        generated = time.perf_counter() - t0
        print(f"[{kind}] generated {gen.rows:,} rows in {generated:.1f} s", file=sys.stderr, flush=True)
        result = {"kind": kind, "generate_s": generated, "rows": gen.rows, "shape": gen.shape}
        result["four_square"] = bench_four_square(engine, gen, teams)
        print(f"[{kind}] four-square {result['four_square']}", file=sys.stderr, flush=True)
        result["report"] = bench_report(engine, gen, runs)
        print(f"[{kind}] report {result['report']}", file=sys.stderr, flush=True)
        if not skip_import:
            result["import"] = bench_import(engine, kind, gen, workdir)
            print(f"[{kind}] import {result['import']}", file=sys.stderr, flush=True)
    return result


def markdown(results: list[dict], command: str) -> str:
    shape = results[0]["shape"]
    lines = [
        f"Command: `{command}`",
        "",
        f"Organization: {shape.people:,} people, {shape.teams:,} teams ({shape.departments} departments), "
        f"{shape.objectives:,} objectives, {shape.key_results:,} key results, {shape.weeks} weeks of check-ins "
        f"({shape.key_results * shape.weeks:,}). Load average when done: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (other engineers' work shares the 2 cores).",
        "",
        "| measure | " + " | ".join(r["kind"] for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    row("generate (bulk executemany)", lambda r: f"{r['generate_s']:.1f} s ({r['rows']:,} rows)")
    if all("import" in r for r in results):
        row("export to YAML (bot.exporter)", lambda r: f"{r['import']['export_s']:.1f} s "
                                                       f"({r['import']['yaml_mb']:.1f} MB)")
        row("import that YAML (bot.importer, one transaction)", lambda r: f"{r['import']['import_s']:.1f} s")
    row("four-square p50 / p99", lambda r: f"{r['four_square']['p50_ms']:.1f} / {r['four_square']['p99_ms']:.1f} ms")
    row("four-square CPU time of this process p50 / p99",
        lambda r: f"{r['four_square']['cpu_p50_ms']:.1f} / {r['four_square']['cpu_p99_ms']:.1f} ms")
    row("four-square p50 ÷ baseline p50 (one indexed SELECT of the team's KRs)",
        lambda r: f"{r['four_square']['p50_ms'] / r['four_square']['base_p50_ms']:.1f}× "
                  f"({r['four_square']['base_p50_ms']:.2f} ms)")
    row("four-square statements (fewest KRs → most KRs on a board)",
        lambda r: f"{r['four_square']['fewest'][1]} ({r['four_square']['fewest'][0]} KRs) → "
                  f"{r['four_square']['most'][1]} ({r['four_square']['most'][0]} KRs)")
    row("company report p50 / max", lambda r: f"{r['report']['p50_s']:.2f} / {r['report']['max_s']:.2f} s")
    row("company report CPU time of this process p50", lambda r: f"{r['report']['cpu_p50_s']:.2f} s")
    row("company report ÷ baseline (read every key result once)",
        lambda r: f"{r['report']['p50_s'] / r['report']['base_s']:.1f}× ({r['report']['base_s']:.2f} s)")
    row("company report statements", lambda r: ", ".join(map(str, r["report"]["statements"])))
    fs_ok = all(r["four_square"]["p99_ms"] <= FOUR_SQUARE_P99_MS for r in results)
    report_ok = all(r["report"]["max_s"] <= REPORT_S for r in results)
    lines += ["", f"Targets: four-square p99 ≤ {FOUR_SQUARE_P99_MS} ms: {'met' if fs_ok else 'MISSED'}; "
                  f"company report ≤ {REPORT_S:g} s: {'met' if report_ok else 'MISSED'}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 people / 30,000 key results")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--teams", type=int, default=200, help="teams whose four-square is timed (default 200)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the company report (default 5)")
    parser.add_argument("--skip-import", action="store_true", help="leave out the export/import timing")
    args = parser.parse_args(argv)
    command = "python bench/core.py " + " ".join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="okrbot-bench-") as workdir:
        results = [run(kind.strip(), args.scale, args.teams, args.runs, args.skip_import, Path(workdir))
                   for kind in args.db.split(",") if kind.strip()]
    print(markdown(results, command.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
