"""The BlobStore contract, run against every implementation in ``STORE_FACTORIES``, the routing
store that Core uses included (over the filesystem and a real S3, and over the filesystem alone).

Another provider joins by appending a factory (an async context manager yielding a store and a
function listing its stray files) to the list; nothing else changes.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from faceforge_adapters.memory import InMemoryBlobStore
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, content_key
from faceforge_adapters.storage.routing import RoutingBlobStore, RoutingRules
from faceforge_adapters.storage.s3 import S3BlobStore
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.models import Payload, StorageLocation, StoredBlob
from faceforge_domain.ports import BlobStore
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio

Strays = Callable[[], list[str]]
StoreFactory = Callable[[Path], AbstractAsyncContextManager[tuple[BlobStore, Strays]]]


@asynccontextmanager
async def memory_store(_: Path) -> AsyncIterator[tuple[BlobStore, Strays]]:
    yield InMemoryBlobStore(), list


@asynccontextmanager
async def filesystem_store(root: Path) -> AsyncIterator[tuple[BlobStore, Strays]]:
    tmp = root / "tmp"

    def strays() -> list[str]:
        return sorted(p.name for p in tmp.rglob("*") if p.is_file()) if tmp.exists() else []

    yield FilesystemBlobStore(root / "assets", tmp), strays


@asynccontextmanager
async def s3_store(root: Path, seaweed: RunningSeaweed) -> AsyncIterator[tuple[BlobStore, Strays]]:
    """S3 on the session's real weed; strays are staged files and unfinished multipart uploads."""
    tmp = root / "tmp"
    store = S3BlobStore(seaweed.settings.s3_settings(part_size_bytes=5 * 1024 * 1024), tmp)

    def strays() -> list[str]:
        uploads = seaweed.client.list_multipart_uploads(Bucket=seaweed.settings.bucket)  # type: ignore[attr-defined]
        staged = sorted(p.name for p in tmp.rglob("*") if p.is_file()) if tmp.exists() else []
        return staged + [u["Key"] for u in uploads.get("Uploads", [])]

    try:
        yield store, strays
    finally:
        await store.aclose()


# Blobs of at least this size go to S3, smaller ones to the filesystem: the suite's blobs take both ways.
ROUTED_TO_S3_FROM = 200_000


@asynccontextmanager
async def routing_store(root: Path, seaweed: RunningSeaweed) -> AsyncIterator[tuple[BlobStore, Strays]]:
    """What Core uses with S3 configured: the filesystem and S3 on the session's weed, chosen by size."""
    async with filesystem_store(root) as (fs, fs_strays), s3_store(root, seaweed) as (s3, s3_strays):
        assert isinstance(fs, FilesystemBlobStore)
        assert isinstance(s3, S3BlobStore)
        rules = RoutingRules(s3_min_size_bytes=ROUTED_TO_S3_FROM)
        yield RoutingBlobStore(fs, s3, rules, root / "tmp"), lambda: sorted({*fs_strays(), *s3_strays()})


@asynccontextmanager
async def routing_store_without_s3(root: Path) -> AsyncIterator[tuple[BlobStore, Strays]]:
    """What Core uses with S3 disabled: every blob on the filesystem, whatever the rules say."""
    async with filesystem_store(root) as (fs, strays):
        assert isinstance(fs, FilesystemBlobStore)
        rules = RoutingRules(s3_min_size_bytes=ROUTED_TO_S3_FROM)
        yield RoutingBlobStore(fs, None, rules, root / "tmp"), strays


STORE_FACTORIES: list[StoreFactory] = [  # type: ignore[list-item]
    memory_store,
    filesystem_store,
    s3_store,
    routing_store,
    routing_store_without_s3,
]
NEEDS_SEAWEED = (s3_store, routing_store)


@pytest.fixture(params=STORE_FACTORIES, ids=lambda f: f.__name__)
async def store_and_strays(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[BlobStore, Strays]]:
    factory = request.param
    if factory in NEEDS_SEAWEED:
        factory = functools.partial(factory, seaweed=request.getfixturevalue("seaweed"))
    async with factory(tmp_path) as pair:
        yield pair


async def chunks_of(data: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read(store: BlobStore, location: StorageLocation, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.open_range(location, start, end)])


async def test_put_reports_hash_and_size_and_reads_back(store_and_strays: tuple[BlobStore, Strays]) -> None:
    store, strays = store_and_strays
    data = os.urandom(1_500_000)
    blob = await store.put(chunks_of(data), kind="file", size_hint=len(data))
    assert (blob.sha256, blob.size_bytes) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blob.location.provider in _providers(store)
    assert await store.stat(blob.location) == len(data)
    assert await read(store, blob.location) == data
    assert strays() == []


@pytest.mark.parametrize(
    ("start", "end"), [(0, 0), (10, 19), (1_000_000, None), (1_048_575, 1_048_576), (0, 1_499_999)]
)
async def test_open_range_is_inclusive(
    store_and_strays: tuple[BlobStore, Strays], start: int, end: int | None
) -> None:
    store, _ = store_and_strays
    data = os.urandom(1_500_000)
    blob = await store.put(chunks_of(data))
    assert await read(store, blob.location, start, end) == data[start : None if end is None else end + 1]


async def test_identical_bytes_share_one_location(store_and_strays: tuple[BlobStore, Strays]) -> None:
    store, strays = store_and_strays
    first = await store.put(chunks_of(b"twice"))
    second = await store.put(chunks_of(b"twice", 2))
    assert first == second
    assert strays() == []


async def test_empty_stream_is_a_blob(store_and_strays: tuple[BlobStore, Strays]) -> None:
    store, _ = store_and_strays
    blob = await store.put(chunks_of(b""))
    assert (blob.size_bytes, blob.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert await store.stat(blob.location) == 0
    assert await read(store, blob.location) == b""


async def test_empty_pieces_anywhere_in_a_stream_change_nothing(
    store_and_strays: tuple[BlobStore, Strays],
) -> None:
    store, strays = store_and_strays

    async def with_gaps() -> AsyncIterator[bytes]:
        for piece in (b"", b"first half, ", b"", b"second half", b""):
            yield piece

    blob = await store.put(with_gaps())
    assert await read(store, blob.location) == b"first half, second half"
    assert strays() == []


async def test_a_failing_stream_publishes_nothing_and_leaves_nothing(
    store_and_strays: tuple[BlobStore, Strays],
) -> None:
    store, strays = store_and_strays
    data = b"partial" * 100_000

    async def broken() -> AsyncIterator[bytes]:
        yield data[:300_000]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(broken())
    assert not await _stored_anywhere(store, hashlib.sha256(data[:300_000]).hexdigest())
    assert strays() == []


@pytest.mark.parametrize("piece", [65_536, 1_000_000], ids=["in pieces", "in one piece"])
async def test_bytes_that_miss_the_expected_digest_are_not_stored(
    store_and_strays: tuple[BlobStore, Strays], piece: int
) -> None:
    store, strays = store_and_strays
    kept = await store.put(chunks_of(b"stored before"))
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(DigestMismatch) as refused:
        await store.put(chunks_of(data, piece), expected_sha256="0" * 64)
    assert sha in refused.value.errors[0].message
    assert not await _stored_anywhere(store, sha)
    assert strays() == []
    assert await read(store, kept.location) == b"stored before"
    blob = await store.put(chunks_of(data), expected_sha256=sha)
    assert await read(store, blob.location) == data


async def test_put_many_stores_each_payload_as_put_would(store_and_strays: tuple[BlobStore, Strays]) -> None:
    store, strays = store_and_strays
    payloads = [
        Payload(b"first"),
        Payload(b""),
        Payload(b"first"),
        Payload(b"second" * 5000, "image.original"),
    ]
    results = await store.put_many(payloads)
    blobs = [result for result in results if isinstance(result, StoredBlob)]
    assert len(blobs) == len(payloads)
    for payload, blob in zip(payloads, blobs, strict=True):
        assert (blob.sha256, blob.size_bytes) == (hashlib.sha256(payload.data).hexdigest(), len(payload.data))
        assert await read(store, blob.location) == payload.data
    assert blobs[0].location == blobs[2].location
    assert await store.put_many([]) == []
    assert strays() == []


async def test_filesystem_put_many_reports_a_failing_payload_and_stores_the_rest(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    blocked, fine = b"blocked", [b"fine", b"also fine"]
    folder = hashlib.sha256(blocked).hexdigest()[:2]
    assert all(hashlib.sha256(data).hexdigest()[:2] != folder for data in fine)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / folder).write_bytes(b"")  # a file where its folder must go
    first, failed, last = await store.put_many([Payload(fine[0]), Payload(blocked), Payload(fine[1])])
    assert isinstance(failed, OSError)
    for data, blob in ((fine[0], first), (fine[1], last)):
        assert isinstance(blob, StoredBlob)
        assert await read(store, blob.location) == data
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_delete_is_idempotent(store_and_strays: tuple[BlobStore, Strays]) -> None:
    store, _ = store_and_strays
    blob = await store.put(chunks_of(b"bye"))
    await store.delete(blob.location)
    await store.delete(blob.location)
    assert await store.stat(blob.location) is None


def _providers(store: BlobStore) -> set[str]:
    """The providers a location from ``store`` may name: a routing store's are those it routes to."""
    return set(store.stores()) if isinstance(store, RoutingBlobStore) else {store.name}


async def _stored_anywhere(store: BlobStore, sha: str) -> bool:
    """Whether ``store`` holds ``sha`` in any of its providers (each with its own key layout)."""
    key = content_key(sha) if isinstance(store, FilesystemBlobStore | S3BlobStore | RoutingBlobStore) else sha
    for provider in _providers(store):
        if await store.stat(StorageLocation(provider=provider, key=key)) is not None:
            return True
    return False
