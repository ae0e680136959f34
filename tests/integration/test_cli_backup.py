"""``faceforge backup create|list|verify|restore`` with the real console script: back up a home with
every kind of record, restore it into a new home, and compare every record and every blob."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import msgspec
import pytest
from backup_support import blob_hashes, db_rows, populate
from test_cli import FACEFORGE, ff, ok_json

from faceforge_adapters.backup.folder import BATCH_FILES
from faceforge_adapters.config import load_config

ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}


def backup(home: Path, target: Path, *args: str) -> dict[str, object]:
    return ok_json(home, "backup", "create", str(target), "--json", *args, extra_env=ENV)  # type: ignore[no-any-return]


def test_a_restored_home_has_every_record_and_every_blob_and_a_new_token(tmp_path: Path) -> None:
    home, target, restored = tmp_path / "home", tmp_path / "disk" / "backup", tmp_path / "restored"
    ids = populate(home)

    made = backup(home, target)

    assert (made["files"], made["copied"], made["already_there"]) == (len(ids), len(ids), 0)
    [listed] = ok_json(home, "backup", "list", str(target), "--json")
    assert listed["snapshot_id"] == made["snapshot_id"]
    assert ok_json(home, "backup", "verify", str(target), "--deep", "--json")["ok"] is True
    done = ff(home, "backup", "restore", str(target), "--home", str(restored), extra_env=ENV)
    assert done.returncode == 0, done.stderr
    assert f"restored snapshot {made['snapshot_id']}" in done.stdout

    before, after = db_rows(home / "db" / "core.sqlite3"), db_rows(restored / "db" / "core.sqlite3")
    for table in before:
        assert set(after[table]) ^ set(before[table]) == set(), table
    assert after == before
    assert blob_hashes(restored) == blob_hashes(home) == {a: a for a in ids}
    old, new = (load_config(h, env={}, create=False).config for h in (home, restored))
    assert new.auth.install_token
    assert new.auth.install_token != old.auth.install_token
    manifest = json.loads(next(target.glob("snapshots/*/manifest.json")).read_text())
    assert old.auth.install_token not in json.dumps(manifest)
    assert "install_token" not in manifest["config"].get("auth", {})


def test_a_second_backup_copies_only_the_new_files(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "backup"
    ids = populate(home, files=4)
    backup(home, target)
    more = tmp_path / "new.bin"
    more.write_bytes(os.urandom(5000))
    added = ok_json(home, "asset", "add", str(more), "--json", extra_env=ENV)

    again = backup(home, target, "--keep", "1")

    assert (again["files"], again["copied"], again["already_there"]) == (len(ids) + 1, 1, len(ids))
    assert len(again["pruned"]) == 1  # type: ignore[arg-type]
    assert len(ok_json(home, "backup", "list", str(target), "--json")) == 1
    assert added["asset_id"] in {p.name for p in (target / "blobs").rglob("*") if p.is_file()}


def test_verify_reports_a_missing_and_a_corrupt_blob_by_asset_and_entity_and_exits_1(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "backup"
    ids = populate(home, files=4)
    backup(home, target)
    linked = ids[1]  # odd files are linked to Ada
    blobs = {p.name: p for p in (target / "blobs").rglob("*") if p.is_file()}
    blobs[ids[0]].unlink()
    data = bytearray(blobs[linked].read_bytes())
    data[10] ^= 0xFF
    blobs[linked].write_bytes(bytes(data))

    shallow = ff(home, "backup", "verify", str(target), "--json")
    deep = ff(home, "backup", "verify", str(target), "--deep")

    assert shallow.returncode == 1
    assert [(p["asset_id"], p["problem"]) for p in json.loads(shallow.stdout)["problems"]] == [
        (ids[0], "missing")
    ]
    assert deep.returncode == 1
    assert f"missing: asset {ids[0]}" in deep.stderr
    assert f"corrupt: asset {linked}" in deep.stderr
    [problem] = [
        p
        for p in json.loads(ff(home, "backup", "verify", str(target), "--deep", "--json").stdout)["problems"]
        if p["asset_id"] == linked
    ]
    assert len(problem["entity_ids"]) == 1


def test_restore_refuses_a_non_empty_home_and_leaves_it_untouched(tmp_path: Path) -> None:
    home, target, occupied = tmp_path / "home", tmp_path / "backup", tmp_path / "occupied"
    populate(home, files=2)
    backup(home, target)
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")

    done = ff(home, "backup", "restore", str(target), "--home", str(occupied))

    assert done.returncode != 0
    assert "is not empty" in done.stderr
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    assert (occupied / "notes.txt").read_text() == "mine"


def test_restore_into_s3_without_the_new_homes_s3_storage_is_refused_with_nothing_written(
    tmp_path: Path,
) -> None:
    home, fresh = tmp_path / "home", tmp_path / "fresh"

    done = ff(home, "backup", "restore", str(tmp_path / "backup"), "--home", str(fresh), "--storage", "s3")

    assert done.returncode == 1
    assert "restoring into S3 needs the new home's S3 storage" in done.stderr
    assert not fresh.exists()


def test_restore_refuses_a_snapshot_of_a_newer_schema_and_writes_nothing(tmp_path: Path) -> None:
    home, target, fresh = tmp_path / "home", tmp_path / "backup", tmp_path / "fresh"
    populate(home, files=2)
    backup(home, target)
    path = next(target.glob("snapshots/*/manifest.json"))
    manifest = json.loads(path.read_text())
    manifest["schema_version"] = 9999
    path.write_text(json.dumps(manifest))

    done = ff(home, "backup", "restore", str(target), "--home", str(fresh))

    assert done.returncode != 0
    assert "schema 9999, newer than this FaceForge" in done.stderr
    assert not fresh.exists()


def test_restore_of_a_damaged_database_copy_fails_and_leaves_no_home(tmp_path: Path) -> None:
    home, target, fresh = tmp_path / "home", tmp_path / "backup", tmp_path / "fresh"
    populate(home, files=2)
    backup(home, target)
    db = next(target.glob("snapshots/*/core.sqlite3"))
    db.write_bytes(db.read_bytes()[:-1] + b"\x01")

    done = ff(home, "backup", "restore", str(target), "--home", str(fresh))

    assert done.returncode != 0
    assert "is damaged" in done.stderr
    assert not fresh.exists()


@pytest.mark.slow
def test_a_backup_killed_mid_way_leaves_nothing_listed_and_a_rerun_resumes_and_completes(
    tmp_path: Path,
) -> None:
    home, target = tmp_path / "home", tmp_path / "backup"
    # the kill lands once the first batch is named, with two more batches to go (a stored file is
    # copied in one worker-thread trip: 600 more files could be done before the kill)
    ids = populate(home, files=3 * BATCH_FILES + 600, size=32 * 1024)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update({"FACEFORGE_HOME": str(home), **ENV})
    first = subprocess.Popen(
        [str(FACEFORGE), "backup", "create", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(list((target / "blobs").rglob("*/*/*"))) < BATCH_FILES:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the backup never got going"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    copied = {p.name for p in (target / "blobs").rglob("*/*/*")}
    assert 0 < len(copied) < len(ids), "the kill must land mid-way"
    assert ok_json(home, "backup", "list", str(target), "--json") == []

    again = backup(home, target)

    assert again["already_there"] == len(copied)
    assert again["copied"] == len(ids) - len(copied)
    assert ok_json(home, "backup", "verify", str(target), "--deep", "--json")["ok"] is True
    assert list((target / "tmp").iterdir()) == []
    assert len(list((target / "snapshots").iterdir())) == 1
    jobs = {j["status"] for j in ok_json(home, "job", "list", "--type", "core.backups.create", "--json")}
    assert jobs == {"failed", "succeeded"}  # the killed run is settled, not re-run beside the new one


def test_a_target_that_holds_something_else_is_refused(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "documents"
    populate(home, files=1)
    elsewhere.mkdir()
    (elsewhere / "letter.txt").write_text("dear")

    done = ff(home, "backup", "create", str(elsewhere), extra_env=ENV)

    assert done.returncode == 2
    assert "holds no FaceForge backup" in done.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["letter.txt"]


def test_the_manifest_names_every_blob_with_hash_size_and_provider(tmp_path: Path) -> None:
    home, target = tmp_path / "home", tmp_path / "backup"
    ids = populate(home, files=3)
    made = backup(home, target)
    manifest = msgspec.json.decode(
        (target / "snapshots" / str(made["snapshot_id"]) / "manifest.json").read_bytes()
    )
    assert sorted(b["sha256"] for b in manifest["blobs"]) == sorted(ids)
    assert {b["provider"] for b in manifest["blobs"]} == {"fs"}
    assert all(b["size_bytes"] == 3004 for b in manifest["blobs"])
    assert manifest["format_version"] == 1
    assert manifest["schema_version"] >= 10
