"""Previews against the in-memory fakes and a real SQLite file: made once, kept as derived assets, recorded.

The renderer is the fake (real decoding is tested in tests/integration/); what is checked here is the
pipeline's rules: what gets a record, what is stored, what lists show, what a purge removes, and that
nothing is made twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from units_support import BACKENDS, units_for

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.memory.renderer import InMemoryPreviewRenderer
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import NotFound, Unavailable
from faceforge_domain.models import Asset
from faceforge_domain.paging import PageRequest
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.previews import (
    PREVIEW_KIND,
    PREVIEW_MIME,
    PreviewFailed,
    PreviewQueue,
    RenderedPreview,
)
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.previews import PreviewRunner, PreviewService

pytestmark = pytest.mark.anyio


class World:
    def __init__(self, units: UnitOfWorkFactory, clock: FixedClock) -> None:
        self.units = units
        self.store = InMemoryBlobStore()
        self.queue = PreviewQueue()
        self.assets = AssetService(units, self.store, clock, None, None, self.queue)
        self.renderer = InMemoryPreviewRenderer()
        self.previews = PreviewService(units, self.assets, self.renderer, clock)

    async def add(self, data: bytes, name: str) -> Asset:
        async def chunks() -> AsyncIterator[bytes]:
            yield data

        return (await self.assets.ingest(chunks(), IngestOptions(filename=name))).asset

    async def listed(self, **filters: object) -> list[str]:
        found = await self.assets.find(AssetQuery.build(**filters), PageRequest(limit=200))  # type: ignore[arg-type]
        return [asset.asset_id for asset in found.items]


@pytest.fixture(params=BACKENDS)
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    clock = FixedClock()
    async with units_for(request.param, tmp_path, clock) as units:
        yield World(units, clock)


PNG = b"\x89PNG\r\n\x1a\n" + b"picture"


async def test_a_built_preview_is_two_derived_assets_hidden_from_lists(world: World) -> None:
    photo = await world.add(PNG, "IMG_0001.png")
    (record,) = await world.previews.build([photo.asset_id])
    assert record.status == "done"
    assert (record.width, record.height) == (640, 480)
    small = await world.previews.picture(photo.asset_id, "small")
    large = await world.previews.picture(photo.asset_id, "large")
    for picture, size in ((small, "small"), (large, "large")):
        assert picture.kind == PREVIEW_KIND
        assert picture.mime_type == PREVIEW_MIME
        assert picture.derived_from_asset_id == photo.asset_id
        assert picture.filename == f"IMG_0001.{size}.webp"
    assert await world.listed() == [photo.asset_id]
    assert set(await world.listed(include_previews=True)) == {photo.asset_id, small.asset_id, large.asset_id}
    assert set(await world.listed(kind=PREVIEW_KIND)) == {small.asset_id, large.asset_id}
    assert await world.previews.missing(None, 10) == []


async def test_a_preview_is_never_made_twice(world: World) -> None:
    photo = await world.add(PNG, "a.png")
    await world.previews.build([photo.asset_id])
    assert await world.previews.build([photo.asset_id]) == []
    assert world.renderer.rendered == [photo.asset_id]


async def test_a_failure_is_recorded_with_its_reason_and_not_retried_unless_forced(world: World) -> None:
    photo = await world.add(PNG, "broken.png")
    world.renderer.failing[photo.asset_id] = "the file is truncated"
    (record,) = await world.previews.build([photo.asset_id])
    assert (record.status, record.reason) == ("failed", "the file is truncated")
    assert await world.previews.build([photo.asset_id]) == []
    assert await world.previews.failed(None, 10) == [photo.asset_id]
    assert await world.previews.count_failed() == 1
    with pytest.raises(NotFound):
        await world.previews.picture(photo.asset_id, "small")
    del world.renderer.failing[photo.asset_id]
    (again,) = await world.previews.build([photo.asset_id], force=True)
    assert again.status == "done"
    assert await world.previews.failed(None, 10) == []


async def test_a_file_without_a_picture_is_recorded_as_none(world: World) -> None:
    model = await world.add(b"\x00" * 64, "weights.safetensors")
    (record,) = await world.previews.build([model.asset_id])
    assert record.status == "none"
    assert "no preview for this type of file" in (record.reason or "")
    assert world.renderer.rendered == []
    assert await world.previews.missing(None, 10) == []


async def test_missing_walks_live_originals_by_id_and_skips_previews_and_deleted(world: World) -> None:
    added = [await world.add(PNG + bytes([n]), f"{n}.png") for n in range(5)]
    await world.assets.delete(added[0].asset_id)
    live = sorted(asset.asset_id for asset in added[1:])
    assert await world.previews.count_missing() == 4
    first = await world.previews.missing(None, 2)
    rest = await world.previews.missing(first[-1], 10)
    assert first + rest == live
    await world.previews.build(live[:2])
    assert await world.previews.missing(None, 10) == live[2:]


async def test_unknown_original_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.previews.picture("0" * 64, "small")
    with pytest.raises(NotFound):
        await world.previews.record("0" * 64)
    assert await world.previews.build(["0" * 64]) == []


async def test_a_batch_stores_each_original_its_own_pictures_and_none_for_one_purged_meanwhile(
    world: World,
) -> None:
    photos = [await world.add(PNG + b"%d" % n, f"IMG_{n}.png") for n in range(4)]
    gone = photos[2]
    rendering = world.renderer.render_many

    async def render_while_one_is_purged(assets: list[Asset]) -> list[RenderedPreview | PreviewFailed]:
        await world.assets.delete(gone.asset_id)
        await world.assets.purge()
        return await rendering(assets)

    world.renderer.render_many = render_while_one_is_purged  # type: ignore[method-assign]
    records = await world.previews.build([photo.asset_id for photo in photos])
    assert [record.asset_id for record in records] == [photos[n].asset_id for n in (0, 1, 3)]
    for n in (0, 1, 3):
        for size in ("small", "large"):
            picture = await world.previews.picture(photos[n].asset_id, size)  # type: ignore[arg-type]
            assert (picture.derived_from_asset_id, picture.filename) == (
                photos[n].asset_id,
                f"IMG_{n}.{size}.webp",
            )
    everything = await world.listed(include_previews=True, include_deleted=True)
    assert len(everything) == 3 * 3  # three originals and their pictures: nothing of the purged one
    assert len(world.store.blobs) == 3 * 3


async def test_a_purge_removes_the_original_with_its_previews(world: World) -> None:
    photo = await world.add(PNG, "gone.png")
    await world.previews.build([photo.asset_id])
    small = await world.previews.picture(photo.asset_id, "small")
    large = await world.previews.picture(photo.asset_id, "large")
    await world.assets.delete(photo.asset_id)
    report = await world.assets.purge()
    assert set(report.asset_ids) == {photo.asset_id, small.asset_id, large.asset_id}
    assert world.store.blobs == {}
    assert await world.listed(include_previews=True, include_deleted=True) == []


async def test_a_restored_original_keeps_its_previews(world: World) -> None:
    photo = await world.add(PNG, "back.png")
    await world.previews.build([photo.asset_id])
    await world.assets.delete(photo.asset_id)
    await world.assets.restore(photo.asset_id)
    assert (await world.previews.picture(photo.asset_id, "large")).derived_from_asset_id == photo.asset_id
    assert world.renderer.rendered == [photo.asset_id]


async def test_the_runner_previews_new_files_and_what_was_left_without(world: World) -> None:
    left = await world.add(PNG + b"old", "old.png")
    world.queue.take(10)  # as after a restart: the queue is empty, the record is missing
    async with anyio.create_task_group() as group:
        await group.start(PreviewRunner(world.previews, world.queue).run)
        new = await world.add(PNG + b"new", "new.png")
        with anyio.fail_after(5):
            while await world.previews.missing(None, 10):  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert sorted(world.renderer.rendered) == sorted([left.asset_id, new.asset_id])
    assert len(world.renderer.rendered) == 2  # previews are never queued themselves


async def test_files_whose_storage_was_down_get_their_previews_on_a_later_try(world: World) -> None:
    async with anyio.create_task_group() as group:
        await group.start(PreviewRunner(world.previews, world.queue, retry_after_s=0.01).run)
        world.renderer.unavailable.append(S3Down("the S3 endpoint went away"))
        photo = await world.add(PNG + b"on s3", "on-s3.png")
        with anyio.fail_after(5):
            while await world.previews.missing(None, 10):  # noqa: ASYNC110
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    assert world.renderer.unavailable == []  # the outage was met once
    async with world.units.read() as uow:
        record = (await uow.previews.get_many([photo.asset_id]))[photo.asset_id]
    assert record.status == "done"  # not recorded as failed for an outage


class S3Down(Unavailable):
    """Storage that cannot be reached: no file's fault."""


async def hash_of(world: World, asset_id: str) -> int | None:
    async with world.units.read() as uow:
        return await uow.lookalikes.get(asset_id)


async def test_a_rendered_picture_keeps_its_perceptual_hash_for_look_alike_search(world: World) -> None:
    photo = await world.add(PNG, "hashed.png")
    broken = await world.add(PNG + b"broken", "broken.png")
    world.renderer.failing[broken.asset_id] = "the file is truncated"
    await world.previews.build([photo.asset_id, broken.asset_id])
    expected = int.from_bytes(hashlib.sha256(photo.asset_id.encode()).digest()[:8], "big")
    assert await hash_of(world, photo.asset_id) == expected
    assert await hash_of(world, broken.asset_id) is None
    world.renderer.failing[photo.asset_id] = "the decoder crashed"
    await world.previews.build([photo.asset_id], force=True)
    assert await hash_of(world, photo.asset_id) is None  # a hash is never older than the record


async def test_the_queue_resumes_when_the_last_pause_ends_even_one_ended_by_an_error() -> None:
    queue = PreviewQueue()
    with anyio.fail_after(1):
        await queue.until_resumed()  # nothing paused: at once
    with queue.paused():
        with pytest.raises(RuntimeError), queue.paused():
            raise RuntimeError("the import failed")
        with anyio.move_on_after(0.05) as waited:
            await queue.until_resumed()
        assert waited.cancelled_caught  # the outer pause still holds
    with anyio.fail_after(1):
        await queue.until_resumed()
