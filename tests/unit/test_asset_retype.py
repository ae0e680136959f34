"""Correcting stored assets' types (``AssetRetyping`` and the ``core.assets.retype`` job) on the fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from jobs_support import TickingClock, make_service
from storage_support import one_chunk

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_domain.errors import Invalid, NotFound
from faceforge_domain.events import Event, EventFilter
from faceforge_domain.jobs.assets_retype import JOB_TYPE, register_assets_retype
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job
from faceforge_domain.models import Asset
from faceforge_domain.previews import PreviewRecord
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.retype import AssetRetyping

pytestmark = pytest.mark.anyio

HEIC = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heichevc" + b"\x00" * 64
CR3 = b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64
NOW = datetime(2026, 12, 6, tzinfo=UTC)
DOCX = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples" / "OOXML.docx"
).read_bytes()


class World:
    def __init__(self) -> None:
        self.service, self.units, _ = make_service()
        self.store = InMemoryBlobStore()
        clock = TickingClock()
        self.assets = AssetService(self.units, self.store, clock, None)
        self.retyping = AssetRetyping(self.units, self.store, clock)
        register_assets_retype(self.service.registry, self.retyping)

    async def stored_as(self, data: bytes, name: str, mime: str, kind: str) -> Asset:
        """An asset recorded as the rules before this change recorded it."""
        asset = (await self.assets.ingest(one_chunk(data), IngestOptions(filename=name))).asset
        async with self.units.write() as uow:
            asset.mime_type, asset.kind = mime, kind
            await uow.assets.update(asset)
            await uow.commit()
        return asset

    async def events(self) -> list[Event]:
        async with self.units.read() as uow:
            return [
                e for e in await uow.events.after(0, EventFilter(), limit=1000) if e.type == "asset.retyped"
            ]

    async def run(self, given: dict[str, object]) -> tuple[Job, list[tuple[str, dict[str, object] | None]]]:
        job = await self.service.create(JOB_TYPE, given)
        claimed = await self.service.claim_next()
        assert claimed is not None
        ended = await JobExecutor(self.service, 1).run_job(claimed)
        log = await self.service.log(job.job_id, limit=1000)
        return ended, [(e.level, e.data) for e in log.items if e.data and "asset_id" in e.data]


async def test_a_heic_stored_as_video_gets_its_type_and_kind_and_the_change_is_in_its_history() -> None:
    world = World()
    asset = await world.stored_as(HEIC, "IMG_1.HEIC", "video/mp4", "video.original")

    fixed = await world.retyping.correct_type(asset.asset_id)

    assert fixed is not None
    assert (fixed.mime_type, fixed.kind) == ("image/heic", "image.original")
    stored = await world.assets.get(asset.asset_id)
    assert (stored.mime_type, stored.kind) == ("image/heic", "image.original")
    assert stored.updated_at > asset.updated_at
    (event,) = await world.events()
    assert event.subject_id == asset.asset_id
    assert event.data == {
        "before": {"mime_type": "video/mp4", "kind": "video.original"},
        "after": {"mime_type": "image/heic", "kind": "image.original"},
    }
    assert await world.retyping.correct_type(asset.asset_id) is None
    assert len(await world.events()) == 1


async def test_a_kind_someone_chose_is_kept_and_only_the_type_corrected() -> None:
    world = World()
    asset = await world.stored_as(CR3, "shot.cr3", "video/mp4", "portrait.source")

    fixed = await world.retyping.correct_type(asset.asset_id)

    assert fixed is not None
    assert (fixed.mime_type, fixed.kind) == ("image/x-canon-cr3", "portrait.source")


async def test_the_broad_kind_core_gave_before_counts_as_inferred() -> None:
    world = World()
    asset = await world.stored_as(DOCX, "report.docx", "application/zip", "file")

    fixed = await world.retyping.correct_type(asset.asset_id)

    assert fixed is not None
    assert fixed.kind == "doc.document"


async def test_a_right_type_changes_nothing_and_an_unknown_id_is_not_found() -> None:
    world = World()
    asset = await world.stored_as(MP4, "clip.mp4", "video/mp4", "video.original")
    assert await world.retyping.correct_type(asset.asset_id) is None
    with pytest.raises(NotFound):
        await world.retyping.correct_type("a" * 64)
    assert await world.events() == []


async def test_a_soft_deleted_asset_is_corrected_too() -> None:
    world = World()
    asset = await world.stored_as(HEIC, "a.heic", "video/mp4", "video.original")
    await world.assets.delete(asset.asset_id)
    fixed = await world.retyping.correct_type(asset.asset_id)
    assert fixed is not None
    assert fixed.deleted_at is not None


async def test_the_job_corrects_every_asset_logs_each_change_and_finds_nothing_the_second_time() -> None:
    world = World()
    heic = await world.stored_as(HEIC, "a.heic", "video/mp4", "video.original")
    cr3 = await world.stored_as(CR3, "b.cr3", "video/mp4", "video.original")
    await world.stored_as(MP4, "c.mp4", "video/mp4", "video.original")

    job, log = await world.run({})

    assert job.status == "succeeded"
    assert job.result == {"total": 3, "changed": 2, "unchanged": 1, "failed": 0}
    assert (job.progress.current, job.progress.total) == (3, 3)
    assert [data["asset_id"] for _, data in log if data] == [heic.asset_id, cr3.asset_id]
    assert log[1] == (
        "info",
        {
            "asset_id": cr3.asset_id,
            "before": {"mime_type": "video/mp4", "kind": "video.original"},
            "after": {"mime_type": "image/x-canon-cr3", "kind": "image.raw"},
        },
    )
    again, _ = await world.run({})
    assert again.result == {"total": 3, "changed": 0, "unchanged": 3, "failed": 0}


async def test_the_job_takes_a_list_of_ids_and_reports_an_unknown_one_as_failed() -> None:
    world = World()
    heic = await world.stored_as(HEIC, "a.heic", "video/mp4", "video.original")
    other = await world.stored_as(CR3, "b.cr3", "video/mp4", "video.original")

    job, log = await world.run({"asset_ids": [heic.asset_id, "b" * 64, heic.asset_id]})

    assert job.result == {"total": 2, "changed": 1, "unchanged": 0, "failed": 1}
    assert [level for level, _ in log] == ["info", "error"]
    assert (await world.assets.get(other.asset_id)).mime_type == "video/mp4"


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


async def test_a_retyped_file_without_a_preview_is_tried_again_one_with_pictures_keeps_them() -> None:
    world = World()
    heic = await world.stored_as(HEIC, "IMG_2.HEIC", "video/mp4", "video.original")
    cr3 = await world.stored_as(CR3, "IMG_3.CR3", "video/mp4", "video.original")
    async with world.units.write() as uow:
        await uow.previews.put(
            PreviewRecord(asset_id=heic.asset_id, status="failed", reason="no video stream", updated_at=NOW)
        )
        made = PreviewRecord(
            asset_id=cr3.asset_id,
            status="done",
            small_asset_id="a" * 64,
            large_asset_id="b" * 64,
            updated_at=NOW,
        )
        await uow.previews.put(made)
        await uow.commit()

    await world.retyping.correct_type(heic.asset_id)
    await world.retyping.correct_type(cr3.asset_id)

    async with world.units.read() as uow:
        assert await uow.previews.get(heic.asset_id) is None
        assert await uow.previews.missing(None, 10) == [heic.asset_id]
        assert await uow.previews.get(cr3.asset_id) == made
