"""Wiring for jobs: the service, the core job types, the executor and process liveness.

``bootstrap`` calls ``build_jobs`` and runs the executor beside Core; nothing here runs at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.crash import CrashReports, JobCrashReports
from faceforge_adapters.export import FolderExportTargets
from faceforge_adapters.home import HomePaths
from faceforge_adapters.imports import FilesystemImportSource
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.seaweed.process import data_dir_for
from faceforge_domain.clock import Clock
from faceforge_domain.export.job import Export, register_export
from faceforge_domain.export.restore import ExportRecordsRestore
from faceforge_domain.imports.handler import BulkImport
from faceforge_domain.imports.models import JOB_TYPE as BULK_IMPORT
from faceforge_domain.jobs.duplicates_scan import register_duplicates_scan
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.lease import LeasePolicy
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.entities import EntityService


@dataclass(frozen=True, slots=True)
class JobsRuntime:
    service: JobService
    executor: JobExecutor
    liveness: LockFileLiveness


def own_folders(config: CoreConfig, paths: HomePaths) -> list[Path]:
    """Every folder FaceForge keeps its own data in: the home, and configured folders outside it (the
    install token, the database and the stored bytes must never come back in through an import)."""
    return [paths.home, *paths.all_dirs(), data_dir_for(config, paths)]


def register_core_job_types(
    registry: JobRegistry,
    config: CoreConfig,
    paths: HomePaths,
    assets: AssetService,
    entities: EntityService,
    clock: Clock,
    units: UnitOfWorkFactory,
) -> None:
    """The job types Core itself provides (``core.*``)."""
    bulk = BulkImport(
        FilesystemImportSource(config.import_.allowed_roots, own_folders=own_folders(config, paths)),
        assets,
        entities,
        clock,
        file_workers=config.import_.file_workers,
        export_records=ExportRecordsRestore(units),
    )
    registry.register(
        BULK_IMPORT,
        bulk,
        validate=bulk.validate,
        resumable=True,  # re-importing skips what is already stored
        description="Import a folder of files, with their sidecar metadata, as assets.",
    )


def build_jobs(
    config: CoreConfig,
    paths: HomePaths,
    clock: Clock,
    units: UnitOfWorkFactory,
    assets: AssetService,
    entities: EntityService,
    liveness: LockFileLiveness,
    version: str,
) -> JobsRuntime:
    """The jobs service and executor; ``liveness`` is this process's lock (held by ``bootstrap``)."""
    registry = JobRegistry()
    register_core_job_types(registry, config, paths, assets, entities, clock, units)
    register_duplicates_scan(registry, units, clock)
    exports = FolderExportTargets(own_folders(config, paths))
    register_export(registry, Export(units, assets, exports, clock, version=version))
    lease = LeasePolicy(
        duration=timedelta(seconds=config.jobs.runner_lease_seconds),
        max_attempts=config.jobs.runner_max_attempts,
    )
    service = JobService(units, registry, clock, liveness, lease)
    crashes = JobCrashReports(CrashReports.for_home(config, paths, version))
    executor = JobExecutor(service, config.jobs.max_concurrent, crashes=crashes)
    return JobsRuntime(service, executor, liveness)
