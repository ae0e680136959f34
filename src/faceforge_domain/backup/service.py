"""Backups as Core offers them: list a location's snapshots, restore a snapshot's blobs.

Creating a backup is a job (``create.py``); verifying one reads only the backup (``verify.py``), so it
needs no Core. These are the listing and the restore step that runs inside a freshly restored home.
"""

from __future__ import annotations

from faceforge_domain.backup.models import Manifest, SnapshotSummary
from faceforge_domain.backup.ports import BackupTarget, BackupTargets
from faceforge_domain.backup.restore import BlobRestore, Progress, RestoreResult
from faceforge_domain.errors import NotFound


async def newest_or_named(target: BackupTarget, snapshot_id: str | None) -> Manifest:
    """The named complete snapshot, or (no name) the newest."""
    found = await target.snapshots()
    if snapshot_id is None:
        if not found:
            raise NotFound("backup snapshot", f"any complete one in {target.where}")
        return found[-1]
    for manifest in found:
        if manifest.snapshot_id == snapshot_id:
            return manifest
    raise NotFound("backup snapshot", snapshot_id)


class BackupService:
    """``targets`` opens backup locations; ``restorer`` fills this Core's store from a snapshot."""

    def __init__(self, targets: BackupTargets, restorer: BlobRestore) -> None:
        self._targets = targets
        self._restorer = restorer

    async def snapshots(self, where: str, *, endpoint_url: str | None = None) -> list[SnapshotSummary]:
        """The complete snapshots at ``where``, newest first."""
        async with self._targets.for_reading(where, endpoint_url=endpoint_url) as target:
            return [SnapshotSummary.of(m) for m in reversed(await target.snapshots())]

    async def restore_blobs(
        self, target: BackupTarget, manifest: Manifest, progress: Progress | None = None
    ) -> RestoreResult:
        return await self._restorer.restore(target, manifest, progress)
