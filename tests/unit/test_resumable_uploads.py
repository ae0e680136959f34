"""ResumableUploads against the in-memory fakes: offsets, lengths, completion, expiry, resuming."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryPartialUploads, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict, Gone, Invalid, NotFound, PayloadTooLarge
from faceforge_domain.models import Entity
from faceforge_domain.services.assets import AssetService
from faceforge_domain.uploads.model import FINGERPRINT_KEY
from faceforge_domain.uploads.service import ResumableUploads

EXPIRY = timedelta(hours=24)


class World:
    def __init__(self, max_bytes: int = 1 << 30) -> None:
        self.clock = FixedClock()
        self.partials = InMemoryPartialUploads()
        self.uow = InMemoryUnitOfWorkFactory()
        self.assets = AssetService(self.uow, InMemoryBlobStore(), self.clock)
        self.uploads = ResumableUploads(
            self.partials, self.assets, self.clock, max_bytes=max_bytes, expire_after=EXPIRY
        )


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=300),
    attempts=st.lists(st.tuples(st.integers(0, 320), st.integers(0, 120)), max_size=25),
)
def test_only_appends_at_the_offset_move_it_and_the_asset_is_the_bytes(
    data: bytes, attempts: list[tuple[int, int]]
) -> None:
    """Random offsets and sizes: a wrong offset is 409, past the length 413, and neither moves it."""

    async def run() -> None:
        world = World()
        record = await world.uploads.create(len(data), {"filename": "x.bin"})
        offset = 0
        for at, size in [*attempts, (None, len(data))]:
            at = offset if at is None else at
            chunk = data[at : at + size] if at == offset else b"?" * size
            try:
                record = await world.uploads.append(record.upload_id, at, one(chunk))
            except Conflict:
                assert at != offset or record.complete
            except PayloadTooLarge:
                assert at + size > len(data)
            else:
                assert at == offset
                offset += len(chunk)
            assert (await world.uploads.get(record.upload_id)).offset == offset
            if record.complete:
                break
        assert record.complete
        assert record.asset_id == hashlib.sha256(data).hexdigest()
        assert (await world.partials.usage()).bytes == 0  # the bytes went to the asset store

    anyio.run(run)


@pytest.mark.anyio
async def test_length_beyond_the_limit_and_bad_metadata_create_nothing() -> None:
    world = World(max_bytes=100)
    with pytest.raises(PayloadTooLarge):
        await world.uploads.create(101, {})
    with pytest.raises(Invalid):
        await world.uploads.create(10, {"kind": "Bad Kind"})
    with pytest.raises(NotFound):
        await world.uploads.create(10, {"entity_id": "e" * 64})
    assert world.partials.records == {}


@pytest.mark.anyio
async def test_an_empty_upload_is_complete_at_creation_and_takes_no_append() -> None:
    world = World()
    done = await world.uploads.create(0, {"filename": "empty"})
    assert done.complete
    assert done.asset_id == hashlib.sha256(b"").hexdigest()
    with pytest.raises(Conflict, match="already complete"):
        await world.uploads.append(done.upload_id, 0, one(b""))


@pytest.mark.anyio
async def test_expiry_slides_with_each_append_and_expire_sweeps() -> None:
    world = World()
    kept = await world.uploads.create(10, {})
    dropped = await world.uploads.create(10, {})
    world.clock.advance(timedelta(hours=20))
    await world.uploads.append(kept.upload_id, 0, one(b"12345"))
    world.clock.advance(timedelta(hours=5))
    assert await world.uploads.expire() == [dropped.upload_id]
    world.clock.advance(timedelta(hours=20))
    with pytest.raises(Gone):
        await world.uploads.get(kept.upload_id)
    assert world.partials.records == {}


@pytest.mark.anyio
async def test_find_resumable_finds_only_an_unfinished_live_upload() -> None:
    world = World()
    record = await world.uploads.create(4, {FINGERPRINT_KEY: "/a|4|1"})
    assert await world.uploads.find_resumable("/a|4|2") is None
    found = await world.uploads.find_resumable("/a|4|1")
    assert found is not None
    assert found.upload_id == record.upload_id
    await world.uploads.append(record.upload_id, 0, one(b"abcd"))
    assert await world.uploads.find_resumable("/a|4|1") is None


@pytest.mark.anyio
async def test_an_entity_deleted_before_the_end_removes_the_upload() -> None:
    """The options are checked at creation and again at ingest; the second refusal keeps nothing."""
    world = World()
    entity_id = "e" * 64
    now = world.clock.now()
    async with world.uow.write() as uow:
        await uow.entities.add(
            Entity(entity_id=entity_id, display_name="Ada", created_at=now, updated_at=now)
        )
        await uow.commit()
    record = await world.uploads.create(3, {"entity_id": entity_id})
    async with world.uow.write() as uow:
        entity = await uow.entities.get(entity_id)
        assert entity is not None
        entity.deleted_at = now
        await uow.entities.update(entity)
        await uow.commit()
    with pytest.raises(NotFound):
        await world.uploads.append(record.upload_id, 0, one(b"abc"))
    assert world.partials.records == {}
