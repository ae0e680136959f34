"""Restoring a bad or missing blob from the newest backup that holds it.

The backups are opened once for a whole scan and their manifests read once; for each blob the
candidates are every snapshot that names it, newest first across all backups. A candidate's bytes go
through ``StoreInventory.replace``, which checks their hash before they take the place of anything, so
a damaged backup copy is refused and the next older one is tried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from faceforge_domain.backup.ports import BackupTarget, BackupTargets
from faceforge_domain.errors import DigestMismatch, DomainError
from faceforge_domain.integrity.ports import StoreInventory


@dataclass(frozen=True, slots=True)
class Candidate:
    """A backup that holds a blob, as of the snapshot that names it."""

    created_at: str
    snapshot_id: str
    target: BackupTarget


class BackupCopies:
    """Every blob the opened backups hold, and the snapshots that name it, newest first."""

    def __init__(self) -> None:
        self._by_blob: dict[str, list[Candidate]] = {}
        self.where: list[str] = []
        self.unreadable: list[tuple[str, str]] = []

    async def add(self, target: BackupTarget) -> None:
        manifests = await target.snapshots()
        self.where.append(target.where)
        for manifest in manifests:
            for blob in manifest.blobs:
                self._by_blob.setdefault(blob.sha256, []).append(
                    Candidate(manifest.created_at, manifest.snapshot_id, target)
                )
        for candidates in self._by_blob.values():
            candidates.sort(key=lambda c: (c.created_at, c.snapshot_id), reverse=True)

    async def restore(self, sha256: str, inventory: StoreInventory) -> str | None:
        """Put the newest good backup copy in place; what was done, or None when no backup has it."""
        refused, tried = [], set()
        for candidate in self._by_blob.get(sha256, []):
            if candidate.target.where in tried:  # a backup holds one copy, shared by its snapshots
                continue
            tried.add(candidate.target.where)
            try:
                await inventory.replace(sha256, candidate.target.read_blob(sha256))
            except (DigestMismatch, FileNotFoundError) as exc:
                refused.append(f"{candidate.target.where} ({candidate.snapshot_id}): {exc}")
                continue
            return f"restored from {candidate.target.where}, snapshot {candidate.snapshot_id}"
        if refused:
            raise DomainError(f"no good backup copy: {'; '.join(refused)}")
        return None


@asynccontextmanager
async def backup_copies(targets: BackupTargets, where: Sequence[str]) -> AsyncIterator[BackupCopies]:
    """The backups at ``where`` that can be read, open while the block runs; ``unreadable`` says why
    the others cannot (a disk not plugged in must not stop the scan)."""
    copies = BackupCopies()
    async with AsyncExitStack() as opened:
        for place in where:
            try:
                await copies.add(await opened.enter_async_context(targets.for_reading(place)))
            except (DomainError, OSError) as exc:
                copies.unreadable.append((place, str(exc)))
        yield copies
