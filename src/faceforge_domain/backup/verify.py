"""Checking a backup against its manifests: every blob there with its size, or (deep) its hash.

Each distinct blob is checked once however many snapshots share it; a problem names the asset, the
entities it is linked to and the snapshots that need it, so the user knows what is at risk.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from faceforge_domain.backup.models import Manifest
from faceforge_domain.backup.ports import BackupTarget
from faceforge_domain.backup.workers import side_by_side

HASH_WORKERS = 2
Problem = Literal["missing", "wrong_size", "corrupt"]


class BlobProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A blob (``asset_id``; None for a snapshot's database copy) that is not as its manifest says."""

    asset_id: str | None
    problem: Problem
    detail: str
    entity_ids: list[str]
    snapshot_ids: list[str]


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    where: str
    deep: bool
    snapshots: list[str]
    files_checked: int
    bytes_checked: int
    problems: list[BlobProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


class Expected(msgspec.Struct, kw_only=True):
    """One thing to check: a blob or a database copy, with who needs it."""

    asset_id: str | None
    sha256: str
    size_bytes: int
    entity_ids: list[str]
    snapshot_ids: list[str]
    database_of: str | None = None


def expectations(manifests: list[Manifest]) -> list[Expected]:
    """Every distinct blob the manifests name, then each snapshot's database copy."""
    blobs: dict[str, Expected] = {}
    for manifest in manifests:
        for blob in manifest.blobs:
            seen = blobs.get(blob.sha256)
            if seen is None:
                blobs[blob.sha256] = Expected(
                    asset_id=blob.sha256,
                    sha256=blob.sha256,
                    size_bytes=blob.size_bytes,
                    entity_ids=list(blob.entity_ids),
                    snapshot_ids=[manifest.snapshot_id],
                )
            else:
                seen.snapshot_ids.append(manifest.snapshot_id)
                seen.entity_ids = sorted(set(seen.entity_ids) | set(blob.entity_ids))
    databases = [
        Expected(
            asset_id=None,
            sha256=m.database.sha256,
            size_bytes=m.database.size_bytes,
            entity_ids=[],
            snapshot_ids=[m.snapshot_id],
            database_of=m.snapshot_id,
        )
        for m in manifests
    ]
    return [*blobs.values(), *databases]


async def verify_backup(target: BackupTarget, manifests: list[Manifest], *, deep: bool) -> VerifyReport:
    """Check every blob of ``manifests``; ``deep`` re-reads and re-hashes each one."""
    todo = expectations(manifests)
    problems: list[BlobProblem] = []
    checked = [0, 0]

    sizes = await target.blob_sizes()

    async def check(item: Expected) -> None:
        found = await _check(target, item, sizes, deep=deep)
        checked[0] += 1
        checked[1] += item.size_bytes
        if found is not None:
            problems.append(found)

    await side_by_side(todo, HASH_WORKERS if deep else 1, check)
    problems.sort(key=lambda p: (p.asset_id is None, p.asset_id or "", p.snapshot_ids))
    return VerifyReport(
        where=target.where,
        deep=deep,
        snapshots=[m.snapshot_id for m in manifests],
        files_checked=checked[0],
        bytes_checked=checked[1],
        problems=problems,
    )


def _problem(item: Expected, problem: Problem, detail: str) -> BlobProblem:
    what = (
        f"the database copy of snapshot {item.database_of}" if item.database_of else f"asset {item.asset_id}"
    )
    return BlobProblem(
        asset_id=item.asset_id,
        problem=problem,
        detail=f"{what}: {detail}",
        entity_ids=item.entity_ids,
        snapshot_ids=item.snapshot_ids,
    )


async def _check(
    target: BackupTarget, item: Expected, sizes: dict[str, int], *, deep: bool
) -> BlobProblem | None:
    if item.database_of is None:
        size = sizes.get(item.sha256)
        if size is None:
            return _problem(item, "missing", "not in the backup")
        if size != item.size_bytes:
            return _problem(item, "wrong_size", f"{size} bytes, the manifest says {item.size_bytes}")
        if not deep:
            return None
        found = await target.blob_digest(item.sha256)
    else:
        found = await target.database_digest(item.database_of)
    if found is None:
        return _problem(item, "missing", "not in the backup")
    if found.size_bytes != item.size_bytes:
        return _problem(item, "wrong_size", f"{found.size_bytes} bytes, the manifest says {item.size_bytes}")
    if found.sha256 != item.sha256:
        return _problem(item, "corrupt", f"its bytes hash to {found.sha256}, not {item.sha256}")
    return None
