"""AssetService when the disk is short or full: refused before any byte, and no blob left unrecorded."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence

import anyio
import pytest

from faceforge_adapters.memory import (
    InMemoryBlobStore,
    InMemoryStorageSpace,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
)
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import InsufficientStorage
from faceforge_domain.models import Payload, StoredBlob
from faceforge_domain.services.assets import AssetService, IngestOptions

pytestmark = pytest.mark.anyio


class FullDiskCommit(InMemoryUnitOfWork):
    """A transaction the database cannot write: "database or disk is full"."""

    async def commit(self) -> None:
        raise InsufficientStorage("the disk holding the database is full; nothing was changed")


class HangingCommit(InMemoryUnitOfWork):
    """A transaction still being written when its caller is cancelled."""

    async def commit(self) -> None:
        await anyio.sleep_forever()


class Units(InMemoryUnitOfWorkFactory):
    def __init__(self) -> None:
        super().__init__()
        self.writer: type[InMemoryUnitOfWork] = InMemoryUnitOfWork

    def write(self) -> InMemoryUnitOfWork:
        return self.writer(self, writable=True)


class SlowBatchStore(InMemoryBlobStore):
    """Stores a batch, then takes a while to answer (a cancel arrives after the bytes are written)."""

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        stored = await super().put_many(payloads)
        await anyio.sleep(0.2)
        return stored


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def service(units: Units, store: InMemoryBlobStore, free: int | None = None) -> AssetService:
    space = None if free is None else InMemoryStorageSpace(free)
    return AssetService(units, store, FixedClock(), None, space)


async def test_a_file_announced_bigger_than_the_free_space_is_refused_before_its_first_byte() -> None:
    store = InMemoryBlobStore()
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"x")
        yield b"x" * 101

    with pytest.raises(InsufficientStorage) as refused:
        await service(Units(), store, free=100).ingest(body(), IngestOptions(filename="a"), size_hint=101)
    assert refused.value.details == {"needed_bytes": 101, "free_bytes": 100}
    assert read == []
    assert store.blobs == {}


async def test_a_batch_bigger_than_the_free_space_is_refused_whole() -> None:
    store, units = InMemoryBlobStore(), Units()
    files = [(b"a" * 60, IngestOptions(filename="a")), (b"b" * 60, IngestOptions(filename="b"))]
    with pytest.raises(InsufficientStorage):
        await service(units, store, free=100).ingest_many(files)
    assert store.blobs == {}
    assert units.state.assets == {}


async def test_a_batch_whose_record_fails_loses_its_new_blobs_but_keeps_those_a_row_names() -> None:
    store, units = InMemoryBlobStore(), Units()
    assets = service(units, store)
    await assets.ingest_many([(b"known", IngestOptions(filename="known"))])
    units.writer = FullDiskCommit
    outcomes = await assets.ingest_many(
        [(b"known", IngestOptions(filename="again")), (b"new", IngestOptions(filename="new"))]
    )
    assert all(isinstance(outcome, InsufficientStorage) for outcome in outcomes)
    assert set(store.blobs) == {sha(b"known")}
    assert set(units.state.assets) == {sha(b"known")}
    assert units.state.assets[sha(b"known")].filenames == ["known"]


async def test_a_streamed_file_whose_record_fails_leaves_no_blob() -> None:
    store, units = InMemoryBlobStore(), Units()
    units.writer = FullDiskCommit

    async def body() -> AsyncIterator[bytes]:
        yield b"streamed"

    with pytest.raises(InsufficientStorage):
        await service(units, store).ingest(body(), IngestOptions(filename="s"))
    assert store.blobs == {}
    assert units.state.assets == {}


@pytest.mark.parametrize(
    ("store_type", "writer"),
    [(InMemoryBlobStore, HangingCommit), (SlowBatchStore, InMemoryUnitOfWork)],
    ids=["while the batch is recorded", "while the batch is stored"],
)
async def test_a_cancel_leaves_no_unrecorded_blob(
    store_type: type[InMemoryBlobStore], writer: type[InMemoryUnitOfWork]
) -> None:
    store, units = store_type(), Units()
    units.writer = writer
    assets = service(units, store)
    async with anyio.create_task_group() as group:
        group.start_soon(assets.ingest_many, [(b"one", IngestOptions(filename="one"))])
        await anyio.sleep(0.05)
        group.cancel_scope.cancel()
    assert store.blobs == {}
    assert units.state.assets == {}
