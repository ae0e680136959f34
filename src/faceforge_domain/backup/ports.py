"""What backups need from the world: a consistent database snapshot and a place to keep backups."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec

from faceforge_domain.backup.models import DatabaseCopy, Manifest
from faceforge_domain.errors import Unavailable
from faceforge_domain.models import StorageLocation


class TargetUnavailable(Unavailable):
    """The backup location itself failed (unreachable, refused, gone): no further blob can be written,
    so the backup stops at once instead of reporting every remaining blob."""


class Digest(msgspec.Struct, frozen=True):
    """What stored bytes hash to, and how many there are."""

    sha256: str
    size_bytes: int


class SnapshotBlob(msgspec.Struct, frozen=True, kw_only=True):
    """A blob the snapshot references: its asset, where its bytes are, and the entities it serves."""

    asset_id: str
    size_bytes: int
    location: StorageLocation
    entity_ids: list[str]


class DatabaseSnapshot(Protocol):
    """A consistent copy of the database taken while Core keeps serving."""

    @property
    def schema_version(self) -> int: ...

    @property
    def blobs(self) -> list[SnapshotBlob]: ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The copy's bytes."""
        ...


class DatabaseSnapshots(Protocol):
    def take(self, *, leave_out_job: str | None = None) -> AbstractAsyncContextManager[DatabaseSnapshot]:
        """A snapshot, removed when the block ends; ``leave_out_job`` (the backup's own job) is dropped
        from the copy, so a restored library does not find a backup it never finishes."""
        ...


class BackupTarget(Protocol):
    """One backup location (a folder, an S3 prefix): content-addressed blobs shared by every snapshot,
    and per snapshot a database copy and a manifest.

    Every write is durable before it returns; a blob or a database copy becomes visible under its name
    only once complete and checked, and a snapshot is listed only once its manifest is published.
    """

    @property
    def where(self) -> str: ...

    async def snapshots(self) -> list[Manifest]:
        """Every complete snapshot, oldest first."""
        ...

    async def sweep_unfinished(self) -> list[str]:
        """Remove what an interrupted backup left (snapshots without manifest, partial files)."""
        ...

    async def blob_sizes(self) -> dict[str, int]:
        """Every named blob and its size (one walk: a backup asks once, not once per blob)."""
        ...

    async def blob_digest(self, sha256: str) -> Digest | None:
        """The SHA-256 and size of the stored blob's bytes, read again; None when it is not there."""
        ...

    async def database_digest(self, snapshot_id: str) -> Digest | None:
        """The same for a snapshot's database copy."""
        ...

    async def put_blob(self, sha256: str, chunks: AsyncIterable[bytes]) -> None:
        """Store the bytes under ``sha256``, hashing them as they are written: other bytes raise
        ``DigestMismatch`` and leave nothing behind."""
        ...

    async def put_database(self, snapshot_id: str, chunks: AsyncIterable[bytes]) -> DatabaseCopy:
        """Store the snapshot's database copy, returning its hash and size."""
        ...

    async def publish(self, manifest: Manifest) -> None:
        """Write the manifest atomically: from then on the snapshot is complete."""
        ...

    async def remove_snapshot(self, snapshot_id: str) -> None:
        """Unlist the snapshot (its manifest goes first), then remove its folder."""
        ...

    async def remove_blob(self, sha256: str) -> None: ...

    def read_blob(self, sha256: str) -> AsyncIterator[bytes]: ...

    def read_database(self, snapshot_id: str) -> AsyncIterator[bytes]: ...


class BackupTargets(Protocol):
    """Opens backup locations named by the user: a folder, or ``s3://bucket/prefix`` reached at
    ``endpoint_url`` (None: the configured endpoint)."""

    def check(self, where: str, *, endpoint_url: str | None = None) -> None:
        """Raise ``Invalid`` when ``where`` cannot name a backup location."""
        ...

    def for_writing(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AbstractAsyncContextManager[BackupTarget]:
        """The location, created when missing, held by this writer alone (``Conflict`` when another
        backup writes there now)."""
        ...

    def for_reading(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AbstractAsyncContextManager[BackupTarget]:
        """An existing location (``NotFound`` when there is no backup there)."""
        ...
