"""Building the frozen Core and the desktop packages through the real scripts, for the package tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FREEZE = REPO / "packaging" / "freeze_core.py"
FREEZE_TIMEOUT = 1800


def frozen_executable() -> Path:
    """Build (or reuse) the frozen folder; the path of its ``faceforge``."""
    done = subprocess.run(
        [sys.executable, str(FREEZE), "--print-path"],
        capture_output=True,
        text=True,
        timeout=FREEZE_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return Path(done.stdout.strip().splitlines()[-1])


def build_packages() -> subprocess.CompletedProcess[str]:
    """``./justw package``: the frozen Core, the release launcher and both packages (each cached)."""
    done = subprocess.run(
        [str(REPO / "justw"), "package"], cwd=REPO, capture_output=True, text=True, check=False, timeout=3600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done
