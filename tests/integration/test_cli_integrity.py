"""``faceforge doctor --deep [--repair]`` with the real console script on a real home: a flipped byte
is found and repaired from a backup (SHA-256 checked), a deleted file is reported with its entity,
orphans are kept until the grace period has passed, leftovers are found and removed."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from backup_support import blob_hashes, populate
from test_cli import ff, ok_json

ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}


def doctor(home: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = ff(home, "doctor", "--deep", "--json", *args, extra_env=ENV)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)["integrity"]
    return done.returncode, report


def stored(home: Path, asset_id: str) -> Path:
    return home / "assets" / asset_id[:2] / asset_id[2:4] / asset_id


def ada(home: Path) -> str:
    with sqlite3.connect(home / "db" / "core.sqlite3") as conn:
        [(entity_id,)] = conn.execute("SELECT entity_id FROM entities WHERE display_name = 'Ada Lovelace'")
    return str(entity_id)


def plant_orphan(home: Path, data: bytes, age_days: float) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    path = stored(home, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    when = time.time() - age_days * 86400
    os.utime(path, (when, when))
    return path


def test_a_flipped_byte_is_found_and_repaired_from_a_backup_and_a_deleted_file_names_its_entity(
    tmp_path: Path,
) -> None:
    home, target = tmp_path / "home", tmp_path / "disk" / "backup"
    ids = populate(home, files=6)  # odd files are linked to Ada Lovelace
    ok_json(home, "backup", "create", str(target), "--json", extra_env=ENV)
    damaged, deleted = ids[1], ids[3]
    data = bytearray(stored(home, damaged).read_bytes())
    data[100] ^= 0x01
    stored(home, damaged).write_bytes(bytes(data))
    stored(home, deleted).unlink()
    orphan = plant_orphan(home, os.urandom(2000), age_days=1)

    code, report = doctor(home)

    assert code == 1
    found = {(f["problem"], f["asset_id"]): f for f in report["findings"]}
    assert set(found) == {("corrupt", damaged), ("missing", deleted), ("orphan", orphan.name)}
    assert found["missing", deleted]["entity_ids"] == [ada(home)]
    assert "linked to Ada Lovelace" in found["missing", deleted]["detail"]
    assert found["corrupt", damaged]["entity_ids"] == [ada(home)]
    assert report["files_checked"] == len(ids)

    code, repaired = doctor(home, "--repair", "--from", str(target))

    assert code == 0
    done = {(f["problem"], f["asset_id"]): f["repaired"] for f in repaired["findings"]}
    assert done["corrupt", damaged].startswith(f"restored from {target}, snapshot ")
    assert done["missing", deleted].startswith(f"restored from {target}, snapshot ")
    assert done["orphan", orphan.name] is None  # a day old: younger than the 7-day grace, kept
    assert orphan.is_file()
    hashes = blob_hashes(home)
    assert all(hashes[a] == a for a in ids)  # every stored file hashes to its id again
    assert not list((home / "tmp").rglob("repair-*"))

    code, again = doctor(home)
    assert code == 0
    assert [f["problem"] for f in again["findings"]] == ["orphan"]


def test_a_repair_removes_orphans_past_the_grace_and_leftovers_and_uses_backup_targets(
    tmp_path: Path,
) -> None:
    home, target = tmp_path / "home", tmp_path / "backup"
    ids = populate(home, files=2)
    ok_json(home, "backup", "create", str(target), "--json", extra_env=ENV)
    old = plant_orphan(home, os.urandom(1000), age_days=8)
    young = plant_orphan(home, os.urandom(1000), age_days=6)
    leftover = home / "tmp" / "upload-0123.part"  # what a version before owner folders left
    leftover.write_bytes(b"half an upload")
    stored(home, ids[0]).unlink()
    (home / "config" / "core.json").write_text(
        json.dumps(
            {**json.loads((home / "config" / "core.json").read_text()), "backup": {"targets": [str(target)]}}
        )
    )

    code, report = doctor(home, "--repair")

    assert code == 0
    done = {(f["problem"], f["asset_id"]): f for f in report["findings"]}
    assert done["orphan", old.name]["repaired"] == "removed"
    assert done["orphan", young.name]["repaired"] is None
    assert "kept: younger than the 7.0 days grace period" in done["orphan", young.name]["detail"]
    assert done["missing", ids[0]]["repaired"].startswith(f"restored from {target}")
    assert done["leftover", None]["detail"] == "stale tmp upload-0123.part (14 bytes)"
    assert (not old.exists(), young.exists(), leftover.exists()) == (True, True, False)
    assert report["counts"] == {"missing": 1, "corrupt": 0, "wrong_provider": 0, "orphan": 2, "leftover": 1}


def test_the_text_report_names_each_problem_and_repair_needs_deep(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ids = populate(home, files=2)
    stored(home, ids[1]).unlink()

    done = ff(home, "doctor", "--deep", extra_env=ENV)

    assert done.returncode == 1
    assert "integrity: checked 2 stored files" in done.stdout
    assert f"  missing: asset {ids[1]}: not on fs (linked to Ada Lovelace)" in done.stdout
    refused = ff(home, "doctor", "--repair", extra_env=ENV)
    assert refused.returncode == 2
    assert "--repair and --from need --deep" in refused.stderr
