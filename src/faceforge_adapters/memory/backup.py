"""In-memory backup targets and database snapshots, for the domain's backup tests."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from faceforge_domain.backup.models import DatabaseCopy, Manifest
from faceforge_domain.backup.ports import Digest, SnapshotBlob
from faceforge_domain.errors import Conflict, DigestMismatch, InsufficientStorage, Invalid, NotFound
from faceforge_domain.ids import ContentHasher, content_hash


@dataclass(frozen=True, slots=True)
class InMemorySnapshot:
    schema_version: int
    blobs: list[SnapshotBlob]
    data: bytes

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self.data


@dataclass(slots=True)
class InMemorySnapshots:
    """Snapshots of whatever ``blobs`` and ``data`` hold when ``take`` is called."""

    schema_version: int = 1
    blobs: list[SnapshotBlob] = field(default_factory=list)
    data: bytes = b"SQLite format 3\x00"
    left_out: list[str | None] = field(default_factory=list)

    @asynccontextmanager
    async def take(self, *, leave_out_job: str | None = None) -> AsyncIterator[InMemorySnapshot]:
        self.left_out.append(leave_out_job)
        yield InMemorySnapshot(self.schema_version, list(self.blobs), self.data)


class InMemoryBackupTarget:
    """A backup location in dicts; ``room`` (bytes) makes it fill up like a small disk."""

    def __init__(self, where: str, room: int | None = None) -> None:
        self._where = where
        self.room = room
        self.blobs: dict[str, bytes] = {}
        self.databases: dict[str, bytes] = {}
        self.manifests: dict[str, Manifest] = {}
        self.blob_writes = 0

    @property
    def where(self) -> str:
        return self._where

    async def snapshots(self) -> list[Manifest]:
        return sorted(self.manifests.values(), key=lambda m: (m.created_at, m.snapshot_id))

    async def sweep_unfinished(self) -> list[str]:
        unfinished = [s for s in self.databases if s not in self.manifests]
        for snapshot_id in unfinished:
            del self.databases[snapshot_id]
        return [f"snapshots/{s}" for s in unfinished]

    async def blob_sizes(self) -> dict[str, int]:
        return {sha256: len(data) for sha256, data in self.blobs.items()}

    async def blob_digest(self, sha256: str) -> Digest | None:
        data = self.blobs.get(sha256)
        return None if data is None else Digest(content_hash(data), len(data))

    async def database_digest(self, snapshot_id: str) -> Digest | None:
        data = self.databases.get(snapshot_id)
        return None if data is None else Digest(content_hash(data), len(data))

    async def _gather(self, chunks: AsyncIterable[bytes]) -> tuple[bytes, ContentHasher]:
        hasher, data = ContentHasher(), bytearray()
        async for chunk in chunks:
            hasher.update(chunk)
            data += chunk
            if self.room is not None and self.used() + len(data) > self.room:
                raise InsufficientStorage(f"the backup target {self._where} is full")
        return bytes(data), hasher

    def used(self) -> int:
        return sum(map(len, self.blobs.values())) + sum(map(len, self.databases.values()))

    async def put_blob(self, sha256: str, chunks: AsyncIterable[bytes]) -> None:
        data, hasher = await self._gather(chunks)
        DigestMismatch.check(hasher.hexdigest(), sha256)
        self.blobs[sha256] = data
        self.blob_writes += 1

    async def put_database(self, snapshot_id: str, chunks: AsyncIterable[bytes]) -> DatabaseCopy:
        data, hasher = await self._gather(chunks)
        self.databases[snapshot_id] = data
        return DatabaseCopy(sha256=hasher.hexdigest(), size_bytes=hasher.size)

    async def publish(self, manifest: Manifest) -> None:
        self.manifests[manifest.snapshot_id] = manifest

    async def remove_snapshot(self, snapshot_id: str) -> None:
        self.manifests.pop(snapshot_id, None)
        self.databases.pop(snapshot_id, None)

    async def remove_blob(self, sha256: str) -> None:
        self.blobs.pop(sha256, None)

    async def read_blob(self, sha256: str) -> AsyncIterator[bytes]:
        if sha256 not in self.blobs:
            raise FileNotFoundError(sha256)
        yield self.blobs[sha256]

    async def read_database(self, snapshot_id: str) -> AsyncIterator[bytes]:
        if snapshot_id not in self.databases:
            raise FileNotFoundError(snapshot_id)
        yield self.databases[snapshot_id]


class InMemoryBackupTargets:
    """Targets by name; a name starting with ``/`` is valid. ``busy`` names are being written."""

    def __init__(self) -> None:
        self.targets: dict[str, InMemoryBackupTarget] = {}
        self.busy: set[str] = set()

    def check(self, where: str, *, endpoint_url: str | None = None) -> None:
        if endpoint_url is not None:
            raise Invalid.one("input/endpoint_url", "an endpoint URL goes with an s3:// target only")
        if not where.startswith("/"):
            raise Invalid.one("input/target", f"the backup folder must be an absolute path, not {where!r}")

    @asynccontextmanager
    async def for_reading(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[InMemoryBackupTarget]:
        self.check(where, endpoint_url=endpoint_url)
        if where not in self.targets:
            raise NotFound("backup", where)
        yield self.targets[where]

    @asynccontextmanager
    async def for_writing(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[InMemoryBackupTarget]:
        self.check(where, endpoint_url=endpoint_url)
        if where in self.busy:
            raise Conflict(f"another backup is writing to {where} right now")
        self.busy.add(where)
        try:
            yield self.targets.setdefault(where, InMemoryBackupTarget(where))
        finally:
            self.busy.discard(where)
