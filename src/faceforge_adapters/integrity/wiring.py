"""Wiring for integrity scans: the job, what each provider holds, the leftovers, the schedule."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import anyio
from anyio.abc import TaskStatus

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.integrity.inventory import FilesystemInventory, S3Inventory
from faceforge_adapters.integrity.leftovers import HomeLeftovers
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.lifecycle import Service
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_adapters.storage.s3 import S3BlobStore
from faceforge_domain.backup.ports import BackupTargets
from faceforge_domain.clock import Clock
from faceforge_domain.integrity.ports import StoreInventory
from faceforge_domain.integrity.scan import IntegrityScan, ScanSettings, register_integrity_scan
from faceforge_domain.integrity.schedule import ScanSchedule
from faceforge_domain.jobs.service import JobService
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory
from faceforge_domain.uploads.ports import PartialUploadStore


def inventories_of(stores: Mapping[str, BlobStore]) -> dict[str, StoreInventory]:
    """An inventory for every store that can list what it holds (a store given by a test may not)."""
    found: dict[str, StoreInventory] = {}
    for name, store in stores.items():
        if isinstance(store, FilesystemBlobStore):
            found[name] = FilesystemInventory(store)
        elif isinstance(store, S3BlobStore):
            found[name] = S3Inventory(store)
    return found


def build_integrity(
    jobs: JobService,
    *,
    config: CoreConfig,
    tmp_dir: Path,
    backup_targets: BackupTargets,
    units: UnitOfWorkFactory,
    stores: Mapping[str, BlobStore],
    partials: PartialUploadStore,
    liveness: LockFileLiveness,
    clock: Clock,
) -> None:
    """Register ``core.integrity.scan``."""
    settings = config.integrity
    handler = IntegrityScan(
        units,
        stores,
        inventories_of(stores),
        HomeLeftovers(partials, clock, tmp_dir, liveness.alive),
        backup_targets,
        clock,
        ScanSettings(
            max_bytes_per_s=settings.max_bytes_per_s or None,
            orphan_grace=timedelta(days=settings.orphan_grace_days),
            backup_targets=config.backup.targets,
        ),
    )
    register_integrity_scan(jobs.registry, handler)


def scan_schedule(config: CoreConfig, jobs: JobService, database: Database, clock: Clock) -> Service | None:
    """The ``integrity_schedule`` service, or None when ``integrity.schedule_days`` is 0."""
    days = config.integrity.schedule_days
    if days == 0:
        return None

    async def run(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        since = await database.created_at() or clock.now()
        await ScanSchedule(jobs, clock, timedelta(days=days), since).run(task_status=task_status)

    return run
