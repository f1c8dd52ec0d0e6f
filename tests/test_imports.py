"""Every module of bot/, storage/, adapters/ and okrbot/ imports on its own in a fresh interpreter: no
import cycle, no module that only works when another was imported first.

One subprocess does it all quickly: it learns which third-party modules our code loads (in a forked
child, so none of ours stays loaded) and imports those once; then it forks one child per module of
ours (as many at a time as there are cores) and imports that module alone there. Its `sys.modules`
holds no module of ours but those of storage/, the bottom layer, whose own modules are each imported
alone first (mapping the models is most of the time, once instead of a hundred times).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "adapters", "okrbot")
SKIPPED = ("storage/migrations/",)  # Alembic runs these with its own context; they are not importable alone

SCRIPT = r'''
import importlib, os, sys, traceback

OURS = {"bot", "storage", "adapters", "okrbot", "prompts", "tests"}
modules = sys.argv[1:]


def ours(name):
    return name.partition(".")[0] in OURS


def in_child(work):
    """Run work() in a forked child; returns (exit status, what it wrote)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            out, status = work(), 0
        except BaseException:
            out, status = traceback.format_exc(), 1
        with os.fdopen(write, "w") as pipe:
            pipe.write(out)
        os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


def warm():
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:
            pass
    return "\n".join(name for name in list(sys.modules) if not ours(name))


_, third_party = in_child(warm)
for name in third_party.split("\n"):
    try:
        importlib.import_module(name)
    except BaseException:
        pass
assert not any(ours(name) for name in sys.modules), "a third-party module imported one of ours"

failed, running = [], {}


def reap():
    pid, status = os.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        failed.append(running[pid])
    del running[pid]


def each_alone(names):
    for name in names:
        while len(running) >= (os.cpu_count() or 2):
            reap()
        pid = os.fork()
        if pid == 0:
            try:
                importlib.import_module(name)
                os._exit(0)
            except BaseException:
                sys.stderr.write(f"--- import {name} alone failed:\n{traceback.format_exc()}")
                sys.stderr.flush()
                os._exit(1)
        running[pid] = name
    while running:
        reap()


# storage/ is the bottom layer (it imports nothing of bot/, adapters/ or okrbot/): its modules are
# imported alone first, then loaded here once, so the other children do not each map the models again.
bottom = [name for name in modules if name.partition(".")[0] == "storage"]
each_alone(bottom)
for name in bottom:
    if name not in failed:
        importlib.import_module(name)
above = [name for name in sys.modules if ours(name) and name.partition(".")[0] != "storage"]
assert not above, f"storage/ imports modules above it: {above}"
each_alone([name for name in modules if name not in bottom])
print(f"{len(modules)} modules, {len(failed)} failed: {', '.join(sorted(failed))}")
sys.exit(1 if failed else 0)
'''


def modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(SKIPPED):
                continue
            found.append(relative.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
    return found


def test_every_module_imports_on_its_own():
    names = modules()
    assert "bot.cards" in names and "okrbot.cli" in names and "adapters.teams.bot" in names
    done = subprocess.run([sys.executable, "-c", SCRIPT, *names], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-8000:]
