"""``faceforge db pack``: ExifTool output stored as text by older versions is rewritten packed, the
records read the same, and the database file shrinks."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from exiftool_support import EXIFTOOL_SAMPLES, needs_exiftool
from typer.testing import CliRunner

from faceforge_cli.main import app

pytestmark = needs_exiftool
CAMERA_FILES = ["Canon1DmkIII.jpg", "Nikon.jpg", "Sony.jpg", "Pentax.jpg", "Olympus.jpg"]


def run(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if args[:2] == ("asset", "show") else result.output


def stored_kinds(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT typeof(extracted_metadata) FROM assets")]


def test_pack_rewrites_text_metadata_packed_and_the_records_read_the_same(home: Path) -> None:
    ids = [
        json.loads(run(home, "asset", "add", str(EXIFTOOL_SAMPLES / name), "--json"))["asset_id"]
        for name in CAMERA_FILES
    ]
    db = home / "db" / "core.sqlite3"
    assert stored_kinds(db) == ["blob"] * len(ids)  # written packed
    shown = {asset_id: run(home, "asset", "show", asset_id)["extracted_metadata"] for asset_id in ids}

    with sqlite3.connect(db) as conn:  # as an older version stored them: plain JSON text, 5x the room
        for asset_id, entries in shown.items():
            conn.execute(
                "UPDATE assets SET extracted_metadata = ? WHERE asset_id = ?", (json.dumps(entries), asset_id)
            )
    assert stored_kinds(db) == ["text"] * len(ids)

    output = run(home, "db", "pack")
    assert f"packed the metadata of {len(ids)} asset(s)" in output
    before, after = (float(size) for size in re.findall(r"([0-9.]+) MB", output))
    assert after < before
    assert stored_kinds(db) == ["blob"] * len(ids)
    assert {asset_id: run(home, "asset", "show", asset_id)["extracted_metadata"] for asset_id in ids} == shown
    assert "packed the metadata of 0 asset(s)" in run(home, "db", "pack")  # nothing left to do
