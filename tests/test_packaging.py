"""The app must work installed as a wheel: templates, migrations and demo data ship inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_templates_migrations_and_demo_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("okrbot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"prompts/{p.name}" for p in (ROOT / "prompts").glob("*.j2")}
    migrations = {f"storage/migrations/versions/{p.name}" for p in (ROOT / "storage/migrations/versions").glob("*.py")}
    assert templates and templates <= names
    assert migrations and migrations <= names
    assert {"storage/migrations/env.py", "storage/migrations/script.py.mako", "bot/demo/example.yaml"} <= names


def _locked_versions() -> dict[str, str]:
    """The lock's pins, name -> version (names normalised as pip does)."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            requirement = line.split(";")[0].split("\\")[0].strip()
            name, _, version = requirement.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_lock_pins_every_dependency_of_pyproject_in_range():
    """`make install` installs only from requirements.lock: a dependency added to pyproject.toml without
    `make lock` would silently be missing, and a tightened range would install a version it excludes."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    pins = _locked_versions()
    stale = []
    for requirement in declared:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version or 'missing'})")
    assert not stale, f"requirements.lock is out of date with pyproject.toml; run `make lock`: {stale}"


def test_lock_pins_are_exact_and_hashed():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert _locked_versions() and all(_locked_versions().values())
    heads = [line for line in text.splitlines() if line and not line[0].isspace() and not line.startswith("#")]
    assert all(line.endswith("\\") for line in heads), "every pin is followed by its --hash lines"
