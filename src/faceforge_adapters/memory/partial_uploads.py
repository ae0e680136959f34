"""Partial uploads in memory: the same contract as the filesystem store, for domain tests."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterable, AsyncIterator

import msgspec

from faceforge_domain.errors import ChecksumMismatch, Interrupted
from faceforge_domain.models import LocalFile
from faceforge_domain.uploads.model import UploadRecord
from faceforge_domain.uploads.ports import PartialUsage


class InMemoryPartialUploads:
    def __init__(self) -> None:
        self.records: dict[str, UploadRecord] = {}
        self.data: dict[str, bytearray] = {}

    async def create(self, record: UploadRecord) -> None:
        self.records[record.upload_id] = msgspec.structs.replace(record)
        self.data[record.upload_id] = bytearray()

    async def load(self, upload_id: str) -> UploadRecord | None:
        found = self.records.get(upload_id)
        return None if found is None else msgspec.structs.replace(found)

    async def save(self, record: UploadRecord) -> None:
        self.records[record.upload_id] = msgspec.structs.replace(record)

    async def append(
        self, record: UploadRecord, chunks: AsyncIterable[bytes], *, chunk_sha256: bytes | None
    ) -> UploadRecord:
        received = bytearray()
        try:
            async for chunk in chunks:
                received += chunk
        except Interrupted:
            if chunk_sha256 is None:
                self._keep(record, received)
            raise
        if chunk_sha256 is not None and hashlib.sha256(received).digest() != chunk_sha256:
            raise ChecksumMismatch("the bytes do not match Upload-Checksum; they were discarded")
        return self._keep(record, received)

    def _keep(self, record: UploadRecord, received: bytearray) -> UploadRecord:
        data = self.data[record.upload_id]
        del data[record.offset :]
        data += received
        kept = msgspec.structs.replace(record, offset=len(data))
        self.records[record.upload_id] = kept
        return msgspec.structs.replace(kept)

    async def sha256(self, record: UploadRecord) -> str:
        return hashlib.sha256(self.data[record.upload_id][: record.offset]).hexdigest()

    async def read(self, upload_id: str) -> AsyncIterator[bytes]:
        yield bytes(self.data[upload_id])

    async def local_file(self, record: UploadRecord) -> LocalFile | None:
        return None  # nothing on disk: the service streams the bytes through ingest

    async def drop_bytes(self, upload_id: str) -> None:
        self.data[upload_id] = bytearray()

    async def remove(self, upload_id: str) -> None:
        self.records.pop(upload_id, None)
        self.data.pop(upload_id, None)

    async def all(self) -> list[UploadRecord]:
        return [msgspec.structs.replace(r) for r in self.records.values()]

    async def usage(self) -> PartialUsage:
        return PartialUsage(uploads=len(self.records), bytes=sum(len(d) for d in self.data.values()))
