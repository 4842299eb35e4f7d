"""Every distribution the code imports is named in a requirements file (deptry reads the whole tree)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_is_named_in_a_requirements_file():
    run = subprocess.run(
        [sys.executable, "-m", "deptry", "."], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_constraints_pin_every_direct_requirement():
    pinned = {
        line.split("==", 1)[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            dist = line.split("[", 1)[0]
            for sep in ("==", ">=", "<=", "<", ">", "~=", "!="):
                dist = dist.split(sep, 1)[0]
            assert dist.strip().lower().replace("_", "-") in pinned, f"{name}: {dist} has no pin in constraints.txt"
