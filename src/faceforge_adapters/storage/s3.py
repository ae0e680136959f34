"""S3BlobStore: content-addressed objects in one bucket of any S3 endpoint (SeaweedFS by default).

A stream is sent while it arrives: its first part is read ahead; a stream that fits in one part goes
up in one PUT under its content key (``ab/cd/<sha256>``, the layout of the filesystem); a longer one
as a multipart upload, each part hashed as it passes, a few parts in flight while the next is read.
Its key is the content key when the client vouched for the hash up front, else ``streamed/<random>``:
S3 cannot rename, and a server-side copy to the content key would make the server write every byte a
second time. The record keeps the hash, and duplicates are found by it (as for every asset), so the key
needs no meaning. Memory stays bounded by about (``PARTS_IN_FLIGHT`` + 2) x
``storage.s3.part_size_bytes``; any failure aborts the multipart upload, so no orphan parts remain.
Finished local files (a completed resumable upload, a storage migration) go up under their content key.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import aioboto3
import aiohttp
import anyio
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from faceforge_adapters.config import S3Config
from faceforge_adapters.storage.filesystem import content_key
from faceforge_adapters.storage.payloads import put_each
from faceforge_adapters.storage.read_ahead import ReadAhead
from faceforge_adapters.storage.spool import spool
from faceforge_domain.errors import DigestMismatch, InsufficientStorage, Unavailable
from faceforge_domain.ids import ContentHasher, content_hash
from faceforge_domain.models import LocalFile, Payload, StorageLocation, StoredBlob

PROVIDER = "s3"
READ_CHUNK = 1024 * 1024
# Parts sent at once: throughput on a local weed, at a memory cost of this many parts.
PARTS_IN_FLIGHT = 2
# Multipart uploads whose hash was not known when they started keep a key of their own under this prefix.
STREAMED_PREFIX = "streamed/"
# What a request to S3 raises when the endpoint refuses it or the connection breaks (aiobotocore lets
# aiohttp's own errors through for a body being sent or received).
S3_ERRORS = (BotoCoreError, ClientError, aiohttp.ClientError)
MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


class S3Unavailable(Unavailable):
    """The S3 endpoint cannot be reached or refused the request (down, wrong credentials...)."""


@dataclass(frozen=True, slots=True)
class Staged:
    """A stream durably written to a local file, with its hash and size."""

    path: Path
    sha256: str
    size: int


def _write_batch(handle: BinaryIO, hasher: ContentHasher, data: bytearray) -> None:
    hasher.update(data)
    handle.write(data)


def _sync_close(handle: BinaryIO) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        handle.close()


async def stage_stream(chunks: AsyncIterable[bytes], tmp_dir: Path) -> Staged:
    """Write ``chunks`` to a new file in ``tmp_dir``, hashing in worker threads; the caller removes it.

    On any failure the partial file is removed and the error raised (a full disk becomes
    ``InsufficientStorage``).
    """
    await anyio.to_thread.run_sync(lambda: tmp_dir.mkdir(parents=True, exist_ok=True))
    path = tmp_dir / f"stage-{secrets.token_hex(12)}.part"
    hasher = ContentHasher()
    try:
        handle = await anyio.to_thread.run_sync(path.open, "xb")
        try:
            await spool(chunks, partial(_write_batch, handle, hasher))
        finally:
            await anyio.to_thread.run_sync(_sync_close, handle)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InsufficientStorage("not enough disk space to stage the file") from exc
        raise
    return Staged(path=path, sha256=hasher.hexdigest(), size=hasher.size)


async def _gathered(chunks: AsyncIterable[bytes], size: int) -> AsyncIterator[bytes]:
    """``chunks`` gathered into pieces of at least ``size`` bytes (the last one may be smaller). Joined
    once each: every byte is copied at most once (a growing buffer copied it twice), and a chunk as
    large as ``size`` goes on as it is."""
    pieces: list[bytes] = []
    filled = 0
    async for chunk in chunks:
        pieces.append(chunk)
        filled += len(chunk)
        if filled >= size:
            piece = b"".join(pieces)  # one chunk alone is passed on as it is, not copied
            pieces, filled = [], 0
            yield piece  # the chunks went before the yield, the piece goes after it: each byte held once
            del piece
    if pieces:
        yield b"".join(pieces)


async def _body_pieces(body: Any) -> AsyncIterator[bytes]:
    """A response body as aiohttp hands it over: what it has buffered, up to ``READ_CHUNK`` (on
    loopback mostly one socket read of at most 256 KiB). They are gathered into ``READ_CHUNK`` pieces
    before they go on, which costs the server's response far fewer trips per byte."""
    while piece := await body.read(READ_CHUNK):
        yield piece


async def _file_parts(handle: BinaryIO, size: int) -> AsyncIterator[bytes]:
    while body := await anyio.to_thread.run_sync(handle.read, size):
        yield body


async def _next_part(parts: AsyncIterator[bytes], failed: list[BaseException]) -> bytes | None:
    """The next part, or None at the end or when reading failed (the error is kept in ``failed``, to be
    raised as itself once the parts in flight have settled, not inside an exception group)."""
    try:
        return await anext(parts, None)
    except Exception as exc:  # noqa: BLE001  (raised by the caller)
        failed.append(exc)
        return None


@dataclass(frozen=True, slots=True)
class S3Settings:
    """How to reach the bucket; built from ``storage.s3`` (or the managed SeaweedFS)."""

    endpoint_url: str | None
    access_key: str
    secret_key: str
    bucket: str
    region: str = "us-east-1"
    use_ssl: bool = False
    part_size_bytes: int = 16 * 1024 * 1024
    connect_timeout: float = 5.0

    @classmethod
    def from_config(cls, s3: S3Config, *, endpoint_url: str | None = None) -> S3Settings:
        return cls(
            endpoint_url=endpoint_url or s3.endpoint_url,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            bucket=s3.bucket,
            region=s3.region,
            use_ssl=s3.use_ssl,
            part_size_bytes=s3.part_size_bytes,
        )


def open_client(s: S3Settings) -> AbstractAsyncContextManager[Any]:
    """An aiobotocore S3 client (path-style addressing, bounded retries and timeouts)."""
    config = BotoConfig(
        s3={"addressing_style": "path"},
        connect_timeout=s.connect_timeout,
        read_timeout=120,
        retries={"max_attempts": 4, "mode": "standard"},  # standard mode retries InternalError, throttling
        signature_version="s3v4",
        # The SHA-256 Core computes for every blob vouches for its bytes; botocore's own
        # checksum of each part (CRC32 by default) would cost a second pass over them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return aioboto3.Session().client(  # type: ignore[no-any-return]
        "s3",
        endpoint_url=s.endpoint_url,
        aws_access_key_id=s.access_key or None,
        aws_secret_access_key=s.secret_key or None,
        region_name=s.region,
        use_ssl=s.use_ssl,
        config=config,
    )


def error_code(exc: ClientError) -> str:
    error: dict[str, Any] = exc.response.get("Error", {})
    return str(error.get("Code", ""))


class S3BlobStore:
    """The ``BlobStore`` port over S3: one long-lived client, opened on first use, closed by ``aclose``."""

    name = PROVIDER

    def __init__(self, settings: S3Settings, tmp_dir: Path) -> None:
        self.settings = settings
        self.tmp_dir = tmp_dir
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None
        self._lock = anyio.Lock()
        self._bucket_ready = False

    @property
    def bucket(self) -> str:
        return self.settings.bucket

    async def client(self) -> Any:
        """The aiobotocore S3 client (path-style addressing, bounded retries and timeouts)."""
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                self._client = await stack.enter_async_context(open_client(self.settings))
                self._stack = stack
            return self._client

    async def aclose(self) -> None:
        async with self._lock:
            if self._stack is not None:
                await self._stack.aclose()
            self._stack = None
            self._client = None

    async def healthy(self) -> bool:
        """True when an authenticated ListBuckets succeeds."""
        try:
            client = await self.client()
            await client.list_buckets()
        except (BotoCoreError, ClientError, OSError):
            return False
        return True

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (once per store)."""
        if self._bucket_ready:
            return
        client = await self.client()
        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) not in MISSING:
                raise
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                await client.create_bucket(Bucket=self.bucket)
        self._bucket_ready = True

    def location_for(self, sha256: str) -> StorageLocation:
        return StorageLocation(provider=PROVIDER, key=content_key(sha256), bucket=self.bucket)

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        ahead = await ReadAhead.take(chunks, self.settings.part_size_bytes)
        return await self.put_read_ahead(ahead, expected_sha256=expected_sha256)

    async def put_read_ahead(self, ahead: ReadAhead, *, expected_sha256: str | None = None) -> StoredBlob:
        """Store a stream whose first part was read ahead.

        A stream that fits in one part goes up in one PUT under its content key. A longer one is sent as
        a multipart upload while it arrives (the next part is read and hashed while the previous ones
        are in flight) under its content key when ``expected_sha256`` names it, else under a key of its
        own (``streamed/<random>``): its hash is known only at the end, and S3 cannot rename. The
        multipart upload is created before anything past the head is read, so an unreachable endpoint
        raises ``S3Unavailable`` while ``ahead.replay()`` can still give every byte to another store.
        Bytes that miss ``expected_sha256`` abort the upload and raise ``DigestMismatch``.
        """
        if ahead.ended:
            data = bytes(ahead.head)
            sha = await anyio.to_thread.run_sync(content_hash, data)
            DigestMismatch.check(sha, expected_sha256)
            return await self._put_whole(data, sha)
        key = content_key(expected_sha256) if expected_sha256 else f"{STREAMED_PREFIX}{secrets.token_hex(16)}"
        try:
            await self.ensure_bucket()
            sha, size = await self._stream(ahead, key, expected_sha256)
        except S3_ERRORS as exc:
            raise S3Unavailable(f"S3 upload failed: {exc}") from exc
        return StoredBlob(
            location=StorageLocation(provider=PROVIDER, key=key, bucket=self.bucket),
            size_bytes=size,
            sha256=sha,
        )

    async def _put_whole(self, data: bytes, sha256: str) -> StoredBlob:
        location = self.location_for(sha256)
        try:
            await self.ensure_bucket()
            if await self._stat(location) != len(data):
                client = await self.client()
                await client.put_object(Bucket=self.bucket, Key=location.key, Body=data)
        except S3_ERRORS as exc:
            raise S3Unavailable(f"S3 upload failed: {exc}") from exc
        return StoredBlob(location=location, size_bytes=len(data), sha256=sha256)

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        return await put_each(self, payloads)

    async def put_local(self, local: LocalFile, *, kind: str | None = None) -> StoredBlob:
        return await self.put_file(Staged(path=Path(local.path), sha256=local.sha256, size=local.size))

    async def put_file(self, staged: Staged, *, replace: bool = False) -> StoredBlob:
        """Upload a staged file under its content key (skipped when an object of that size is there
        already, unless ``replace``: a repair overwrites damaged bytes of the same size).

        Raises ``S3Unavailable`` when the endpoint cannot be reached or refuses the request.
        """
        location = self.location_for(staged.sha256)
        try:
            await self.ensure_bucket()
            if replace or await self._stat(location) != staged.size:
                await self._upload(staged, location.key)
        except S3_ERRORS as exc:
            raise S3Unavailable(f"S3 upload failed: {exc}") from exc
        return StoredBlob(location=location, size_bytes=staged.size, sha256=staged.sha256)

    async def _stream(self, ahead: ReadAhead, key: str, expected_sha256: str | None) -> tuple[str, int]:
        """Send ``ahead`` as a multipart upload to ``key``, hashing each part before it goes."""
        hasher = ContentHasher()

        async def hashed_parts() -> AsyncIterator[bytes]:
            async for part in _gathered(ahead.replay(), self.settings.part_size_bytes):
                await anyio.to_thread.run_sync(hasher.update, part)
                yield part

        await self._multipart(
            key, hashed_parts(), lambda: DigestMismatch.check(hasher.hexdigest(), expected_sha256)
        )
        return hasher.hexdigest(), hasher.size

    async def _upload(self, staged: Staged, key: str) -> None:
        part_size = self.settings.part_size_bytes
        handle = await anyio.to_thread.run_sync(staged.path.open, "rb")
        try:
            if staged.size <= part_size:
                body = await anyio.to_thread.run_sync(handle.read)
                client = await self.client()
                await client.put_object(Bucket=self.bucket, Key=key, Body=body)
            else:
                await self._multipart(key, _file_parts(handle, part_size))
        finally:
            await anyio.to_thread.run_sync(handle.close)

    async def _multipart(
        self, key: str, parts: AsyncIterator[bytes], check: Callable[[], None] = lambda: None
    ) -> None:
        """One multipart upload of ``parts``; ``check`` may refuse it before it completes. Aborted on
        any failure, so no orphan parts stay in the bucket."""
        client = await self.client()
        upload_id = (await client.create_multipart_upload(Bucket=self.bucket, Key=key))["UploadId"]
        try:
            sent = await self._send_parts(client, parts, key, upload_id)
            check()
            await client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": sent}
            )
        except BaseException:
            with anyio.CancelScope(shield=True), contextlib.suppress(*S3_ERRORS):
                await client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise

    async def _send_parts(
        self, client: Any, parts: AsyncIterator[bytes], key: str, upload_id: str
    ) -> list[dict[str, Any]]:
        """Upload the parts, ``PARTS_IN_FLIGHT`` at a time (memory: that many parts and the next one)."""
        etags: dict[int, str] = {}
        failures: list[BaseException] = []
        slots = anyio.Semaphore(PARTS_IN_FLIGHT)

        async def send(number: int, body: bytes, scope: anyio.CancelScope) -> None:
            try:
                done = await client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
                )
                etags[number] = done["ETag"]
            except S3_ERRORS as exc:
                failures.append(exc)
                scope.cancel()
            finally:
                slots.release()

        reading: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            number = 1
            while True:
                body = await _next_part(parts, reading)
                if body is None:
                    break
                await slots.acquire()
                tg.start_soon(send, number, body, tg.cancel_scope)
                number += 1
                del body
        if reading:
            raise reading[0]
        if failures:
            raise failures[0]
        return [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]

    async def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        client = await self.client()
        async for chunk in stream_object(client, location.bucket or self.bucket, location.key, start, end):
            yield chunk

    async def listing(self) -> AsyncIterator[tuple[str, int, datetime]]:
        """Every object in the bucket: key, size and when it was last written."""
        client = await self.client()
        try:
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            async for page in pages:
                for item in page.get("Contents", []):
                    yield str(item["Key"]), int(item["Size"]), item["LastModified"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                return
            raise S3Unavailable(f"S3 listing failed: {exc}") from exc
        except S3_ERRORS as exc:
            raise S3Unavailable(f"S3 listing failed: {exc}") from exc

    async def _stat(self, location: StorageLocation) -> int | None:
        client = await self.client()
        try:
            head = await client.head_object(Bucket=location.bucket or self.bucket, Key=location.key)
        except ClientError as exc:
            if error_code(exc) in MISSING:
                return None
            raise
        return int(head["ContentLength"])

    async def stat(self, location: StorageLocation) -> int | None:
        try:
            return await self._stat(location)
        except S3_ERRORS as exc:
            raise S3Unavailable(f"S3 stat failed: {exc}") from exc

    async def delete(self, location: StorageLocation) -> None:
        client = await self.client()
        try:
            await client.delete_object(Bucket=location.bucket or self.bucket, Key=location.key)
        except ClientError as exc:
            if error_code(exc) not in MISSING:
                raise S3Unavailable(f"S3 delete failed: {exc}") from exc
        except BotoCoreError as exc:
            raise S3Unavailable(f"S3 delete failed: {exc}") from exc


async def stream_object(
    client: Any, bucket: str, key: str, start: int = 0, end: int | None = None
) -> AsyncIterator[bytes]:
    """Bytes ``start..end`` (inclusive; None: to the end) of an object, streamed by a GET.

    A missing object raises ``FileNotFoundError``; an endpoint that fails or breaks off mid-body
    raises ``S3Unavailable``.
    """
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if start > 0 or end is not None:
        request["Range"] = f"bytes={start}-{'' if end is None else end}"
    try:
        response = await client.get_object(**request)
    except ClientError as exc:
        if error_code(exc) in MISSING:
            raise FileNotFoundError(key) from exc
        if error_code(exc) == "InvalidRange":  # past the end: nothing to send
            return
        raise S3Unavailable(f"S3 download failed: {exc}") from exc
    except BotoCoreError as exc:
        raise S3Unavailable(f"S3 download failed: {exc}") from exc
    body = response["Body"]
    try:
        async for chunk in _gathered(_body_pieces(body), READ_CHUNK):
            yield chunk
    except (*S3_ERRORS, TimeoutError) as exc:  # the endpoint went away mid-body
        raise S3Unavailable(f"S3 download broke off: {exc}") from exc
    finally:
        body.close()
