"""``faceforge preview build`` on a real home with the real preview workers: it makes what is
missing, says why a file has none, and a second run has nothing left to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exiftool_support import EXIFTOOL_SAMPLES
from PIL import Image
from typer.testing import CliRunner

from faceforge_cli.main import app


def run(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


def test_build_makes_the_missing_previews_once_and_retries_failures_when_asked(
    home: Path, tmp_path: Path
) -> None:
    photo, cut = tmp_path / "photo.jpg", tmp_path / "cut-short.jpg"
    Image.effect_noise((800, 600), 60).convert("RGB").save(photo, quality=90)
    cut.write_bytes(photo.read_bytes()[:4000])
    files = [photo, EXIFTOOL_SAMPLES / "PDF.pdf", EXIFTOOL_SAMPLES / "Text1.txt", cut]
    ids = [run(home, "asset", "add", str(path), "--json")["asset_id"] for path in files]

    result = CliRunner().invoke(app, ["preview", "build", "--json"], env={"FACEFORGE_HOME": str(home)})

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"total": 4, "done": 2, "failed": 1, "none": 1}
    assert f"no preview for asset {ids[3]}" in result.stderr
    assert run(home, "preview", "build", "--json") == {"total": 0, "done": 0, "failed": 0, "none": 0}
    again = run(home, "preview", "build", "--retry-failed", "--json")
    assert again == {"total": 1, "done": 0, "failed": 1, "none": 0}
    one = run(home, "preview", "build", ids[0], "--json")  # named files are made again
    assert one == {"total": 1, "done": 1, "failed": 0, "none": 0}
    listed = run(home, "asset", "list", "--json")
    assert sorted(asset["asset_id"] for asset in listed["items"]) == sorted(ids)  # previews not listed
