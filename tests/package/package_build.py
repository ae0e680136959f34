"""Building the desktop packages through the real recipe, for the package tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_packages() -> subprocess.CompletedProcess[str]:
    """``./justw package``: the frozen Core, the release launcher and both packages (each cached)."""
    done = subprocess.run(
        [str(REPO / "justw"), "package"], cwd=REPO, capture_output=True, text=True, check=False, timeout=3600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done
