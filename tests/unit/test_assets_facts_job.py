"""Deriving stored assets' facts again (``AssetFactsBackfill``, the ``core.assets.facts`` job), on fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from jobs_support import TickingClock, make_service
from storage_support import one_chunk

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_domain.errors import Invalid
from faceforge_domain.facts import AssetFacts
from faceforge_domain.jobs.assets_facts import JOB_TYPE, register_assets_facts
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.service import JobService
from faceforge_domain.models import Asset
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.facts_backfill import AssetFactsBackfill

pytestmark = pytest.mark.anyio

CANON = {
    "IFD0:Make": "Canon",
    "IFD0:Model": "Canon EOS M50",
    "ExifIFD:DateTimeOriginal": "2018:02:21 12:08:56",
}


class CancellingBackfill(AssetFactsBackfill):
    """Asks for the job's cancel while its first batch is being written (once: a re-run goes through)."""

    service: JobService
    service_set = False
    job_id = ""

    async def refresh(self, asset_ids: Sequence[str]) -> list[str]:
        if self.job_id:
            await self.service.cancel(self.job_id)
            self.job_id = ""
        return await super().refresh(asset_ids)


class World:
    def __init__(self, backfill: type[AssetFactsBackfill] = AssetFactsBackfill, batch: int = 200) -> None:
        self.service, self.units, _ = make_service()
        self.assets = AssetService(self.units, InMemoryBlobStore(), TickingClock(), None)
        self.backfill = backfill(self.units)
        register_assets_facts(self.service.registry, self.backfill, batch)

    async def stored_with(self, name: str, data: dict[str, object] | None) -> Asset:
        """An asset whose metadata was recorded before facts were derived."""
        asset = (await self.assets.ingest(one_chunk(name.encode()), IngestOptions(filename=name))).asset
        if data is not None:
            async with self.units.write() as uow:
                asset.extracted_metadata = [{"Source": "ExifTool", "Type": "JsonMetadata", "Data": data}]
                await uow.assets.update(asset)
                await uow.commit()
        return asset

    async def run(self, given: dict[str, object]) -> Job:
        job = await self.service.create(JOB_TYPE, given)
        if isinstance(self.backfill, CancellingBackfill) and not self.backfill.service_set:
            self.backfill.service, self.backfill.job_id = self.service, job.job_id
            self.backfill.service_set = True
        claimed = await self.service.claim_next()
        assert claimed is not None
        return await JobExecutor(self.service, 1).run_job(claimed)


async def test_the_job_fills_facts_from_stored_metadata_and_finds_nothing_the_second_time() -> None:
    world = World()
    canon = await world.stored_with("a.jpg", CANON)
    await world.stored_with("b.txt", None)
    gone = await world.stored_with("c.jpg", {"IFD0:Make": "SONY"})
    await world.assets.delete(gone.asset_id)

    job = await world.run({})

    assert job.status == "succeeded"
    assert job.result == {"total": 3, "changed": 2, "unchanged": 1}
    assert (job.progress.current, job.progress.total) == (3, 3)
    stored = await world.assets.get(canon.asset_id)
    assert stored.facts.camera == "Canon EOS M50"
    assert stored.facts.taken_at == datetime(2018, 2, 21, 12, 8, 56, tzinfo=UTC)
    assert stored.updated_at == canon.updated_at  # derived facts are not a change to the record
    assert (await world.assets.get(gone.asset_id, include_deleted=True)).facts.camera_make == "SONY"
    again = await world.run({})
    assert again.result == {"total": 3, "changed": 0, "unchanged": 3}


async def test_facts_the_metadata_no_longer_supports_are_cleared() -> None:
    world = World()
    asset = await world.stored_with("a.jpg", {"IFD0:Make": ""})
    async with world.units.write() as uow:
        await uow.assets.record_facts({asset.asset_id: AssetFacts(camera_make="Stale")})
        await uow.commit()
    job = await world.run({"asset_ids": [asset.asset_id, "b" * 64]})
    assert job.result == {"total": 2, "changed": 1, "unchanged": 1}
    assert (await world.assets.get(asset.asset_id)).facts == AssetFacts()


async def test_cancel_stops_between_batches_with_each_batch_whole() -> None:
    world = World(CancellingBackfill, batch=2)
    ids = [(await world.stored_with(f"{n}.jpg", CANON)).asset_id for n in range(5)]

    job = await world.run({})

    assert job.status == "canceled"
    filled = [(await world.assets.get(i)).facts.camera_make for i in ids]
    assert filled == ["Canon", "Canon", None, None, None]
    resumed = await world.run({})
    assert resumed.result == {"total": 5, "changed": 3, "unchanged": 2}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"asset_ids": ["nope"]}, "input/asset_ids/0"),
        ({"asset_ids": "all"}, "input/asset_ids"),
        ({"everything": True}, "input/everything"),
    ],
)
async def test_bad_input_is_refused_and_no_job_is_left(given: dict[str, object], field: str) -> None:
    world = World()
    with pytest.raises(Invalid) as refused:
        await world.service.create(JOB_TYPE, given)
    assert refused.value.errors[0].field == field
    assert await world.service.claim_next() is None
