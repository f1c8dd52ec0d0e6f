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
