"""The runnable examples under docs/examples run as written, and the docs show them verbatim."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
EMBED_EXAMPLE = DOCS / "examples" / "embed_create_entity.py"
SERVICES_EXAMPLE = DOCS / "examples" / "embed_services.py"
# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLE_JPEG = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples" / "Apple.jpg"


def run_example(example: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, str(example), *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("example", [EMBED_EXAMPLE, SERVICES_EXAMPLE], ids=lambda path: path.name)
def test_the_embedding_page_shows_the_example_files_verbatim(example: Path) -> None:
    page = (DOCS / "embedding.md").read_text(encoding="utf-8")
    assert f"```python\n{example.read_text(encoding='utf-8')}```" in page


def test_the_embedding_example_creates_an_entity(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    done = run_example(EMBED_EXAMPLE, home)
    assert done.returncode == 0, done.stderr
    entity_id, name = done.stdout.strip().split(" ", 1)
    assert name == "Ada Lovelace"
    with sqlite3.connect(home / "db" / "core.sqlite3") as conn:
        rows = conn.execute(
            "SELECT display_name, tags FROM entities WHERE entity_id = ?", (entity_id,)
        ).fetchall()
    assert rows == [("Ada Lovelace", '["mathematician"]')]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffhome"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_the_services_example_stores_a_file_and_waits_for_its_metadata(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    done = run_example(SERVICES_EXAMPLE, home, str(SAMPLE_JPEG))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [hashlib.sha256(SAMPLE_JPEG.read_bytes()).hexdigest(), "done"]
    assert list((home / "tmp").iterdir()) == []  # the process's own folder went with it
