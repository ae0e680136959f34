"""The partial-upload store on a real disk, and the resumable-upload service's locking over it."""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.storage.partial_uploads import FilesystemPartialUploads
from faceforge_domain.errors import Interrupted, Locked
from faceforge_domain.ids import new_id
from faceforge_domain.uploads.model import UploadRecord

MIB = 1024 * 1024
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def new_record(length: int) -> UploadRecord:
    return UploadRecord(upload_id=new_id(), length=length, created_at=NOW, expires_at=NOW + timedelta(days=1))


async def chunks_of(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def collect(store: FilesystemPartialUploads, upload_id: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(upload_id)])


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=20_000),
    cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=8),
    pieces=st.integers(min_value=1, max_value=5),
)
def test_running_hash_survives_any_chunking_and_reloads(data: bytes, cuts: list[int], pieces: int) -> None:
    """Each append is made by a fresh store (a restarted Core): the serialized hash must carry on."""
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})

    async def run(root: Path) -> None:
        record = new_record(len(data))
        await FilesystemPartialUploads(root).create(record)
        for start, end in itertools.pairwise(bounds):
            store = FilesystemPartialUploads(root, persist_every=1)
            loaded = await store.load(record.upload_id)
            assert loaded is not None
            step = max(1, (end - start) // pieces)
            parts = [data[i : min(i + step, end)] for i in range(start, end, step)]
            record = await store.append(loaded, chunks_of(*parts), chunk_sha256=None)
        store = FilesystemPartialUploads(root)
        assert record.offset == len(data)
        assert await store.sha256(record) == hashlib.sha256(data).hexdigest()
        assert await collect(store, record.upload_id) == data

    with tempfile.TemporaryDirectory() as folder:
        anyio.run(run, Path(folder))


@pytest.mark.anyio
async def test_a_long_append_persists_its_offset_along_the_way(tmp_path: Path) -> None:
    """What a kill -9 mid-request would find on disk: an offset well past zero, backed by the bytes."""
    store = FilesystemPartialUploads(tmp_path, persist_every=4 * MIB)
    record = new_record(32 * MIB)
    await store.create(record)
    seen: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"\x07" * (4 * MIB)
            on_disk = await FilesystemPartialUploads(tmp_path).load(record.upload_id)
            assert on_disk is not None
            seen.append(on_disk.offset)
            assert (tmp_path / record.upload_id / "data").stat().st_size >= on_disk.offset

    done = await store.append(record, body(), chunk_sha256=None)
    assert done.offset == 32 * MIB
    assert seen[-1] >= 24 * MIB  # persisted while the request was still streaming


@pytest.mark.anyio
async def test_bytes_past_the_persisted_offset_are_cut_before_appending(tmp_path: Path) -> None:
    store = FilesystemPartialUploads(tmp_path)
    record = new_record(150)
    await store.create(record)
    record = await store.append(record, chunks_of(b"a" * 100), chunk_sha256=None)
    with (tmp_path / record.upload_id / "data").open("ab") as data:
        data.write(b"written but never persisted")  # a crash between the data and its state
    record = await store.append(record, chunks_of(b"b" * 50), chunk_sha256=None)
    assert await collect(store, record.upload_id) == b"a" * 100 + b"b" * 50
    assert await store.sha256(record) == hashlib.sha256(b"a" * 100 + b"b" * 50).hexdigest()


@pytest.mark.parametrize(
    ("failure", "kept"),
    [(Interrupted("client gone"), 3 * MIB), (RuntimeError("a bug"), 0)],
)
@pytest.mark.anyio
async def test_a_failed_append_keeps_what_arrived_only_when_the_client_left(
    tmp_path: Path, failure: Exception, kept: int
) -> None:
    store = FilesystemPartialUploads(tmp_path, persist_every=MIB)
    record = await _created(store, 8 * MIB)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"\x01" * MIB
        raise failure

    with pytest.raises(type(failure)):
        await store.append(record, body(), chunk_sha256=None)
    after = await store.load(record.upload_id)
    assert after is not None
    assert after.offset == kept
    assert (tmp_path / record.upload_id / "data").stat().st_size == kept
    assert await store.sha256(after) == hashlib.sha256(b"\x01" * kept).hexdigest()


async def _created(store: FilesystemPartialUploads, length: int) -> UploadRecord:
    record = new_record(length)
    await store.create(record)
    return record


@pytest.mark.anyio
async def test_usage_counts_uploads_and_their_bytes(tmp_path: Path) -> None:
    store = FilesystemPartialUploads(tmp_path / "uploads")
    assert (await store.usage()).uploads == 0
    record = await _created(store, 10)
    await store.append(record, chunks_of(b"x" * 7), chunk_sha256=None)
    usage = await store.usage()
    assert usage.uploads == 1
    assert usage.bytes > 7  # the data and its small state file
    await store.drop_bytes(record.upload_id)  # finished: only its status is left
    finished = await store.usage()
    assert finished.uploads == 0
    assert 0 < finished.bytes < usage.bytes


@pytest.mark.anyio
async def test_a_second_append_or_delete_while_one_runs_is_locked(core: Core) -> None:
    record = await core.uploads.create(10, {})
    release = anyio.Event()
    started = anyio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"12345"
        started.set()
        await release.wait()

    async def first() -> None:
        await core.uploads.append(record.upload_id, 0, slow())

    async with anyio.create_task_group() as group:
        group.start_soon(first)
        await started.wait()
        with pytest.raises(Locked):
            await core.uploads.append(record.upload_id, 0, chunks_of(b"x"))
        with pytest.raises(Locked):
            await core.uploads.terminate(record.upload_id)
        release.set()
    assert (await core.uploads.get(record.upload_id)).offset == 5
