"""One S3 object written from a stream whose hash is checked before the object exists.

The stream is cut into parts of ``part_size``, each hashed as it is cut. A stream that fits in one part
is sent as one PUT once its hash is known. A longer one goes as a multipart upload, ``PARTS_IN_FLIGHT``
parts at a time (memory: about four parts, whatever the object's size), completed only after its last byte
hashed to what was expected; any failure, mismatch or cancel aborts it, so S3 never lists an object
whose bytes were not checked, and keeps no orphan parts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any

import anyio

from faceforge_adapters.storage.s3 import S3_ERRORS
from faceforge_domain.backup.ports import Digest
from faceforge_domain.backup.workers import first_error
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.ids import ContentHasher

PARTS_IN_FLIGHT = 2
Hook = Callable[[], Awaitable[None]]


async def cut_parts(
    chunks: AsyncIterable[bytes], part_size: int, hasher: ContentHasher
) -> AsyncGenerator[bytes, None]:
    """``chunks`` as parts of exactly ``part_size`` (the last may be shorter; an empty stream is one
    empty part), each hashed in a worker thread as it is cut."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_size:
            body = bytes(buffer[:part_size])
            del buffer[:part_size]
            await anyio.to_thread.run_sync(hasher.update, body)
            yield body
    if buffer or hasher.size == 0:
        body = bytes(buffer)
        await anyio.to_thread.run_sync(hasher.update, body)
        yield body


class MultipartUpload:
    """A multipart upload: parts sent a few at a time, then completed, or aborted."""

    def __init__(self, client: Any, request: dict[str, str]) -> None:
        self._client = client
        self._request = request  # Bucket, Key, UploadId
        self._etags: dict[int, str] = {}

    @classmethod
    async def create(cls, client: Any, bucket: str, key: str) -> MultipartUpload:
        started = await client.create_multipart_upload(Bucket=bucket, Key=key)
        return cls(client, {"Bucket": bucket, "Key": key, "UploadId": started["UploadId"]})

    async def send_all(self, parts: AsyncIterable[bytes], before_each: Hook | None) -> None:
        slots = anyio.Semaphore(PARTS_IN_FLIGHT)
        try:
            async with anyio.create_task_group() as group:
                async for body in parts:
                    await slots.acquire()
                    if before_each is not None:
                        await before_each()
                    number = len(self._etags) + 1
                    self._etags[number] = ""
                    group.start_soon(self._send, number, body, slots)
        except BaseExceptionGroup as grouped:
            first = first_error(grouped)
            raise first from first.__cause__

    async def _send(self, number: int, body: bytes, slots: anyio.Semaphore) -> None:
        try:
            done = await self._client.upload_part(**self._request, PartNumber=number, Body=body)
            self._etags[number] = done["ETag"]
        finally:
            slots.release()

    async def complete(self) -> None:
        parts = [{"PartNumber": n, "ETag": tag} for n, tag in sorted(self._etags.items())]
        await self._client.complete_multipart_upload(**self._request, MultipartUpload={"Parts": parts})

    async def abort(self) -> None:
        """Best effort, shielded from the cancel that may have caused it; a leftover is swept later."""
        with anyio.CancelScope(shield=True), contextlib.suppress(*S3_ERRORS):
            await self._client.abort_multipart_upload(**self._request)


async def _chain(read: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The parts already ``read`` (each let go of once handed on: memory stays a few parts), then
    ``rest``."""
    while read:
        yield read.pop(0)
    async for body in rest:
        yield body


async def upload_checked(
    client: Any,
    bucket: str,
    key: str,
    chunks: AsyncIterable[bytes],
    *,
    part_size: int,
    expected: str | None,
    before_each_part: Hook | None = None,
) -> Digest:
    """Write ``chunks`` to ``key``; with ``expected``, other bytes raise ``DigestMismatch`` and leave
    nothing. ``before_each_part`` runs before each part of a multipart upload is sent."""
    hasher = ContentHasher()
    async with contextlib.aclosing(cut_parts(chunks, part_size, hasher)) as parts:
        first = await anext(parts)
        second = await anext(parts, None)
        if second is None:
            DigestMismatch.check(hasher.hexdigest(), expected)
            await client.put_object(Bucket=bucket, Key=key, Body=first)
            return Digest(hasher.hexdigest(), hasher.size)
        read = [first, second]
        del first, second  # held by ``read`` until sent, not by this frame for the whole upload
        upload = await MultipartUpload.create(client, bucket, key)
        try:
            await upload.send_all(_chain(read, parts), before_each_part)
            DigestMismatch.check(hasher.hexdigest(), expected)
            await upload.complete()
        except BaseException:
            await upload.abort()
            raise
    return Digest(hasher.hexdigest(), hasher.size)
