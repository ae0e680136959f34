"""``faceforge asset add|list|show|entities|purge`` against a real home, no server."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from faceforge_adapters.bootstrap import bootstrap
from faceforge_cli.main import app

# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
SAMPLE_JPEG = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples" / "Apple.jpg"


def run(home: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args or args[:2] == ("asset", "show") else result.output


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_add_extracts_metadata_before_returning(home: Path) -> None:
    added = run(home, "asset", "add", str(SAMPLE_JPEG), "--json")
    assert added["asset_id"] == hashlib.sha256(SAMPLE_JPEG.read_bytes()).hexdigest()
    assert added["metadata_status"] == "done"
    assert added["extracted_metadata"][0]["Data"]["File:FileType"] == "JPEG"


def test_list_show_and_purge(home: Path, tmp_path: Path) -> None:
    keep, drop = tmp_path / "keep.safetensors", tmp_path / "drop.bin"
    keep.write_bytes(b"weights")
    drop.write_bytes(b"dropped")
    kept = run(home, "asset", "add", str(keep), "--json")["asset_id"]
    dropped = run(home, "asset", "add", str(drop), "--json")["asset_id"]

    listed = run(home, "asset", "list", "--kind", "model.lora", "--json")
    assert [a["asset_id"] for a in listed["items"]] == [kept]
    assert "2 of 2" in run(home, "asset", "list")
    assert run(home, "asset", "show", kept)["filename"] == "keep.safetensors"

    async def soft_delete() -> None:
        async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
            await core.assets.delete(dropped)

    anyio.run(soft_delete)
    report = run(home, "asset", "purge", "--json")
    assert report == {"asset_ids": [dropped], "bytes_freed": len(b"dropped")}
    blobs = sorted(p.name for p in (home / "assets").rglob("*") if p.is_file())
    assert blobs == [kept]
    assert "purged 0 asset(s)" in run(home, "asset", "purge")


def test_entities_lists_what_an_asset_is_linked_to(home: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.bin"
    photo.write_bytes(b"a photo")
    asset_id = run(home, "asset", "add", str(photo), "--json")["asset_id"]
    assert run(home, "asset", "entities", asset_id).strip() == "0 of 0"
    ada = run(home, "entity", "create", "Ada Lovelace", "--json")["entity_id"]
    run(home, "asset", "add", str(photo), "--entity", ada)
    assert run(home, "asset", "entities", asset_id).splitlines() == [
        f"{ada}  -                Ada Lovelace",
        "1 of 1",
    ]
    listed = run(home, "asset", "entities", asset_id, "--json")
    assert [e["entity"]["display_name"] for e in listed["items"]] == ["Ada Lovelace"]
    unknown = CliRunner().invoke(app, ["asset", "entities", "0" * 64], env={"FACEFORGE_HOME": str(home)})
    assert (unknown.exit_code, "was not found" in unknown.output) == (1, True)


def test_show_of_an_unknown_asset_fails_clearly(home: Path) -> None:
    result = CliRunner().invoke(app, ["asset", "show", "0" * 64], env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 1
    assert "was not found" in result.output


def test_purge_of_one_asset_in_the_trash_unlinks_it_and_refuses_a_live_one(
    home: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "linked.bin"
    linked.write_bytes(b"linked bytes")
    asset_id = run(home, "asset", "add", str(linked), "--json")["asset_id"]

    async def link_then_delete(delete: bool) -> None:
        async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
            if delete:
                await core.assets.delete(asset_id)
            else:
                entity = await core.entities.create("Ada")
                await core.assets.link(entity.entity_id, asset_id)

    anyio.run(link_then_delete, False)
    refused = CliRunner().invoke(app, ["asset", "purge", asset_id], env={"FACEFORGE_HOME": str(home)})
    assert refused.exit_code == 1
    assert "not in the trash" in refused.output
    anyio.run(link_then_delete, True)
    assert [a["asset_id"] for a in run(home, "asset", "list", "--in-trash", "--json")["items"]] == [asset_id]
    assert run(home, "asset", "purge", "--json") == {"asset_ids": [], "bytes_freed": 0}  # still linked
    report = run(home, "asset", "purge", asset_id, "--json")
    assert report == {"asset_ids": [asset_id], "bytes_freed": len(b"linked bytes")}
    assert not [p for p in (home / "assets").rglob("*") if p.is_file()]
