"""What resumable uploads need from storage: durable partial bytes with their offset and running hash."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

import msgspec

from faceforge_domain.models import LocalFile
from faceforge_domain.uploads.model import UploadRecord


class PartialUsage(msgspec.Struct, kw_only=True):
    """How many uploads are held and how many bytes they take on disk."""

    uploads: int
    bytes: int


class PartialUploadStore(Protocol):
    async def create(self, record: UploadRecord) -> None:
        """Start an empty upload whose state is ``record``."""
        ...

    async def load(self, upload_id: str) -> UploadRecord | None: ...

    async def save(self, record: UploadRecord) -> None:
        """Replace the upload's state (never its bytes or running hash)."""
        ...

    async def append(
        self, record: UploadRecord, chunks: AsyncIterable[bytes], *, chunk_sha256: bytes | None
    ) -> UploadRecord:
        """Write ``chunks`` at ``record.offset`` and return the record with the offset moved, persisted.

        The offset is persisted along the way, never ahead of durable bytes. With ``chunk_sha256``, the
        bytes are kept only if their digest matches (``ChecksumMismatch`` otherwise). When the stream
        fails with ``Interrupted`` and no checksum was given, the bytes received so far are kept;
        any other failure leaves the upload as it was before the call.
        """
        ...

    async def sha256(self, record: UploadRecord) -> str:
        """The hex SHA-256 of the ``record.offset`` bytes received, from the running hash."""
        ...

    def read(self, upload_id: str) -> AsyncIterator[bytes]:
        """The bytes received, from the start."""
        ...

    async def local_file(self, record: UploadRecord) -> LocalFile | None:
        """The received bytes as a durable local file a blob store can take over; None: ``read`` them."""
        ...

    async def drop_bytes(self, upload_id: str) -> None:
        """Free the bytes of a finished upload; its state stays for status queries."""
        ...

    async def remove(self, upload_id: str) -> None:
        """Forget the upload: bytes and state."""
        ...

    async def all(self) -> list[UploadRecord]: ...

    async def usage(self) -> PartialUsage: ...
