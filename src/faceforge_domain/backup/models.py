"""What a backup holds: the manifest of one snapshot and the blobs it names.

A snapshot is complete exactly when its manifest exists; the manifest lists the database copy and,
for every blob the database references, its SHA-256, size, provider and the entities it is linked to
(so a damaged blob can be reported by what the user knows it as).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from faceforge_domain.jobs.models import JsonObject

FORMAT_VERSION = 1
DATABASE_FILE = "core.sqlite3"


class BackupBlob(msgspec.Struct, frozen=True, kw_only=True):
    """One stored file: ``sha256`` is also the asset id, ``provider`` where Core kept its bytes."""

    sha256: str
    size_bytes: int
    provider: str
    entity_ids: list[str] = msgspec.field(default_factory=list)


class DatabaseCopy(msgspec.Struct, frozen=True, kw_only=True):
    """The snapshot's SQLite file, checked like a blob."""

    file: str = DATABASE_FILE
    sha256: str
    size_bytes: int


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """Written last and atomically: a snapshot without one is unfinished and never listed."""

    format_version: int = FORMAT_VERSION
    snapshot_id: str
    faceforge_version: str
    schema_version: int
    created_at: str
    database: DatabaseCopy
    config: JsonObject
    blobs: list[BackupBlob]

    @property
    def bytes_total(self) -> int:
        return self.database.size_bytes + sum(blob.size_bytes for blob in self.blobs)


class SnapshotSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A complete snapshot as a listing shows it."""

    snapshot_id: str
    created_at: str
    faceforge_version: str
    schema_version: int
    blobs: int
    bytes_total: int

    @classmethod
    def of(cls, manifest: Manifest) -> SnapshotSummary:
        return cls(
            snapshot_id=manifest.snapshot_id,
            created_at=manifest.created_at,
            faceforge_version=manifest.faceforge_version,
            schema_version=manifest.schema_version,
            blobs=len(manifest.blobs),
            bytes_total=manifest.bytes_total,
        )


class BackupCreateInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``target``: the backup folder (absolute) or ``s3://bucket/prefix``; ``endpoint_url``: the S3
    endpoint of an ``s3://`` target (default: ``backup.s3.endpoint_url``; never credentials, which come
    from the configuration); ``keep``: how many complete snapshots to keep."""

    target: str
    endpoint_url: str | None = None
    keep: Annotated[int, msgspec.Meta(ge=1)] | None = None
