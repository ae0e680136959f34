"""Facts on a real home: filled at ingest by the real ExifTool, and by ``faceforge asset facts`` for
older records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from exiftool_support import EXIFTOOL_SAMPLES, needs_exiftool
from typer.testing import CliRunner

from faceforge_cli.main import app

pytestmark = needs_exiftool


def run(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args or args[:2] == ("asset", "show") else result.output


def facts_columns(home: Path, asset_id: str) -> tuple[Any, ...]:
    with sqlite3.connect(home / "db" / "core.sqlite3") as db:
        row = db.execute(
            "SELECT facts_camera_make, facts_camera_model, facts_taken_at, facts_latitude, facts_longitude "
            "FROM assets WHERE asset_id = ?",
            (asset_id,),
        ).fetchone()
    return tuple(row)


def test_ingest_fills_the_facts_columns_and_the_backfill_restores_them(home: Path) -> None:
    gps = run(home, "asset", "add", str(EXIFTOOL_SAMPLES / "GPS.jpg"), "--json")["asset_id"]
    mov = run(home, "asset", "add", str(EXIFTOOL_SAMPLES / "QuickTime.mov"), "--json")["asset_id"]
    expected = ("FUJIFILM", "FinePixS1Pro", "2002-07-13T15:58:28.000Z", 54.9896667, -1.9141667)
    assert facts_columns(home, gps) == expected
    assert run(home, "asset", "show", mov)["facts"]["duration_s"] == 4.97

    with sqlite3.connect(home / "db" / "core.sqlite3") as db:  # as records stored before facts existed
        db.execute("UPDATE assets SET facts_camera_make = NULL, facts_taken_at = NULL, facts_latitude = NULL")

    assert run(home, "asset", "facts", "--json") == {"total": 2, "changed": 2, "unchanged": 0}
    assert facts_columns(home, gps) == expected
    assert "2 already right" in run(home, "asset", "facts")
