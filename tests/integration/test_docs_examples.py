"""The runnable examples under docs/examples run as written, and the docs show them verbatim."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
EMBED_EXAMPLE = DOCS / "examples" / "embed_create_entity.py"


def test_the_embedding_page_shows_the_example_file_verbatim() -> None:
    page = (DOCS / "embedding.md").read_text(encoding="utf-8")
    assert f"```python\n{EMBED_EXAMPLE.read_text(encoding='utf-8')}```" in page


def test_the_embedding_example_creates_an_entity(tmp_path: Path) -> None:
    home = tmp_path / "ffhome"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, str(EMBED_EXAMPLE)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    entity_id, name = done.stdout.strip().split(" ", 1)
    assert name == "Ada Lovelace"
    with sqlite3.connect(home / "db" / "core.sqlite3") as conn:
        rows = conn.execute(
            "SELECT display_name, tags FROM entities WHERE entity_id = ?", (entity_id,)
        ).fetchall()
    assert rows == [("Ada Lovelace", '["mathematician"]')]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ffhome"]
