"""The dependency rule, checked by pytest itself: the import-linter contracts in pyproject.toml hold.

A second test runs the same contracts over a throwaway copy of the sources with one forbidden import
planted in the domain, so a check that could never fail would be caught.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path, src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT, ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("package", "planted", "contract"),
    [
        ("faceforge_domain", "import litestar", "The domain is pure"),
        ("faceforge_domain", "import aiosqlite", "The domain is pure"),
        ("faceforge_domain", "from faceforge_adapters import home", "The domain is pure"),
        ("faceforge_domain", "import jinja2", "The domain is pure"),
        ("faceforge_adapters", "import faceforge_http", "Adapters never import the HTTP layer"),
        ("faceforge_adapters", "from faceforge_cli import main", "Adapters never import the HTTP layer"),
        ("faceforge_adapters", "import uvicorn", "Adapters never import the HTTP layer"),
        ("faceforge_http", "from faceforge_cli import main", "The entry points are the outermost layer"),
        ("faceforge_domain", "import faceforge_cli", "The domain is pure"),
    ],
)
def test_a_forbidden_import_breaks_the_check(
    tmp_path: Path, package: str, planted: str, contract: str
) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (src / package / "_planted_leak.py").write_text(f'"""A deliberate violation."""\n\n{planted}\n')
    done = lint_imports(tmp_path, src)
    assert done.returncode != 0
    assert f"{contract}" in done.stdout
    assert f"{package}._planted_leak" in done.stdout
    assert "BROKEN" in done.stdout


RUFF = Path(sys.executable).parent / "ruff"
CLOCK_READS = [
    "import time\n\nstarted = time.monotonic()\n",
    "import time\n\nstarted = time.perf_counter()\n",
    "from time import time\n\nstarted = time()\n",
    "from datetime import UTC, datetime\n\nnow = datetime.now(UTC)\n",
    "import datetime\n\ntoday = datetime.date.today()\n",
]


def ruff_on(path: str, source: str) -> subprocess.CompletedProcess[str]:
    """Ruff's verdict on ``source`` as if it were the file at ``path`` (with the project's settings)."""
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "--stdin-filename", path, "-"],
        cwd=ROOT,
        input=source,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("source", CLOCK_READS)
def test_the_domain_reads_time_only_through_its_clock_port(source: str) -> None:
    planted = ruff_on("src/faceforge_domain/services/_planted_clock.py", source)
    assert planted.returncode != 0
    assert "TID251" in planted.stdout
    assert "Clock port" in planted.stdout


@pytest.mark.parametrize(
    "path", ["src/faceforge_domain/clock.py", "src/faceforge_adapters/_planted_clock.py", "tests/_planted.py"]
)
def test_the_clock_port_and_the_outer_layers_may_read_the_system_clock(path: str) -> None:
    assert ruff_on(path, CLOCK_READS[0]).returncode == 0
