"""The ``core.storage.migrate`` job on a real SeaweedFS: started through JobService, bytes really move."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest
from test_seaweed_routing import fs_path, read, s3_overrides, upload

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.storage_migrate import JOB_TYPE
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio


async def run_migration(core: Core, to: str) -> Job:
    job = await core.jobs.create(JOB_TYPE, {"to": to}, created_by="test")
    with anyio.fail_after(60):
        async for update in core.jobs.follow(job.job_id, poll_s=0.1):
            if update.job.finished:
                return update.job
    raise AssertionError("the job never finished")


async def test_the_job_moves_assets_to_s3_and_back_and_downloads_still_match(
    home: Path, seaweed: RunningSeaweed
) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env, overrides=s3_overrides(seaweed, default_provider="fs")) as core:
        datas = [os.urandom(6 * 1024 * 1024), os.urandom(200_000), b"small note" * 10]
        assets = [await upload(core, data, f"{i}.bin") for i, data in enumerate(datas)]
        assert {a.storage.provider for a in assets} == {"fs"}

        there = await run_migration(core, "s3")

        assert there.status == "succeeded"
        assert there.result is not None
        assert (there.result["moved"], there.result["failed"]) == (3, 0)
        assert there.result["bytes_moved"] == sum(map(len, datas))
        assert (there.progress.current, there.progress.total) == (3, 3)
        logged = (await core.jobs.log(there.job_id)).items
        assert sorted(e.data["asset_id"] for e in logged if e.data and e.level == "info") == sorted(
            a.asset_id for a in assets
        )
        for asset, data in zip(assets, datas, strict=True):
            moved = await core.assets.get(asset.asset_id)
            assert moved.storage.provider == "s3"
            assert moved.storage.key in seaweed.objects()
            assert not fs_path(core, asset).exists()
            assert await read(core, moved) == data
            assert await read(core, moved, 100, 199) == data[100:200]

        back = await run_migration(core, "fs")  # leaves the shared bucket as it was

        assert back.result is not None
        assert (back.result["moved"], back.result["failed"]) == (3, 0)
        for asset, data in zip(assets, datas, strict=True):
            home_again = await core.assets.get(asset.asset_id)
            assert home_again.storage.provider == "fs"
            assert home_again.storage.key not in seaweed.objects()
            assert fs_path(core, home_again).read_bytes() == data
