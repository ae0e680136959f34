"""The ``core.storage.migrate`` job against the fakes: progress, per-asset log, result, cancel, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable

import pytest
from jobs_support import TickingClock, make_service
from storage_support import CorruptingStore, one_chunk

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_domain.errors import Invalid
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.storage_migrate import JOB_TYPE, register_storage_migrate
from faceforge_domain.models import Asset, StoredBlob
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.storage_migration import StorageMigration

pytestmark = pytest.mark.anyio


class HookedStore(InMemoryBlobStore):
    """An in-memory store that calls ``on_put`` once a copy is stored (to cancel mid-move)."""

    on_put: Callable[[], Awaitable[object]] | None = None

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        stored = await super().put(chunks, kind=kind, size_hint=size_hint, expected_sha256=expected_sha256)
        if self.on_put is not None:
            await self.on_put()
        return stored


class World:
    def __init__(self, s3: InMemoryBlobStore | None = None) -> None:
        self.service, self.units, _ = make_service()
        self.fs = InMemoryBlobStore()
        self.fs.name = "fs"
        self.s3 = s3 or HookedStore()
        self.s3.name = "s3"
        stores = {"fs": self.fs, "s3": self.s3}
        self.assets = AssetService(self.units, self.fs, TickingClock(), None)
        register_storage_migrate(self.service.registry, StorageMigration(self.units, stores), stores)

    async def add(self, data: bytes, name: str) -> Asset:
        return (await self.assets.ingest(one_chunk(data), IngestOptions(filename=name))).asset

    async def run(self, **given: object) -> tuple[Job, list[tuple[str, str, dict[str, object] | None]]]:
        job = await self.service.create(JOB_TYPE, {"to": "s3", **given})
        claimed = await self.service.claim_next()
        assert claimed is not None
        ended = await JobExecutor(self.service, 1).run_job(claimed)
        log = await self.service.log(job.job_id, limit=1000)
        return ended, [(e.level, e.message, e.data) for e in log.items]

    async def provider(self, asset: Asset) -> str:
        return (await self.assets.get(asset.asset_id, include_deleted=True)).storage.provider


DATAS = [b"alpha" * 100, b"beta" * 300, b"gamma" * 50]


async def test_the_job_moves_every_asset_reports_progress_and_logs_each_one() -> None:
    world = World()
    assets = [await world.add(d, f"{i}.bin") for i, d in enumerate(DATAS)]

    job, log = await world.run()

    assert job.status == "succeeded"
    total = sum(map(len, DATAS))
    assert job.result == {
        "to": "s3",
        "total": 3,
        "moved": 3,
        "skipped": 0,
        "failed": 0,
        "bytes_moved": total,
    }
    p = job.progress
    assert (p.current, p.total, p.bytes_current, p.bytes_total, p.percent) == (3, 3, total, total, 100.0)
    moved = [data for level, _, data in log if level == "info" and data and "asset_id" in data]
    assert sorted(d["asset_id"] for d in moved) == sorted(a.asset_id for a in assets)  # type: ignore[type-var]
    assert all(d["from"] == "fs" and d["to"] == "s3" for d in moved)
    assert world.fs.blobs == {}
    for asset, data in zip(assets, DATAS, strict=True):
        assert await world.provider(asset) == "s3"
        assert world.s3.blobs[asset.asset_id] == data

    again, _ = await world.run()
    assert again.result is not None
    assert (again.result["total"], again.result["moved"]) == (0, 0)


async def test_a_copy_that_fails_verification_is_logged_counted_and_the_original_kept() -> None:
    world = World(CorruptingStore())
    asset = await world.add(DATAS[0], "a.bin")

    job, log = await world.run()

    assert job.status == "succeeded"
    assert job.result is not None
    assert (job.result["moved"], job.result["failed"], job.result["bytes_moved"]) == (0, 1, 0)
    errors = [data for level, _, data in log if level == "error"]
    assert len(errors) == 1
    assert errors[0] is not None
    assert errors[0]["asset_id"] == asset.asset_id
    assert "does not match" in str(errors[0]["error"])
    assert await world.provider(asset) == "fs"
    assert world.fs.blobs[asset.asset_id] == DATAS[0]
    assert world.s3.blobs == {}


async def test_without_verify_the_job_still_moves_and_records_the_choice() -> None:
    world = World()
    asset = await world.add(DATAS[1], "b.bin")

    job, _ = await world.run(verify=False)

    assert job.input == {"to": "s3", "verify": False}
    assert job.result is not None
    assert job.result["moved"] == 1
    assert await world.provider(asset) == "s3"


async def test_cancel_stops_at_the_next_asset_with_nothing_half_moved() -> None:
    world = World()
    assets = [await world.add(d, f"{i}.bin") for i, d in enumerate(DATAS)]
    job = await world.service.create(JOB_TYPE, {"to": "s3"})
    assert isinstance(world.s3, HookedStore)
    world.s3.on_put = lambda: world.service.cancel(job.job_id)  # asked while the first copy is written
    claimed = await world.service.claim_next()
    assert claimed is not None

    ended = await JobExecutor(world.service, 1).run_job(claimed)

    assert ended.status == "canceled"
    providers = [await world.provider(a) for a in assets]
    assert sorted(providers) == ["fs", "fs", "s3"]  # the asset under way finished its move, no more
    for asset, data, provider in zip(assets, DATAS, providers, strict=True):
        here, other = (world.s3, world.fs) if provider == "s3" else (world.fs, world.s3)
        assert here.blobs[asset.asset_id] == data
        assert asset.asset_id not in other.blobs
    assert ended.progress.current == 1


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "input/to"),
        ({"to": "ftp"}, "input/to"),
        ({"to": "s3", "verify": "yes"}, "input/verify"),
        ({"to": "s3", "surprise": 1}, "input/surprise"),
        ({"to": "s3", "from": "elsewhere"}, "input/from"),
        ({"to": "s3", "from": "managed_weed"}, "input/from"),  # no managed weed beside another S3 here
        ({"to": "fs", "from": "managed_weed"}, "input/to"),
    ],
)
async def test_bad_input_is_refused_before_any_job(given: dict[str, object], field: str) -> None:
    world = World()
    asset = await world.add(DATAS[0], "a.bin")
    with pytest.raises(Invalid) as refused:
        await world.service.create(JOB_TYPE, given)
    assert refused.value.errors[0].field == field
    assert world.units.state.jobs == {}
    assert await world.provider(asset) == "fs"


async def test_a_provider_this_core_does_not_have_is_refused() -> None:
    service, units, _ = make_service()
    fs = InMemoryBlobStore()
    fs.name = "fs"
    stores = {"fs": fs}
    register_storage_migrate(service.registry, StorageMigration(units, stores), stores)
    with pytest.raises(Invalid) as refused:
        await service.create(JOB_TYPE, {"to": "s3"})
    assert refused.value.errors[0].field == "input/to"
    assert "not available" in refused.value.errors[0].message
    assert units.state.jobs == {}


async def test_from_the_managed_weed_copies_its_s3_assets_to_the_new_endpoint() -> None:
    """The managed weed to a cluster: both are ``s3``; records stay ``s3``, the weed keeps its copies."""
    service, units, _ = make_service()
    weed, cluster = InMemoryBlobStore(), InMemoryBlobStore()
    weed.name = cluster.name = "s3"
    stores = {"s3": cluster}
    register_storage_migrate(service.registry, StorageMigration(units, stores), stores, weed)
    assets = AssetService(units, weed, TickingClock(), None)
    stored = [(await assets.ingest(one_chunk(d), IngestOptions(filename="f"))).asset for d in DATAS]

    job = await service.create(JOB_TYPE, {"to": "s3", "from": "managed_weed"})
    assert job.input == {"to": "s3", "verify": True, "from": "managed_weed"}
    claimed = await service.claim_next()
    assert claimed is not None
    ended = await JobExecutor(service, 1).run_job(claimed)

    assert ended.result is not None
    assert (ended.result["total"], ended.result["moved"], ended.result["failed"]) == (3, 3, 0)
    for asset, data in zip(stored, DATAS, strict=True):
        now = await assets.get(asset.asset_id, include_deleted=True)
        assert now.storage.provider == "s3"
        assert cluster.blobs[now.storage.key] == data
        assert weed.blobs[asset.storage.key] == data
