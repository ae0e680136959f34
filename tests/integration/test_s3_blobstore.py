"""S3BlobStore on a real weed, beyond the shared BlobStore contract (tests/contract): multipart
uploads, aborts, bucket creation, credentials."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest

from faceforge_adapters.storage.filesystem import content_key
from faceforge_adapters.storage.s3 import STREAMED_PREFIX, S3BlobStore, S3Unavailable
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.models import StorageLocation
from faceforge_domain.ports import BlobStore
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio
MIB = 1024 * 1024


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def read_all(
    store: BlobStore, location: StorageLocation, start: int = 0, end: int | None = None
) -> bytes:
    return b"".join([chunk async for chunk in store.open_range(location, start, end)])


async def read_rest(chunks: AsyncIterator[bytes]) -> None:
    async for _chunk in chunks:
        pass


@contextlib.contextmanager
def aiohttp_orphan_writes_ignored() -> Iterator[None]:
    """aiohttp sends a request body in a task of its own; when the server dies under it, that task's
    error is also handed to the loop's exception handler ("Task exception was never retrieved"), after
    the request itself has raised. That report is aiohttp's, not a failure of the code under test."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(running: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), aiohttp.ClientConnectionResetError):
            return
        if previous is None:
            running.default_exception_handler(context)
        else:
            previous(running, context)

    loop.set_exception_handler(handler)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)


def nothing_staged(tmp: Path) -> bool:
    return not tmp.exists() or list(tmp.iterdir()) == []


def s3_store(seaweed: RunningSeaweed, tmp_dir: Path, *, part_size: int = 5 * MIB) -> S3BlobStore:
    settings = seaweed.settings.s3_settings(part_size_bytes=part_size)
    return S3BlobStore(settings, tmp_dir)


async def test_reading_a_missing_object_raises_file_not_found(
    seaweed: RunningSeaweed, tmp_path: Path
) -> None:
    store = s3_store(seaweed, tmp_path / "tmp")
    try:
        blob = await store.put(chunks_of(b"gone soon"))
        await store.delete(blob.location)
        with pytest.raises(FileNotFoundError):
            await read_all(store, blob.location)
    finally:
        await store.aclose()


async def test_multipart_upload_lands_in_the_bucket(seaweed: RunningSeaweed, tmp_path: Path) -> None:
    data = os.urandom(12 * MIB + 123)
    store = s3_store(seaweed, tmp_path / "tmp")
    try:
        blob = await store.put(chunks_of(data, MIB))
        assert (blob.sha256, blob.size_bytes) == (hashlib.sha256(data).hexdigest(), len(data))
        assert blob.location.key.startswith(STREAMED_PREFIX)  # streamed before its hash was known
        assert blob.location.key in seaweed.objects()
        assert blob.location.bucket == seaweed.settings.bucket
        assert await read_all(store, blob.location, 5 * MIB - 1, 10 * MIB) == data[5 * MIB - 1 : 10 * MIB + 1]
        assert await read_all(store, blob.location) == data
    finally:
        await store.aclose()
    assert nothing_staged(tmp_path / "tmp")


async def test_cancelled_multipart_upload_is_aborted(seaweed: RunningSeaweed, tmp_path: Path) -> None:
    data = os.urandom(60 * MIB)
    store = s3_store(seaweed, tmp_path / "tmp")
    client = seaweed.client
    bucket = seaweed.settings.bucket
    seen = threading.Event()

    def watch() -> None:
        while not seen.is_set():
            listed = client.list_multipart_uploads(Bucket=bucket)  # type: ignore[attr-defined]
            if listed.get("Uploads"):
                seen.set()

    try:
        async with anyio.create_task_group() as tg:

            async def upload() -> None:
                with pytest.raises(anyio.get_cancelled_exc_class()):
                    await store.put(chunks_of(data, MIB))

            async def cancel_when_started() -> None:
                await anyio.to_thread.run_sync(watch, abandon_on_cancel=True)
                tg.cancel_scope.cancel()

            tg.start_soon(upload)
            tg.start_soon(cancel_when_started)
        assert seen.is_set()
        listed = client.list_multipart_uploads(Bucket=bucket)  # type: ignore[attr-defined]
        assert not listed.get("Uploads")
        assert hashlib.sha256(data).hexdigest() not in "".join(seaweed.objects())
        assert nothing_staged(tmp_path / "tmp")
    finally:
        seen.set()
        await store.aclose()


async def test_bucket_is_created_when_missing(
    seaweed: RunningSeaweed, new_bucket: str, tmp_path: Path
) -> None:
    settings = replace(seaweed.settings.s3_settings(), bucket=new_bucket)
    store = S3BlobStore(settings, tmp_path / "tmp")
    try:
        blob = await store.put(chunks_of(b"first object"))
    finally:
        await store.aclose()
    names = [b["Name"] for b in seaweed.client.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert new_bucket in names
    assert blob.location.bucket == new_bucket


async def test_wrong_credentials_are_refused_and_nothing_is_left(
    seaweed: RunningSeaweed, tmp_path: Path
) -> None:
    settings = replace(seaweed.settings.s3_settings(), secret_key="wrong")
    store = S3BlobStore(settings, tmp_path / "tmp")
    try:
        assert not await store.healthy()
        with pytest.raises(S3Unavailable):
            await store.put(chunks_of(b"refused bytes"))
    finally:
        await store.aclose()
    assert nothing_staged(tmp_path / "tmp")
    assert hashlib.sha256(b"refused bytes").hexdigest() not in "".join(seaweed.objects())


async def test_a_download_cut_off_by_a_dying_endpoint_raises_s3_unavailable(
    seaweed_factory: object, tmp_path: Path
) -> None:
    weed: RunningSeaweed = seaweed_factory()  # type: ignore[operator]
    store = s3_store(weed, tmp_path / "tmp")
    try:
        blob = await store.put(chunks_of(os.urandom(64 * MIB), MIB))
        chunks = store.open_range(blob.location)
        await anext(chunks)
        weed.kill()
        with pytest.raises(S3Unavailable, match="broke off"):
            await read_rest(chunks)
    finally:
        await store.aclose()


async def test_a_stream_vouched_for_goes_under_its_content_key_and_a_wrong_one_is_aborted(
    seaweed: RunningSeaweed, tmp_path: Path
) -> None:
    data = os.urandom(11 * MIB)
    sha = hashlib.sha256(data).hexdigest()
    store = s3_store(seaweed, tmp_path / "tmp")
    try:
        with pytest.raises(DigestMismatch):
            await store.put(chunks_of(data, MIB), expected_sha256=hashlib.sha256(b"other").hexdigest())
        assert not any(sha in key for key in seaweed.objects())
        assert not seaweed.client.list_multipart_uploads(Bucket=seaweed.settings.bucket).get("Uploads")  # type: ignore[attr-defined]
        blob = await store.put(chunks_of(data, MIB), expected_sha256=sha)
        assert blob.location.key == content_key(sha)
        assert await read_all(store, blob.location) == data
    finally:
        await store.aclose()
    assert nothing_staged(tmp_path / "tmp")


async def test_a_stream_cut_off_by_a_dying_endpoint_is_refused_and_leaves_nothing_local(
    seaweed_factory: object, tmp_path: Path
) -> None:
    weed: RunningSeaweed = seaweed_factory()  # type: ignore[operator]
    store = s3_store(weed, tmp_path / "tmp")
    sent: list[int] = []

    async def dies_after_two_parts() -> AsyncIterator[bytes]:
        for number in range(8):
            if number == 2:
                weed.kill()
            sent.append(number)
            yield os.urandom(5 * MIB)

    try:
        with pytest.raises(S3Unavailable, match="S3 upload failed"), aiohttp_orphan_writes_ignored():
            await store.put(dies_after_two_parts())
    finally:
        await store.aclose()
    assert len(sent) < 8  # it stopped reading once S3 failed
    assert nothing_staged(tmp_path / "tmp")
