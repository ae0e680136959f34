"""The version lives in pyproject.toml; every other place that names it agrees, or the gate fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from script_support import ROOT, load_script

SCRIPT = ROOT / "scripts" / "stamp_version.py"
FACEFORGE = Path(sys.executable).parent / "faceforge"


stamper = load_script("scripts/stamp_version.py")


def stamp(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The files that carry the version, copied as they are in the checkout."""
    for relative in {stamper.PYPROJECT.path, *(field.path for field in stamper.STAMPED)}:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / relative, tmp_path / relative)
    return tmp_path


def test_every_stamped_version_agrees_with_pyproject() -> None:
    assert stamper.disagreements(ROOT) == {}, "run ./justw version (scripts/stamp_version.py)"
    assert len(stamper.found_versions(ROOT)) == 5


def test_the_installed_package_the_cli_and_healthz_say_pyprojects_version() -> None:
    assert version("faceforge") == stamper.source_version(ROOT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    done = subprocess.run(
        [str(FACEFORGE), "--version"], capture_output=True, text=True, timeout=60, check=True, env=env
    )
    assert done.stdout.strip() == f"faceforge {stamper.source_version(ROOT)}"


@pytest.mark.anyio
async def test_healthz_reports_pyprojects_version(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    health = (await client.get("/healthz")).json()["data"]
    assert health["version"] == stamper.source_version(ROOT)


def test_a_bump_stamps_every_field_and_changes_nothing_else(copy: Path) -> None:
    before = {p: p.read_text().splitlines() for p in copy.rglob("*") if p.is_file()}
    done = stamp(copy, "2.3.4-rc.1")
    assert done.returncode == 0, done.stderr
    assert stamper.source_version(copy) == "2.3.4-rc.1"
    assert set(stamper.found_versions(copy).values()) == {"2.3.4-rc.1"}
    changed = [
        (old, new)
        for path, lines in before.items()
        for old, new in zip(lines, path.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert len(changed) == 1 + 5  # pyproject and the five stamped fields, one line each
    assert all("0.1.0" not in new and "2.3.4-rc.1" in new for _, new in changed)


def test_a_bump_that_forgot_the_stamp_fails_the_check_naming_each_file(copy: Path) -> None:
    pyproject = copy / "pyproject.toml"
    current = stamper.source_version(copy)
    pyproject.write_text(pyproject.read_text().replace(f'version = "{current}"', 'version = "9.9.9"', 1))
    done = stamp(copy, "--check")
    assert done.returncode == 1
    for name in (
        "uv.lock",
        "desktop/Cargo.toml",
        "faceforge-desktop",
        "faceforge-supervisor",
        "tauri.conf.json",
    ):
        assert name in done.stderr
    assert stamp(copy).returncode == 0
    assert stamp(copy, "--check").returncode == 0


def test_a_version_that_is_not_semver_is_refused_and_nothing_changes(copy: Path) -> None:
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    done = stamp(copy, "v2")
    assert done.returncode != 0
    assert "'v2' is not a version" in done.stderr
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
