"""The integrity scan with a real SeaweedFS: on a Core that stores there, a deleted object and one
overwritten with other bytes of the same size are found by asset and repaired from a folder backup into
S3, and an object no record names is an orphan; on a Core that stores on the filesystem, damaged files
are repaired from a backup in an S3 bucket."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import anyio
import pytest
from test_seaweed_routing import fs_path, read, s3_overrides, upload

from faceforge_adapters.backup.s3targets import ACCESS_KEY_ENV, SECRET_KEY_ENV
from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.jobs.models import Job
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio


async def run_job(core: Core, job_type: str, given: dict[str, Any]) -> Job:
    job = await core.jobs.create(job_type, given, created_by="test")
    with anyio.fail_after(60):
        async for update in core.jobs.follow(job.job_id, poll_s=0.1):
            if update.job.finished:
                assert update.job.status == "succeeded", update.job.error
                return update.job
    raise AssertionError("the job never finished")


async def test_damaged_and_missing_s3_objects_are_found_and_restored_from_a_folder_backup(
    home: Path, seaweed: RunningSeaweed, new_bucket: str, tmp_path: Path
) -> None:
    bucket = new_bucket  # its own bucket: a scan lists all of it
    overrides = {**s3_overrides(seaweed, default_provider="s3"), "storage.s3.bucket": bucket}
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, overrides=overrides) as core:
        datas = [os.urandom(300_000), os.urandom(5000)]
        damaged, deleted = [await upload(core, data, f"{n}.bin") for n, data in enumerate(datas)]
        assert {damaged.storage.provider, deleted.storage.provider} == {"s3"}
        await run_job(core, "core.backups.create", {"target": str(tmp_path / "backup")})
        client: Any = seaweed.client  # plain boto3 (not the code under test)
        client.put_object(Bucket=bucket, Key=damaged.storage.key, Body=b"\0" * len(datas[0]))
        client.delete_object(Bucket=bucket, Key=deleted.storage.key)
        stray = os.urandom(100)
        sha = hashlib.sha256(stray).hexdigest()
        client.put_object(Bucket=bucket, Key=f"{sha[:2]}/{sha[2:4]}/{sha}", Body=stray)

        scan = await run_job(core, JOB_TYPE, {})

        assert scan.result is not None
        found = {(f["problem"], f["asset_id"], f["provider"]) for f in scan.result["findings"]}
        assert found == {
            ("corrupt", damaged.asset_id, "s3"),
            ("missing", deleted.asset_id, "s3"),
            ("orphan", sha, "s3"),
        }

        repair = await run_job(core, JOB_TYPE, {"repair": True, "from": [str(tmp_path / "backup")]})

        assert repair.result is not None
        assert repair.result["damaged"] == 0
        for asset, data in ((damaged, datas[0]), (deleted, datas[1])):
            record = await core.assets.get(asset.asset_id)
            assert record.storage == asset.storage
            assert await read(core, record) == data


async def test_damaged_and_missing_files_are_restored_from_a_backup_in_an_s3_bucket(
    home: Path, seaweed: RunningSeaweed, new_bucket: str
) -> None:
    s = seaweed.settings
    seaweed.client.create_bucket(Bucket=new_bucket)  # type: ignore[attr-defined]
    env = {"FACEFORGE_HOME": str(home), ACCESS_KEY_ENV: s.access_key, SECRET_KEY_ENV: s.secret_key}
    overrides = {"backup.s3.endpoint_url": s.endpoint_url, "tools.exiftool_enabled": False}
    backup = f"s3://{new_bucket}/library"
    async with bootstrap(home=home, env=env, overrides=overrides) as core:
        datas = [os.urandom(300_000), os.urandom(5000)]
        damaged, deleted = [await upload(core, data, f"{n}.bin") for n, data in enumerate(datas)]
        await run_job(core, "core.backups.create", {"target": backup})
        fs_path(core, damaged).write_bytes(b"\0" * len(datas[0]))
        fs_path(core, deleted).unlink()

        repair = await run_job(core, JOB_TYPE, {"repair": True, "from": [backup]})

        assert repair.result is not None
        assert repair.result["damaged"] == 0
        found = {
            (f["problem"], f["asset_id"], f["repaired"].split(",")[0]) for f in repair.result["findings"]
        }
        assert found == {
            ("corrupt", damaged.asset_id, f"restored from {backup}"),
            ("missing", deleted.asset_id, f"restored from {backup}"),
        }
        for asset, data in ((damaged, datas[0]), (deleted, datas[1])):
            assert await read(core, await core.assets.get(asset.asset_id)) == data
