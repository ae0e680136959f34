"""``faceforge asset retype`` on a real home: SQLite records written by older rules get corrected."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import anyio
from exiftool_support import EXIFTOOL_SAMPLES
from typer.testing import CliRunner

from faceforge_adapters.bootstrap import bootstrap
from faceforge_cli.main import app
from faceforge_domain.events import EventFilter


def run(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args or args[:2] == ("asset", "show") else result.output


def recorded_as(home: Path, asset_id: str, mime: str, kind: str) -> None:
    """Write the record as the rules before type sniffing knew better wrote it."""
    with sqlite3.connect(home / "db" / "core.sqlite3") as db:
        db.execute("UPDATE assets SET mime_type = ?, kind = ? WHERE asset_id = ?", (mime, kind, asset_id))


def test_retype_corrects_old_records_keeps_chosen_kinds_and_records_the_history(home: Path) -> None:
    cr3 = run(home, "asset", "add", str(EXIFTOOL_SAMPLES / "CanonRaw.cr3"), "--json")["asset_id"]
    raf = run(home, "asset", "add", str(EXIFTOOL_SAMPLES / "FujiFilm.raf"), "--kind", "shoot.raw", "--json")
    mov = run(home, "asset", "add", str(EXIFTOOL_SAMPLES / "QuickTime.mov"), "--json")["asset_id"]
    recorded_as(home, cr3, "video/mp4", "video.original")
    recorded_as(home, raf["asset_id"], "application/octet-stream", "shoot.raw")

    result = run(home, "asset", "retype", "--json")

    assert result == {"total": 3, "changed": 2, "unchanged": 1, "failed": 0}
    shown = {a: run(home, "asset", "show", a) for a in (cr3, raf["asset_id"], mov)}
    assert (shown[cr3]["mime_type"], shown[cr3]["kind"]) == ("image/x-canon-cr3", "image.raw")
    assert (shown[raf["asset_id"]]["mime_type"], shown[raf["asset_id"]]["kind"]) == (
        "image/x-fujifilm-raf",
        "shoot.raw",
    )
    assert shown[mov]["mime_type"] == "video/quicktime"

    async def history() -> list[tuple[str | None, dict[str, Any]]]:
        async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, run_jobs=False) as core:
            found, _ = await core.events.page(0, EventFilter(types=("asset.retyped",)), limit=10)
        return [(event.subject_id, event.data) for event in found]

    assert anyio.run(history) == [
        (
            cr3,
            {
                "before": {"mime_type": "video/mp4", "kind": "video.original"},
                "after": {"mime_type": "image/x-canon-cr3", "kind": "image.raw"},
            },
        ),
        (
            raf["asset_id"],
            {
                "before": {"mime_type": "application/octet-stream", "kind": "shoot.raw"},
                "after": {"mime_type": "image/x-fujifilm-raf", "kind": "shoot.raw"},
            },
        ),
    ]
    again = run(home, "asset", "retype", cr3, "--json")
    assert again == {"total": 1, "changed": 0, "unchanged": 1, "failed": 0}
