"""InMemoryBlobStore: bytes in a dict, for domain tests."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence

import anyio

from faceforge_adapters.storage.payloads import put_each
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.ids import ContentHasher
from faceforge_domain.models import LocalFile, Payload, StorageLocation, StoredBlob


class InMemoryBlobStore:
    name = "memory"

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        hasher = ContentHasher()
        data = bytearray()
        async for chunk in chunks:
            hasher.update(chunk)
            data += chunk
        sha = hasher.hexdigest()
        DigestMismatch.check(sha, expected_sha256)
        self.blobs.setdefault(sha, bytes(data))
        location = StorageLocation(provider=self.name, key=sha)
        return StoredBlob(location=location, size_bytes=hasher.size, sha256=sha)

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        return await put_each(self, payloads)

    async def put_local(self, local: LocalFile, *, kind: str | None = None) -> StoredBlob:
        async def chunks() -> AsyncIterator[bytes]:
            yield await anyio.Path(local.path).read_bytes()

        return await self.put(chunks(), kind=kind)

    async def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        data = self.blobs.get(location.key)
        if data is None:  # as the filesystem and S3 stores say it
            raise FileNotFoundError(location.key)
        yield data[start : None if end is None else end + 1]

    async def stat(self, location: StorageLocation) -> int | None:
        data = self.blobs.get(location.key)
        return None if data is None else len(data)

    async def delete(self, location: StorageLocation) -> None:
        self.blobs.pop(location.key, None)
