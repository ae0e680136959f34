"""Backups into S3 end to end, with the real console script and two real weeds: a library whose files
are on the filesystem AND on S3 (the first weed) is backed up into a bucket of another weed (as into the
managed SeaweedFS of another home), verified, restored into a new home and compared record by record,
blob by blob; a backup killed with ``kill -9`` mid-upload is listed nowhere and the next run completes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from backup_support import blob_hashes, db_rows, one_chunk, populate
from test_cli import FACEFORGE, ff, ok_json

from faceforge_adapters.backup.s3targets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from faceforge_adapters.bootstrap import build_core
from faceforge_domain.services.assets import IngestOptions
from seaweed_fixtures import RunningSeaweed

BUCKET = "library-backups"
TARGET = f"s3://{BUCKET}/homes/ada"


def store_new_files_on(home: Path, seaweed: RunningSeaweed) -> None:
    """From now on the home stores new files on S3 (the files already stored stay on the filesystem)."""
    path = home / "config" / "core.json"
    raw = json.loads(path.read_text())
    s = seaweed.settings
    raw["storage"] = {
        "s3": {
            "enabled": True,
            "endpoint_url": s.endpoint_url,
            "access_key": s.access_key,
            "secret_key": s.secret_key,
            "bucket": s.bucket,
        },
        "routing": {"default_provider": "s3"},
    }
    path.write_text(json.dumps(raw))


async def add_files(home: Path, datas: list[bytes]) -> list[str]:
    """Store each as an asset (over one part each: multipart uploads), through Core in this process."""
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}
    async with build_core(home=home, env=env) as core:
        added = [await core.assets.ingest(one_chunk(d), IngestOptions(filename="big.bin")) for d in datas]
    assert {a.asset.storage.provider for a in added} == {"s3"}
    return [a.asset.asset_id for a in added]


def backup_env(other: RunningSeaweed) -> dict[str, str]:
    return {
        "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false",
        ACCESS_KEY_ENV: other.settings.access_key,
        SECRET_KEY_ENV: other.settings.secret_key,
        "FACEFORGE_BACKUP__S3__ENDPOINT_URL": other.settings.endpoint_url,
        "FACEFORGE_BACKUP__S3__PART_SIZE_BYTES": str(5 * 1024 * 1024),
    }


def rows_without_storage(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row (``db_rows``), the assets without where their bytes are (a restore moves them to ``fs``)."""
    rows = db_rows(db_file)
    with sqlite3.connect(db_file) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(assets)")]
    kept = [n for n, name in enumerate(columns) if not name.startswith("storage_")]
    rows["assets"] = sorted((tuple(row[n] for n in kept) for row in rows["assets"]), key=repr)
    return rows


def listed(other: RunningSeaweed, under: str) -> list[str]:
    pages = other.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=under)  # type: ignore[attr-defined]
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def unfinished_uploads(other: RunningSeaweed) -> list[str]:
    found = other.client.list_multipart_uploads(Bucket=BUCKET)  # type: ignore[attr-defined]
    return [u["Key"] for u in found.get("Uploads", [])]


@pytest.fixture
def other(seaweed_factory: Callable[[], RunningSeaweed]) -> RunningSeaweed:
    """Another home's weed, with the bucket backups go to."""
    running = seaweed_factory()
    running.client.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    return running


@pytest.mark.slow  # ten runs of the console script
def test_a_library_on_fs_and_s3_is_backed_up_into_another_weed_and_restored_whole(
    tmp_path: Path, seaweed: RunningSeaweed, other: RunningSeaweed
) -> None:
    home, restored = tmp_path / "home", tmp_path / "restored"
    on_fs = populate(home, files=4)
    store_new_files_on(home, seaweed)
    on_s3 = anyio.run(lambda: add_files(home, [os.urandom(6 * 1024 * 1024 + n) for n in range(3)]))
    env = backup_env(other)

    made = ok_json(home, "backup", "create", TARGET, "--json", extra_env=env)

    assert (made["files"], made["copied"], made["already_there"]) == (7, 7, 0)
    assert made["target"] == TARGET
    [manifest_key] = [k for k in listed(other, "homes/ada/snapshots/") if k.endswith("manifest.json")]
    manifest = json.loads(other.client.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())  # type: ignore[attr-defined]
    assert {b["sha256"]: b["provider"] for b in manifest["blobs"]} == {
        **dict.fromkeys(on_fs, "fs"),
        **dict.fromkeys(on_s3, "s3"),
    }
    for secret in (seaweed.settings.secret_key, other.settings.secret_key, other.settings.access_key):
        assert secret not in json.dumps(manifest)
    assert unfinished_uploads(other) == []
    [snapshot] = ok_json(home, "backup", "list", TARGET, "--json", extra_env=env)
    assert snapshot["snapshot_id"] == made["snapshot_id"]
    assert ok_json(home, "backup", "verify", TARGET, "--deep", "--json", extra_env=env)["ok"] is True
    again = ok_json(home, "backup", "create", TARGET, "--json", extra_env=env)
    assert (again["copied"], again["already_there"]) == (0, 7)  # incremental: nothing re-sent

    done = ff(home, "backup", "restore", TARGET, made["snapshot_id"], "--home", str(restored), extra_env=env)

    assert done.returncode == 0, done.stderr
    before = rows_without_storage(home / "db" / "core.sqlite3")
    after = rows_without_storage(restored / "db" / "core.sqlite3")
    for table in before:
        assert set(after[table]) ^ set(before[table]) == set(), table
    assert after == before
    assert blob_hashes(restored) == {a: a for a in on_fs + on_s3}

    into_s3 = tmp_path / "restored-into-s3"
    s = seaweed.settings
    new_home_s3 = {
        "FACEFORGE_STORAGE__S3__ENABLED": "true",
        "FACEFORGE_STORAGE__S3__ENDPOINT_URL": s.endpoint_url,
        "FACEFORGE_STORAGE__S3__ACCESS_KEY": s.access_key,
        "FACEFORGE_STORAGE__S3__SECRET_KEY": s.secret_key,
        "FACEFORGE_STORAGE__S3__BUCKET": "restored-library",
    }
    done = ff(
        home,
        "backup",
        "restore",
        TARGET,
        "--home",
        str(into_s3),
        "--storage",
        "s3",
        extra_env={**env, **new_home_s3},
    )
    assert done.returncode == 0, done.stderr
    assert rows_without_storage(into_s3 / "db" / "core.sqlite3") == before
    with sqlite3.connect(into_s3 / "db" / "core.sqlite3") as conn:
        where = dict(conn.execute("SELECT asset_id, storage_provider || ':' || storage_bucket FROM assets"))
    assert where == dict.fromkeys(on_fs + on_s3, "s3:restored-library")
    for asset_id in on_fs + on_s3:
        key = f"{asset_id[:2]}/{asset_id[2:4]}/{asset_id}"
        body = seaweed.client.get_object(Bucket="restored-library", Key=key)["Body"].read()  # type: ignore[attr-defined]
        assert hashlib.sha256(body).hexdigest() == asset_id
    assert blob_hashes(into_s3) == {}
    assert json.loads((into_s3 / "config" / "core.json").read_text())["storage"]["routing"] == {
        "default_provider": "s3"
    }


def test_a_corrupt_blob_in_the_bucket_is_found_by_deep_verify_by_asset(
    tmp_path: Path, other: RunningSeaweed
) -> None:
    home = tmp_path / "home"
    ids = populate(home, files=3)
    env = backup_env(other)
    ok_json(home, "backup", "create", TARGET, "--json", extra_env=env)
    key = f"homes/ada/blobs/{ids[1][:2]}/{ids[1][2:4]}/{ids[1]}"
    data = bytearray(other.client.get_object(Bucket=BUCKET, Key=key)["Body"].read())  # type: ignore[attr-defined]
    data[100] ^= 0xFF
    other.client.put_object(Bucket=BUCKET, Key=key, Body=bytes(data))  # type: ignore[attr-defined]

    assert ok_json(home, "backup", "verify", TARGET, "--json", extra_env=env)["ok"] is True  # sizes only
    deep = ff(home, "backup", "verify", TARGET, "--deep", "--json", extra_env=env)

    assert deep.returncode == 1
    problems = json.loads(deep.stdout)["problems"]
    assert [(p["asset_id"], p["problem"]) for p in problems] == [(ids[1], "corrupt")]
    assert len(problems[0]["entity_ids"]) == 1  # odd files are linked to Ada


@pytest.mark.parametrize(
    ("target", "extra", "says"),
    [
        ("s3://no-such-bucket/x", {}, "the bucket 'no-such-bucket' does not exist"),
        (TARGET, {SECRET_KEY_ENV: "wrong"}, "refused the credentials"),
        (TARGET, {"FACEFORGE_BACKUP__S3__ENDPOINT_URL": "http://127.0.0.1:9"}, "failed: Could not connect"),
    ],
    ids=["missing-bucket", "wrong-keys", "unreachable"],
)
def test_a_bad_s3_target_fails_the_backup_clearly_with_nothing_written(
    tmp_path: Path, other: RunningSeaweed, target: str, extra: dict[str, str], says: str
) -> None:
    home = tmp_path / "home"
    populate(home, files=1)

    done = ff(home, "backup", "create", target, extra_env={**backup_env(other), **extra})

    assert done.returncode == 1
    assert says in done.stderr
    assert other.settings.secret_key not in done.stderr + done.stdout
    assert listed(other, "") == []
    assert [b["Name"] for b in other.client.list_buckets()["Buckets"]] == [BUCKET]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_backup_killed_mid_upload_is_listed_nowhere_and_the_next_run_completes_it(
    tmp_path: Path, other: RunningSeaweed
) -> None:
    home = tmp_path / "home"
    ids = populate(home, files=24, size=6 * 1024 * 1024)  # every blob a multipart upload
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update({"FACEFORGE_HOME": str(home), **backup_env(other)})
    first = subprocess.Popen([str(FACEFORGE), "backup", "create", TARGET], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not listed(other, "homes/ada/blobs/"):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the backup never got going"
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    copied = listed(other, "homes/ada/blobs/")
    assert 0 < len(copied) < len(ids), "the kill must land mid-way"
    assert ok_json(home, "backup", "list", TARGET, "--json", extra_env=env) == []

    again = ok_json(home, "backup", "create", TARGET, "--json", extra_env=env)

    assert again["already_there"] == len(copied)
    assert again["copied"] == len(ids) - len(copied)
    assert unfinished_uploads(other) == []
    assert ok_json(home, "backup", "verify", TARGET, "--deep", "--json", extra_env=env)["ok"] is True
    assert len(ok_json(home, "backup", "list", TARGET, "--json", extra_env=env)) == 1
