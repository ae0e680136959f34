"""Resumable uploads as use cases: create, append at an offset, finish through ingest, terminate, expire.

The protocol's rules live here (offsets must match, no byte past the announced length, one append at
a time per upload, expiry); the partial-upload store keeps the bytes, offset and running hash durable.
When the last byte arrives the upload goes through the same ``AssetService.ingest`` as any upload.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta

import anyio
from anyio.abc import TaskStatus

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, Gone, Invalid, Locked, NotFound, PayloadTooLarge
from faceforge_domain.ids import is_id, new_id
from faceforge_domain.services.assets import AssetService
from faceforge_domain.uploads.model import FINGERPRINT_KEY, UploadRecord, ingest_options
from faceforge_domain.uploads.ports import PartialUploadStore, PartialUsage

log = logging.getLogger("faceforge.uploads")


def past_length(length: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request carries bytes past the upload's length ({length} bytes)")


async def within(chunks: AsyncIterable[bytes], room: int, length: int) -> AsyncIterator[bytes]:
    """``chunks``, refused as soon as they would carry more than ``room`` bytes."""
    async for chunk in chunks:
        room -= len(chunk)
        if room < 0:
            raise past_length(length)
        yield chunk


class ResumableUploads:
    def __init__(
        self,
        store: PartialUploadStore,
        assets: AssetService,
        clock: Clock,
        *,
        max_bytes: int,
        expire_after: timedelta,
    ) -> None:
        self._store = store
        self._assets = assets
        self._clock = clock
        self.max_bytes = max_bytes
        self.expire_after = expire_after
        self._busy: set[str] = set()

    async def create(self, length: int, metadata: dict[str, str]) -> UploadRecord:
        """A new, empty upload of ``length`` bytes; the metadata is checked now, not at the end.

        An upload of 0 bytes has all its bytes already: it is stored as an (empty) asset at once.
        """
        if length < 0:
            raise Invalid.one("Upload-Length", "must be a whole number of bytes, 0 or more")
        if length > self.max_bytes:
            raise PayloadTooLarge(f"the upload is larger than uploads.max_bytes ({self.max_bytes} bytes)")
        upload_id = new_id()
        await self._assets.check_options(ingest_options(metadata, upload_id))
        await self._assets.check_room(length)
        now = self._clock.now()
        record = UploadRecord(
            upload_id=upload_id,
            length=length,
            metadata=metadata,
            created_at=now,
            expires_at=now + self.expire_after,
        )
        await self._store.create(record)
        log.info("upload created", extra={"upload_id": upload_id, "length": length})
        if length == 0:
            try:
                return await self._finish(record)
            except BaseException:  # the client never learns the upload: keep nothing of it
                with anyio.CancelScope(shield=True):
                    await self._store.remove(upload_id)
                raise
        return record

    async def get(self, upload_id: str) -> UploadRecord:
        """The upload's state; an expired one is removed and reported ``Gone``."""
        record = await self._store.load(upload_id) if is_id(upload_id) else None
        if record is None:
            raise NotFound("upload", upload_id)
        if record.expires_at <= self._clock.now() and upload_id not in self._busy:
            await self._store.remove(upload_id)
            raise Gone(f"upload {upload_id!r} expired at {record.expires_at.isoformat()} and was removed")
        return record

    async def find_resumable(self, fingerprint: str) -> UploadRecord | None:
        """The unfinished, unexpired upload created with this ``fingerprint`` metadata (a CLI re-run)."""
        now = self._clock.now()
        for record in await self._store.all():
            if (
                record.metadata.get(FINGERPRINT_KEY) == fingerprint
                and not record.complete
                and record.expires_at > now
            ):
                return record
        return None

    async def append(
        self,
        upload_id: str,
        offset: int,
        chunks: AsyncIterable[bytes],
        *,
        chunk_sha256: bytes | None = None,
        announced: int | None = None,
    ) -> UploadRecord:
        """Add bytes at ``offset``; the last one hands the whole upload to ingest.

        ``announced`` is how many bytes the request says it carries: too many is refused before
        the first is read. A finished upload takes no more bytes (``Conflict``), whatever they are.
        """
        record = await self.get(upload_id)
        if upload_id in self._busy:
            raise Locked(f"upload {upload_id!r} is receiving another request; retry when it ends")
        self._busy.add(upload_id)
        try:
            if record.complete:
                raise Conflict(
                    f"upload {upload_id!r} is already complete (asset {record.asset_id}); "
                    "it takes no more bytes"
                )
            if offset != record.offset:
                raise Conflict(f"Upload-Offset is {offset} but the upload is at {record.offset}")
            if announced is not None and offset + announced > record.length:
                raise past_length(record.length)
            record.expires_at = self._clock.now() + self.expire_after
            room = record.length - record.offset
            record = await self._store.append(
                record, within(chunks, room, record.length), chunk_sha256=chunk_sha256
            )
            if record.offset == record.length:
                record = await self._finish(record)
            return record
        finally:
            self._busy.discard(upload_id)

    async def _finish(self, record: UploadRecord) -> UploadRecord:
        """Ingest the received bytes; a wrong expected digest or refused options store nothing."""
        upload_id = record.upload_id
        digest = await self._store.sha256(record)
        expected = record.expected_sha256
        if expected is not None and digest != expected:
            await self._store.remove(upload_id)
            raise Invalid.one(
                "Upload-Metadata.sha256",
                f"the uploaded bytes have SHA-256 {digest}, not {expected}; nothing was stored",
            )
        options = ingest_options(record.metadata, upload_id)
        try:
            local = await self._store.local_file(record)
            if local is None:
                result = await self._assets.ingest(
                    self._store.read(upload_id), options, size_hint=record.length
                )
            else:
                result = await self._assets.ingest_local(local, options)
        except (Invalid, NotFound):  # the options went bad meanwhile (an entity deleted): start over
            await self._store.remove(upload_id)
            raise
        record.state = "complete"
        record.asset_id = result.asset.asset_id
        record.deduplicated = result.deduplicated
        record.expires_at = self._clock.now() + self.expire_after
        await self._store.save(record)
        await self._store.drop_bytes(upload_id)
        log.info("upload complete", extra={"upload_id": upload_id, "asset_id": record.asset_id})
        return record

    async def terminate(self, upload_id: str) -> None:
        """Remove the upload and its bytes (``termination``)."""
        await self.get(upload_id)
        if upload_id in self._busy:
            raise Locked(f"upload {upload_id!r} is receiving a request; retry when it ends")
        await self._store.remove(upload_id)
        log.info("upload terminated", extra={"upload_id": upload_id})

    async def expire(self) -> list[str]:
        """Remove every upload past its expiry that no request is using; returns their ids."""
        now = self._clock.now()
        removed = []
        for record in await self._store.all():
            if record.expires_at <= now and record.upload_id not in self._busy:
                await self._store.remove(record.upload_id)
                removed.append(record.upload_id)
        if removed:
            log.info("expired uploads removed", extra={"count": len(removed)})
        return removed

    async def run_expiry(
        self, interval: float, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """``expire`` every ``interval`` seconds until cancelled."""
        task_status.started()
        while True:
            try:
                await self.expire()
            except Exception:  # a disk hiccup must not stop the sweeper; it is logged in full
                log.exception("expiring uploads failed")
            await anyio.sleep(interval)

    async def usage(self) -> PartialUsage:
        return await self._store.usage()
