"""The backup target contract (``BackupTargets`` opening a ``BackupTarget``), run against every place a
backup can be kept: a folder on real files, and an ``s3://bucket/prefix`` on a real weed.

Another kind of place joins by adding a factory yielding a ``Place`` to ``PLACES``; nothing else changes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from faceforge_adapters.backup import files
from faceforge_adapters.backup.folder import FolderBackupTargets
from faceforge_adapters.backup.s3targets import ACCESS_KEY_ENV, SECRET_KEY_ENV, S3BackupTargets
from faceforge_adapters.config import BackupS3Config
from faceforge_adapters.storage.filesystem import LocalRange
from faceforge_domain.backup.models import DatabaseCopy, Manifest
from faceforge_domain.backup.ports import BackupTargets, Digest
from faceforge_domain.errors import Conflict, DigestMismatch, Invalid, NotFound
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio
PART = 5 * 1024 * 1024  # the smallest S3 part: a blob bigger than this goes as a multipart upload
SNAPSHOT = "20261206T000000000Z"


@dataclass
class Place:
    """A backup place under test: ``plant`` puts foreign bytes at a name inside it, ``names`` lists every
    name in it, ``strays`` what a write left half-done (temporary files, unfinished multipart uploads)."""

    targets: BackupTargets
    where: str
    plant: Callable[[str, bytes], None]
    names: Callable[[], list[str]]
    strays: Callable[[], list[str]]


@asynccontextmanager
async def folder_place(root: Path) -> AsyncIterator[Place]:
    folder = root / "backup"

    def plant(name: str, data: bytes) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)

    def names() -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    def strays() -> list[str]:
        return sorted(p.name for p in (folder / "tmp").rglob("*")) if (folder / "tmp").exists() else []

    yield Place(FolderBackupTargets(), str(folder), plant, names, strays)


@asynccontextmanager
async def s3_place(_: Path, seaweed: RunningSeaweed) -> AsyncIterator[Place]:
    """A bucket on the session's weed (one for every test: each bucket costs weed volumes), the backup
    under a fresh two-level prefix."""
    client = seaweed.client
    bucket, prefix = "faceforge-backups", f"homes/{secrets.token_hex(4)}/"
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):  # type: ignore[attr-defined]
        client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s = seaweed.settings
    targets = S3BackupTargets(
        BackupS3Config(endpoint_url=s.endpoint_url, part_size_bytes=PART),
        {ACCESS_KEY_ENV: s.access_key, SECRET_KEY_ENV: s.secret_key},
    )

    def plant(name: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=prefix + name, Body=data)  # type: ignore[attr-defined]

    def names() -> list[str]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
        return sorted(item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", []))

    def strays() -> list[str]:
        found = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)  # type: ignore[attr-defined]
        return sorted(u["Key"] for u in found.get("Uploads", []))

    yield Place(targets, f"s3://{bucket}/{prefix}", plant, names, strays)


PlaceFactory = Callable[[Path], AbstractAsyncContextManager[Place]]
PLACES: list[PlaceFactory] = [folder_place, s3_place]  # type: ignore[list-item]
NEEDS_SEAWEED = (s3_place,)


@pytest.fixture(params=PLACES, ids=lambda f: f.__name__)
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    factory = request.param
    if factory in NEEDS_SEAWEED:
        factory = functools.partial(factory, seaweed=request.getfixturevalue("seaweed"))
    async with factory(tmp_path) as made:
        yield made


Source = Callable[[bytes], AsyncIterator[bytes]]


@pytest.fixture(
    params=["stream", "stored_file", "stored_file_without_sendfile", "stored_file_past_the_cache"]
)
def source(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Source:
    """Bytes as any stream, or as the filesystem store hands out a stored file (which a folder target
    copies in worker-thread trips of its own: in the kernel on Linux, else read and written; a large
    one past the page cache where the file system allows, which here every stored file is)."""
    if request.param == "stream":
        return chunks
    if request.param == "stored_file_without_sendfile":
        monkeypatch.setattr(files, "FILE_TO_FILE_SENDFILE", False)
    if request.param == "stored_file_past_the_cache":
        monkeypatch.setattr(files, "DIRECT_FROM", 0)

    def stored_file(data: bytes) -> AsyncIterator[bytes]:
        path = tmp_path / f"stored-{secrets.token_hex(4)}"
        path.write_bytes(data)
        return LocalRange(path)

    return stored_file


async def chunks(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def breaking_off(data: bytes) -> AsyncIterator[bytes]:
    async for chunk in chunks(data):
        yield chunk
    raise OSError("the source disk went away")


def manifest_for(database: DatabaseCopy, snapshot_id: str = SNAPSHOT) -> Manifest:
    return Manifest(
        snapshot_id=snapshot_id,
        faceforge_version="1",
        schema_version=1,
        created_at="2026-12-06T00:00:00.000Z",
        database=database,
        config={},
        blobs=[],
    )


async def publish(target: object, snapshot_id: str = SNAPSHOT) -> None:
    """A snapshot with a tiny database copy: what makes every blob written before it durable."""
    database = await target.put_database(snapshot_id, chunks(b"db"))  # type: ignore[attr-defined]
    await target.publish(manifest_for(database, snapshot_id))  # type: ignore[attr-defined]


async def read_all(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


@pytest.mark.parametrize(
    "size",
    [5000, 0, PART, 2 * PART + 12345, 4 * PART + 1],
    ids=["small", "empty", "one-part", "multipart", "over-one-trip"],
)
async def test_a_blob_is_stored_under_its_hash_and_reads_back(
    place: Place, source: Source, size: int
) -> None:
    data = os.urandom(size)
    sha = hashlib.sha256(data).hexdigest()
    async with place.targets.for_writing(place.where) as target:
        await target.put_blob(sha, source(data))
        await publish(target)
        assert (await target.blob_sizes())[sha] == size
    async with place.targets.for_reading(place.where) as reader:
        assert await reader.blob_digest(sha) == Digest(sha, size)
        assert await read_all(reader.read_blob(sha)) == data
    assert place.strays() == []


@pytest.mark.parametrize("size", [5000, 2 * PART + 1], ids=["small", "multipart"])
async def test_bytes_that_do_not_match_their_name_leave_nothing(
    place: Place, source: Source, size: int
) -> None:
    data = os.urandom(size)
    async with place.targets.for_writing(place.where) as target:
        with pytest.raises(DigestMismatch):
            await target.put_blob("0" * 64, source(data))
        await publish(target)
        assert await target.blob_sizes() == {}
        assert await target.blob_digest("0" * 64) is None
    assert place.strays() == []
    assert not any(name.startswith("blobs/") for name in place.names())


async def test_a_stream_that_breaks_off_fails_as_itself_and_leaves_nothing(place: Place) -> None:
    data = os.urandom(2 * PART + 1)
    async with place.targets.for_writing(place.where) as target:
        with pytest.raises(OSError, match="went away"):
            await target.put_blob(hashlib.sha256(data).hexdigest(), breaking_off(data))
        await publish(target)
        assert await target.blob_sizes() == {}
    assert place.strays() == []


async def test_a_stored_file_that_is_gone_fails_as_file_not_found_and_leaves_nothing(
    place: Place, tmp_path: Path
) -> None:
    async with place.targets.for_writing(place.where) as target:
        with pytest.raises(FileNotFoundError):
            await target.put_blob("0" * 64, LocalRange(tmp_path / "no-such-file"))
        await publish(target)
        assert await target.blob_sizes() == {}
    assert place.strays() == []


async def test_a_snapshot_is_listed_only_once_its_manifest_is_published(place: Place) -> None:
    async with place.targets.for_writing(place.where) as target:
        database = await target.put_database(SNAPSHOT, chunks(b"db bytes"))
        assert database == DatabaseCopy(sha256=hashlib.sha256(b"db bytes").hexdigest(), size_bytes=8)
        assert await target.snapshots() == []
        await target.publish(manifest_for(database))
        await target.put_database("20261207T000000000Z", chunks(b"half"))  # never published
    async with place.targets.for_reading(place.where) as reader:
        assert [m.snapshot_id for m in await reader.snapshots()] == [SNAPSHOT]
        assert await read_all(reader.read_database(SNAPSHOT)) == b"db bytes"
        assert await reader.database_digest(SNAPSHOT) == Digest(database.sha256, 8)
    async with place.targets.for_writing(place.where) as target:
        assert await target.sweep_unfinished() == ["snapshots/20261207T000000000Z"]
        await target.remove_snapshot(SNAPSHOT)
        assert await target.snapshots() == []
    assert not any(name.startswith("snapshots/") for name in place.names())


async def test_a_removed_blob_is_gone_and_reading_it_is_file_not_found(place: Place) -> None:
    data = os.urandom(3000)
    sha = hashlib.sha256(data).hexdigest()
    async with place.targets.for_writing(place.where) as target:
        await target.put_blob(sha, chunks(data))
        await publish(target)
        await target.remove_blob(sha)
        assert await target.blob_sizes() == {}
        assert await target.blob_digest(sha) is None
        with pytest.raises(FileNotFoundError):
            await read_all(target.read_blob(sha))


async def test_a_digest_is_of_the_bytes_there_now(place: Place) -> None:
    """What ``verify --deep`` relies on: bytes damaged at the target hash to something else."""
    data = os.urandom(3000)
    sha = hashlib.sha256(data).hexdigest()
    async with place.targets.for_writing(place.where) as target:
        await target.put_blob(sha, chunks(data))
        await publish(target)
    place.plant(f"blobs/{sha[:2]}/{sha[2:4]}/{sha}", b"rotten" + data[6:])
    async with place.targets.for_reading(place.where) as reader:
        found = await reader.blob_digest(sha)
    assert found == Digest(hashlib.sha256(b"rotten" + data[6:]).hexdigest(), 3000)


async def test_a_second_writer_is_a_conflict_and_the_place_is_free_again_after(place: Place) -> None:
    async with place.targets.for_writing(place.where):
        with pytest.raises(Conflict):
            async with place.targets.for_writing(place.where):
                pass
    async with place.targets.for_writing(place.where):
        pass


async def test_reading_where_there_is_no_backup_is_not_found_and_writes_nothing(place: Place) -> None:
    with pytest.raises(NotFound):
        async with place.targets.for_reading(place.where):
            pass
    assert place.names() == []


async def test_a_place_holding_something_else_is_refused_and_left_as_it_was(place: Place) -> None:
    place.plant("letters/dear.txt", b"dear")
    with pytest.raises(Invalid, match="no FaceForge backup"):
        async with place.targets.for_writing(place.where):
            pass
    assert place.names() == ["letters/dear.txt"]


async def test_a_manifest_of_a_newer_format_is_refused_by_name(place: Place) -> None:
    async with place.targets.for_writing(place.where):
        pass
    place.plant(f"snapshots/{SNAPSHOT}/manifest.json", b'{"format_version": 99}')
    async with place.targets.for_reading(place.where) as reader:
        with pytest.raises(Invalid, match="backup format 99"):
            await reader.snapshots()
