"""StorageMigration against the in-memory fakes: move, verify, flip, delete; failures keep the original."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from storage_support import CorruptingStore, one_chunk

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Invalid
from faceforge_domain.models import Asset
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.storage_migration import MigrationFailed, MigrationProgress, StorageMigration

pytestmark = pytest.mark.anyio


def named_store(name: str) -> InMemoryBlobStore:
    store = InMemoryBlobStore()
    store.name = name
    return store


class World:
    def __init__(self, target: InMemoryBlobStore | None = None) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.fs = named_store("fs")
        self.s3 = target or named_store("s3")
        self.s3.name = "s3"
        self.assets = AssetService(self.uow, self.fs, FixedClock(), None)
        self.migration = StorageMigration(self.uow, {"fs": self.fs, "s3": self.s3})

    async def add(self, data: bytes, name: str = "f.bin") -> Asset:
        return (await self.assets.ingest(one_chunk(data), IngestOptions(filename=name))).asset

    async def get(self, asset_id: str) -> Asset:
        return await self.assets.get(asset_id, include_deleted=True)


async def test_migrate_moves_every_asset_flips_records_and_deletes_old_copies() -> None:
    world = World()
    datas = [b"alpha" * 100, b"beta" * 100, b"gamma" * 100]
    assets = [await world.add(d, f"{i}.bin") for i, d in enumerate(datas)]
    await world.assets.delete(assets[2].asset_id)  # soft-deleted bytes are kept, so they move too
    seen: list[int] = []

    result = await world.migration.migrate("s3", progress=lambda p: seen.append(p.done))

    assert (result.total, result.moved, result.failed, result.skipped) == (3, 3, 0, 0)
    assert result.bytes_moved == sum(map(len, datas))
    assert seen == [1, 2, 3]
    assert world.fs.blobs == {}
    for asset, data in zip(assets, datas, strict=True):
        moved = await world.get(asset.asset_id)
        assert moved.storage.provider == "s3"
        assert world.s3.blobs[moved.storage.key] == data
    again = await world.migration.migrate("s3")
    assert again.total == 0


async def test_a_damaged_source_is_reported_and_left_in_place() -> None:
    world = World()
    good = await world.add(b"good bytes" * 50, "good.bin")
    bad = await world.add(b"bad bytes" * 50, "bad.bin")
    world.fs.blobs[bad.storage.key] = b"rotten" + world.fs.blobs[bad.storage.key][6:]

    result = await world.migration.migrate("s3")

    assert (result.moved, result.failed) == (1, 1)
    assert result.errors[0][0] == bad.asset_id
    assert "damaged" in result.errors[0][1]
    assert (await world.get(bad.asset_id)).storage == bad.storage
    assert bad.storage.key in world.fs.blobs
    assert list(world.s3.blobs) == [good.asset_id]


async def test_a_copy_that_reads_back_wrong_is_dropped_and_the_original_kept() -> None:
    world = World(target=CorruptingStore())
    asset = await world.add(b"precious" * 100)

    result = await world.migration.migrate("s3")

    assert (result.moved, result.failed) == (0, 1)
    assert "does not match" in result.errors[0][1]
    assert (await world.get(asset.asset_id)).storage == asset.storage
    assert world.fs.blobs[asset.storage.key] == b"precious" * 100
    assert world.s3.blobs == {}


async def test_without_verification_the_copy_is_trusted() -> None:
    world = World(target=CorruptingStore())
    asset = await world.add(b"trusted" * 100)
    result = await world.migration.migrate("s3", verify=False)
    assert result.moved == 1
    assert (await world.get(asset.asset_id)).storage.provider == "s3"


async def test_cancellation_stops_between_assets() -> None:
    world = World()
    for i in range(3):
        await world.add(bytes([i]) * 100, f"{i}.bin")
    progress: list[MigrationProgress] = []

    result = await world.migration.migrate(
        "s3", progress=progress.append, should_cancel=lambda: len(progress) >= 1
    )

    assert result.cancelled
    assert (result.moved, result.total) == (1, 3)
    assert len(world.fs.blobs) == 2


async def test_an_unknown_target_is_a_validation_error_and_moves_nothing() -> None:
    world = World()
    asset = await world.add(b"stay")
    with pytest.raises(Invalid) as error:
        await world.migration.migrate("tape")
    assert error.value.details is not None
    assert (await world.get(asset.asset_id)).storage == asset.storage


async def test_moving_back_restores_the_original_layout() -> None:
    world = World()
    asset = await world.add(b"round trip" * 10)
    await world.migration.migrate("s3")
    back = await world.migration.migrate("fs")
    assert back.moved == 1
    restored = await world.get(asset.asset_id)
    assert restored.storage.provider == "fs"
    assert hashlib.sha256(world.fs.blobs[restored.storage.key]).hexdigest() == asset.asset_id
    assert world.s3.blobs == {}


# -- between two endpoints of one provider (the managed weed to a cluster) -------------------------


class TwoEndpoints:
    """A library on one S3 endpoint (``old``), and the endpoint it moves to (``new``)."""

    def __init__(self, new: InMemoryBlobStore | None = None) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.old = named_store("s3")
        self.new = new or named_store("s3")
        self.new.name = "s3"
        self.assets = AssetService(self.uow, self.old, FixedClock(), None)
        self.migration = StorageMigration(self.uow, {"s3": self.new})

    async def add(self, data: bytes) -> Asset:
        return (await self.assets.ingest(one_chunk(data), IngestOptions(filename="f.bin"))).asset


async def test_a_copy_across_lands_under_its_content_key_and_keeps_the_old_copy() -> None:
    ends = TwoEndpoints()
    asset = await ends.add(b"across" * 100)
    ends.old.blobs["streamed/abc"] = ends.old.blobs.pop(asset.storage.key)  # hash known only at the end
    async with ends.uow.write() as uow:
        stored = await uow.assets.get(asset.asset_id)
        assert stored is not None
        stored.storage = msgspec.structs.replace(stored.storage, key="streamed/abc")
        await uow.assets.update(stored)
        await uow.commit()
    streamed = await ends.assets.get(asset.asset_id)

    assert await ends.migration.copy_across(streamed, ends.old, ends.new, verify=True)

    moved = await ends.assets.get(asset.asset_id)
    assert moved.storage.provider == "s3"
    assert moved.storage.key == asset.asset_id  # the content key
    assert ends.new.blobs[moved.storage.key] == b"across" * 100
    assert "streamed/abc" in ends.old.blobs  # kept until the user retires the old endpoint
    assert not await ends.migration.copy_across(moved, ends.old, ends.new, verify=True)  # a re-run


async def test_a_copy_across_that_reads_back_wrong_is_removed_and_copied_again_next_time() -> None:
    ends = TwoEndpoints(new=CorruptingStore())
    asset = await ends.add(b"fragile" * 100)

    with pytest.raises(MigrationFailed, match="reads back wrong"):
        await ends.migration.copy_across(asset, ends.old, ends.new, verify=True)

    assert ends.new.blobs == {}
    assert ends.old.blobs[asset.storage.key] == b"fragile" * 100
    assert (await ends.assets.get(asset.asset_id)).storage == asset.storage
