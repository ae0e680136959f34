"""The composition root: builds the whole Core from a resolved home and config.

The HTTP app, the CLI, the tests and user scripts all start Core here::

    async with bootstrap() as core:
        entity = await core.entities.create("Ada Lovelace")

Every port is a keyword argument whose real default is built when called, so tests swap any piece.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio

from faceforge_adapters.config import CoreConfig, LoadedConfig, load_config
from faceforge_adapters.exiftool.pool import ExifToolPool
from faceforge_adapters.exiftool.wiring import build_extractor, worker_count
from faceforge_adapters.home import HomePaths, resolve_home
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.jobs import build_jobs
from faceforge_adapters.logging_setup import configure_logging
from faceforge_adapters.plugins import DirectoryPluginSource, JsonSchemaConfigs
from faceforge_adapters.scratch import process_tmp, sweep_leftovers
from faceforge_adapters.seaweed.process import data_dir_for
from faceforge_adapters.seaweed.supervisor import ManagedSeaweed
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_adapters.storage.partial_uploads import FilesystemPartialUploads
from faceforge_adapters.storage.space import DiskSpace, SpaceReport
from faceforge_adapters.storage.wiring import Storage, build_storage
from faceforge_adapters.tools import ToolInfo, exiftool_info, weed_info
from faceforge_domain.clock import Clock, SystemClock
from faceforge_domain.events import EventFeed
from faceforge_domain.jobs.service import JobService
from faceforge_domain.jobs.storage_migrate import register_storage_migrate
from faceforge_domain.plugins.ports import PluginSource
from faceforge_domain.plugins.service import PluginService
from faceforge_domain.ports import BlobStore, MetadataExtractor, UnitOfWorkFactory
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.descriptors import DescriptorService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.fielddefs import FieldDefinitionService
from faceforge_domain.services.metadata import MetadataRunner
from faceforge_domain.services.relationships import RelationshipService
from faceforge_domain.services.storage_migration import StorageMigration
from faceforge_domain.sessions import SessionService
from faceforge_domain.uploads.service import ResumableUploads

log = logging.getLogger("faceforge.core")
# How often expired resumable uploads are looked for while Core runs.
UPLOAD_EXPIRY_INTERVAL_S = 15 * 60


def core_version() -> str:
    try:
        return version("faceforge")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class Core:
    """The running Core: its settings, folders and use cases."""

    config: CoreConfig
    paths: HomePaths
    database: Database
    clock: Clock
    entities: EntityService
    assets: AssetService
    field_defs: FieldDefinitionService
    descriptors: DescriptorService
    relationships: RelationshipService
    metadata: MetadataRunner
    jobs: JobService
    plugins: PluginService
    events: EventFeed
    uploads: ResumableUploads
    sessions: SessionService
    version: str
    space: DiskSpace
    storage_migration: StorageMigration | None = None
    seaweed: ManagedSeaweed | None = None

    @property
    def home(self) -> Path:
        return self.paths.home

    @property
    def install_token(self) -> str:
        return self.config.auth.install_token

    async def database_ok(self) -> bool:
        return await self.database.healthy()

    async def disk_space(self) -> SpaceReport:
        """The free space of every disk Core writes to, and whether any is under the margin."""
        return await anyio.to_thread.run_sync(self.space.report)

    def tools(self) -> tuple[ToolInfo, ...]:
        return (exiftool_info(self.config, self.paths), weed_info(self.config, self.paths))


def disk_space(config: CoreConfig, paths: HomePaths) -> DiskSpace:
    """The disks Core writes to: the database, the blobs, tmp/ and the managed weed's data."""
    folders = {"db": paths.db_dir, "assets": paths.assets_dir, "tmp": paths.tmp_dir}
    if config.seaweed.enabled:
        folders["s3"] = data_dir_for(config, paths)
    return DiskSpace(folders, min_free_bytes=config.storage.min_free_bytes)


def prepare_home(
    home: Path | None,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    *,
    log_to_console: bool = False,
) -> LoadedConfig:
    """Resolve the home, load and validate the config, create the folders, start logging."""
    env = os.environ if env is None else env
    home = resolve_home(env) if home is None else Path(os.path.abspath(home))
    loaded = load_config(home, env=env, overrides=overrides)
    loaded.paths.ensure()
    config = loaded.config
    configure_logging(
        loaded.paths.logs_dir,
        level=config.logging.level,
        secrets=[config.auth.install_token, config.storage.s3.secret_key],
        console=log_to_console,
    )
    return loaded


@asynccontextmanager
async def bootstrap(
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
    uow: UnitOfWorkFactory | None = None,
    blob_store: BlobStore | None = None,
    extractor: MetadataExtractor | None = None,
    plugin_source: PluginSource | None = None,
    log_to_console: bool = False,
    run_jobs: bool = True,
) -> AsyncIterator[Core]:
    """Resolve home and config, create the folders, migrate the database, and yield the Core.

    Raises ``ConfigError`` for a bad config and ``MigrationError`` for a database that cannot be
    migrated; in both cases nothing in the home is changed. ``run_jobs=False`` starts no job
    workers (short CLI commands); jobs a dead process left running are recovered either way.
    """
    loaded = prepare_home(home, env, overrides, log_to_console=log_to_console)
    paths, config = loaded.paths, loaded.config
    clock = clock or SystemClock()
    database = await Database.open(paths.db_file, clock)
    liveness = LockFileLiveness(paths.run_dir)
    scratch = process_tmp(paths.tmp_dir, liveness.owner_id)
    pool: ExifToolPool | None = None
    storage: Storage | None = None
    try:
        liveness.acquire()  # before any temporary file: a process starting beside us sees it is ours
        swept = await anyio.to_thread.run_sync(sweep_leftovers, paths.tmp_dir, liveness.alive)
        if swept:
            log.info("removed what stopped processes left in tmp/", extra={"entries": len(swept)})
        units: UnitOfWorkFactory = uow or SqliteUnitOfWorkFactory(database)
        local = FilesystemBlobStore(paths.assets_dir, scratch)
        store: BlobStore = local if blob_store is None else blob_store
        if blob_store is None:
            storage = build_storage(config, paths, local, scratch)
            store = storage.router
        if extractor is None:
            extractor, pool = build_extractor(config, paths, store, local, scratch)
        metadata = MetadataRunner(units, extractor, clock, workers=worker_count(config))
        entities = EntityService(units, clock)
        space = disk_space(config, paths)
        assets = AssetService(units, store, clock, metadata, space)
        jobs = build_jobs(config, paths, clock, units, assets, entities, liveness)
        stores = storage.router.stores() if storage else {store.name: store}
        migration = StorageMigration(units, stores)
        register_storage_migrate(jobs.service.registry, migration, stores)
        uploads = ResumableUploads(
            FilesystemPartialUploads(paths.uploads_dir),
            assets,
            clock,
            max_bytes=config.uploads.max_bytes,
            expire_after=timedelta(seconds=config.uploads.expire_after_seconds),
        )
        core = Core(
            config=config,
            paths=paths,
            database=database,
            clock=clock,
            entities=entities,
            assets=assets,
            field_defs=FieldDefinitionService(units, clock),
            descriptors=DescriptorService(units, clock),
            relationships=RelationshipService(units, clock),
            metadata=metadata,
            jobs=jobs.service,
            plugins=PluginService(
                units,
                plugin_source or DirectoryPluginSource(paths.plugins_dir),
                JsonSchemaConfigs(),
                clock,
                core_version=core_version(),
                job_types=jobs.service.registry,
            ),
            events=EventFeed(units),
            uploads=uploads,
            sessions=SessionService(units, clock),
            version=core_version(),
            space=space,
            storage_migration=migration,
            seaweed=storage.seaweed if storage else None,
        )
        log.info("core started", extra={"home": str(paths.home), "version": core.version})
        failure: Exception | None = None
        await jobs.service.recover()
        await core.plugins.rescan()
        async with anyio.create_task_group() as background:
            if core.seaweed is not None:
                await background.start(core.seaweed.run)
            await background.start(metadata.run)
            await background.start(uploads.run_expiry, UPLOAD_EXPIRY_INTERVAL_S)
            if run_jobs:
                await background.start(jobs.executor.run)
            try:
                yield core
            except Exception as exc:  # noqa: BLE001  (re-raised below as itself, not inside an ExceptionGroup)
                failure = exc
            finally:
                background.cancel_scope.cancel()
        if failure is not None:
            raise failure
    finally:
        if storage is not None:
            await storage.aclose()
        if pool is not None:
            await pool.aclose()
        await anyio.to_thread.run_sync(partial(shutil.rmtree, scratch, ignore_errors=True))
        liveness.release()
        await database.close()
