"""The ``core.backups.create`` job: snapshot the database, copy the blobs it references, publish.

Order is what makes a backup trustworthy: blobs first (each hashed while copied, synced, then named),
then the database copy, then the manifest, atomically and last. A backup interrupted anywhere before
the manifest leaves no listed snapshot, and its blobs are reused by the next run, which is how a
re-run after a crash resumes. Blobs already at the target with the right size are not copied again
(they were hashed when written there; ``verify --deep`` re-hashes them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from faceforge_domain.backup.models import BackupBlob, BackupCreateInput, Manifest
from faceforge_domain.backup.ports import (
    BackupTarget,
    BackupTargets,
    DatabaseSnapshots,
    SnapshotBlob,
    TargetUnavailable,
)
from faceforge_domain.backup.retention import blobs_needed, snapshots_to_prune
from faceforge_domain.backup.workers import side_by_side
from faceforge_domain.clock import Clock
from faceforge_domain.errors import DomainError, InsufficientStorage
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.ports import BlobStore
from faceforge_domain.timefmt import format_timestamp

JOB_TYPE = "core.backups.create"
# Blobs copied side by side: small files are dominated by per-file waits (open, read, write, rename).
COPY_WORKERS = 4


class BackupIncomplete(DomainError):
    """Some blobs could not be read or did not match their hash: no snapshot was published."""

    code = "damaged"


@dataclass(slots=True)
class Tally:
    """What a run did so far, for progress and for the result."""

    files_total: int
    bytes_total: int
    files_done: int = 0
    bytes_done: int = 0
    copied: int = 0
    bytes_copied: int = 0
    already_there: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def snapshot_id_for(created_at: str, taken: set[str]) -> str:
    """``20261206T213300123Z``: sortable by time; a suffix keeps two in the same millisecond apart."""
    base = created_at.replace("-", "").replace(":", "").replace(".", "")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def distinct(blobs: list[SnapshotBlob]) -> list[SnapshotBlob]:
    """One entry per blob (the database names each asset once; this is belt and braces)."""
    return list({blob.asset_id: blob for blob in blobs}.values())


class BackupCreate:
    """Runs backup jobs (the ``JobHandler``); ``stores`` maps provider name to store."""

    def __init__(
        self,
        snapshots: DatabaseSnapshots,
        stores: Mapping[str, BlobStore],
        targets: BackupTargets,
        clock: Clock,
        *,
        config: JsonObject,
        version: str,
        workers: int = COPY_WORKERS,
    ) -> None:
        self._snapshots = snapshots
        self._stores = dict(stores)
        self._targets = targets
        self._clock = clock
        self._config = config
        self._version = version
        self._workers = workers

    async def validate(self, raw: JsonObject) -> JsonObject:
        return msgspec.to_builtins(self._options(raw))  # type: ignore[no-any-return]

    def _options(self, raw: JsonObject) -> BackupCreateInput:
        options = convert_job_input(raw, BackupCreateInput)
        self._targets.check(options.target, endpoint_url=options.endpoint_url)
        return options

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = self._options(job.input)
        async with self._targets.for_writing(options.target, endpoint_url=options.endpoint_url) as target:
            swept = await target.sweep_unfinished()
            if swept:
                ctx.log(
                    "info", f"removed {len(swept)} leftovers of an interrupted backup", {"removed": swept}
                )
            manifest, tally = await self._back_up(job, target, ctx)
            pruned = await self._prune(target, options.keep, ctx) if options.keep else []
        ctx.progress(step="done")
        return {
            "target": target.where,
            "snapshot_id": manifest.snapshot_id,
            "files": tally.files_total,
            "bytes": tally.bytes_total,
            "copied": tally.copied,
            "bytes_copied": tally.bytes_copied,
            "already_there": tally.already_there,
            "pruned": pruned,
        }

    async def _back_up(self, job: Job, target: BackupTarget, ctx: JobReporter) -> tuple[Manifest, Tally]:
        created_at = format_timestamp(self._clock.now())
        taken = {m.snapshot_id for m in await target.snapshots()}
        snapshot_id = snapshot_id_for(created_at, taken)
        async with self._snapshots.take(leave_out_job=job.job_id) as snapshot:
            blobs = distinct(snapshot.blobs)
            tally = Tally(files_total=len(blobs), bytes_total=sum(b.size_bytes for b in blobs))
            ctx.progress(
                step="copying",
                current=0,
                total=tally.files_total,
                bytes_current=0,
                bytes_total=tally.bytes_total,
            )
            await self._copy_blobs(target, blobs, await target.blob_sizes(), tally, ctx)
            if tally.failures:
                raise BackupIncomplete(
                    f"{len(tally.failures)} blob(s) could not be backed up; no snapshot was published "
                    f"(first: asset {tally.failures[0][0]}: {tally.failures[0][1]})",
                    {"failures": [{"asset_id": a, "error": e} for a, e in tally.failures]},
                )
            ctx.progress(step="database")
            database = await target.put_database(snapshot_id, snapshot.chunks())
            manifest = Manifest(
                snapshot_id=snapshot_id,
                faceforge_version=self._version,
                schema_version=snapshot.schema_version,
                created_at=created_at,
                database=database,
                config=self._config,
                blobs=[
                    BackupBlob(
                        sha256=b.asset_id,
                        size_bytes=b.size_bytes,
                        provider=b.location.provider,
                        entity_ids=b.entity_ids,
                    )
                    for b in blobs
                ],
            )
            await target.publish(manifest)
        ctx.log("info", f"snapshot {snapshot_id} complete", {"snapshot_id": snapshot_id, "files": len(blobs)})
        return manifest, tally

    async def _copy_blobs(
        self,
        target: BackupTarget,
        blobs: list[SnapshotBlob],
        there: dict[str, int],
        tally: Tally,
        ctx: JobReporter,
    ) -> None:
        """Copy what the target lacks (``there``: what it holds), ``workers`` at a time; a cancel takes
        effect between blobs."""

        async def copy(blob: SnapshotBlob) -> None:
            await ctx.checkpoint()
            if there.get(blob.asset_id) == blob.size_bytes:
                tally.already_there += 1
            else:
                await self._copy_one(target, blob, tally, ctx)
            tally.files_done += 1
            tally.bytes_done += blob.size_bytes
            ctx.progress(current=tally.files_done, bytes_current=tally.bytes_done)

        await side_by_side(blobs, self._workers, copy)

    async def _copy_one(
        self, target: BackupTarget, blob: SnapshotBlob, tally: Tally, ctx: JobReporter
    ) -> None:
        store = self._stores.get(blob.location.provider)
        try:
            if store is None:
                raise DomainError(f"storage provider {blob.location.provider!r} is not configured here")
            await target.put_blob(blob.asset_id, store.open_range(blob.location))
        except (InsufficientStorage, TargetUnavailable):
            raise  # the target is full or gone: nothing more can be written, stop now
        except (DomainError, OSError) as exc:
            tally.failures.append((blob.asset_id, str(exc)))
            ctx.log(
                "error",
                f"asset {blob.asset_id} not backed up: {exc}",
                {"asset_id": blob.asset_id, "entity_ids": blob.entity_ids, "error": str(exc)},
            )
            return
        tally.copied += 1
        tally.bytes_copied += blob.size_bytes

    async def _prune(self, target: BackupTarget, keep: int, ctx: JobReporter) -> list[str]:
        """Drop the oldest snapshots beyond ``keep``, then every blob no kept snapshot needs."""
        ctx.progress(step="pruning")
        snapshots = await target.snapshots()
        doomed = snapshots_to_prune(snapshots, keep)
        for manifest in doomed:
            await target.remove_snapshot(manifest.snapshot_id)
        needed = blobs_needed(snapshots[len(doomed) :])
        unneeded = sorted(set(await target.blob_sizes()) - needed)
        for sha256 in unneeded:
            await target.remove_blob(sha256)
        pruned = [m.snapshot_id for m in doomed]
        if pruned:
            ctx.log(
                "info", f"pruned {len(pruned)} snapshot(s) and {len(unneeded)} blob(s)", {"pruned": pruned}
            )
        return pruned


def register_backup_create(registry: JobRegistry, handler: BackupCreate) -> None:
    """Make ``core.backups.create`` startable.

    Not resumable by recovery: a backup whose process died is marked failed rather than re-queued
    beside the one the user starts again, and that new run resumes by reusing every blob already copied.
    """
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=False,
        description="Back up the database and every stored file to a folder or S3 (incremental).",
    )
