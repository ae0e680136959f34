"""The composition root: wires the whole Core from a resolved home and config.

``build_core()`` wires and starts nothing; ``core.lifecycle`` starts the background services by name
(see ``lifecycle``). ``bootstrap()`` is both at once, Core as the server runs it, for scripts and tests::

    async with bootstrap() as core:
        entity = await core.entities.create("Ada Lovelace")

Every port is a keyword argument whose real default is built when called, so tests swap any piece.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio

from faceforge_adapters.backup.targets import backup_locations
from faceforge_adapters.backup.wiring import build_backups
from faceforge_adapters.config import CoreConfig, LoadedConfig, load_config
from faceforge_adapters.exiftool.wiring import build_extractor, worker_count
from faceforge_adapters.home import HomePaths, resolve_home
from faceforge_adapters.integrity.wiring import build_integrity, scan_schedule
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.jobs import JobsRuntime, build_jobs, own_folders
from faceforge_adapters.lifecycle import SERVICE_NAMES, Lifecycle, Service, once
from faceforge_adapters.logging_setup import configure_logging
from faceforge_adapters.plugins import DirectoryPluginSource, JsonSchemaConfigs
from faceforge_adapters.previews.wiring import build_renderer
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
from faceforge_domain.backup.service import BackupService
from faceforge_domain.clock import Clock, SystemClock
from faceforge_domain.events import EventFeed
from faceforge_domain.jobs.assets_facts import register_assets_facts
from faceforge_domain.jobs.assets_retype import register_assets_retype
from faceforge_domain.jobs.previews_build import register_previews_build
from faceforge_domain.jobs.service import JobService
from faceforge_domain.jobs.storage_migrate import register_storage_migrate
from faceforge_domain.plugins.ports import PluginSource
from faceforge_domain.plugins.service import PluginService
from faceforge_domain.ports import BlobStore, MetadataExtractor, UnitOfWorkFactory
from faceforge_domain.previews import PreviewQueue, PreviewRenderer
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.descriptors import DescriptorService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.facts_backfill import AssetFactsBackfill
from faceforge_domain.services.fielddefs import FieldDefinitionService
from faceforge_domain.services.lookalikes import LookalikeService
from faceforge_domain.services.metadata import MetadataRunner
from faceforge_domain.services.previews import PreviewRunner, PreviewService
from faceforge_domain.services.relationships import RelationshipService
from faceforge_domain.services.retype import AssetRetyping
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
    previews: PreviewService
    jobs: JobService
    plugins: PluginService
    events: EventFeed
    uploads: ResumableUploads
    sessions: SessionService
    lookalikes: LookalikeService
    version: str
    space: DiskSpace
    lifecycle: Lifecycle
    retyping: AssetRetyping
    backups: BackupService
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


def hold_process_lock(opened: AsyncExitStack, paths: HomePaths) -> tuple[LockFileLiveness, Path]:
    """This process's lock and the tmp folder it names, both let go when ``opened`` closes.

    The lock is held from before the folder's first file until the folder is gone, so a process
    starting beside this one knows the folder is alive and leaves it alone.
    """
    liveness = LockFileLiveness(paths.run_dir)
    liveness.acquire()
    opened.callback(liveness.release)
    scratch = process_tmp(paths.tmp_dir, liveness.owner_id)
    opened.push_async_callback(anyio.to_thread.run_sync, partial(shutil.rmtree, scratch, ignore_errors=True))
    return liveness, scratch


def open_stores(
    opened: AsyncExitStack,
    config: CoreConfig,
    paths: HomePaths,
    scratch: Path,
    blob_store: BlobStore | None,
    extractor: MetadataExtractor | None,
    renderer: PreviewRenderer | None,
) -> tuple[BlobStore, Storage | None, MetadataExtractor, PreviewRenderer]:
    """The blob store (the configured router unless one is given), the storage behind it, the
    metadata extractor and the preview renderer; what they open is closed with ``opened``. Nothing
    starts yet."""
    local = FilesystemBlobStore(paths.assets_dir, scratch)
    store: BlobStore = local if blob_store is None else blob_store
    storage: Storage | None = None
    if blob_store is None:
        storage = build_storage(config, paths, local, scratch)
        opened.push_async_callback(storage.aclose)
        store = storage.router
    if extractor is None:
        extractor, pool = build_extractor(config, paths, store, local, scratch)
        if pool is not None:
            opened.push_async_callback(pool.aclose)
    if renderer is None:
        renderer, previews_pool = build_renderer(config, paths, store, local, scratch)
        opened.push_async_callback(previews_pool.aclose)
    return store, storage, extractor, renderer


def sweep_tmp(paths: HomePaths, liveness: LockFileLiveness) -> Service:
    """The ``tmp_sweep`` service: remove what dead processes left in ``tmp/``."""

    async def sweep() -> None:
        swept = await anyio.to_thread.run_sync(sweep_leftovers, paths.tmp_dir, liveness.alive)
        if swept:
            log.info("removed what stopped processes left in tmp/", extra={"entries": len(swept)})

    return once(sweep)


def lifecycle_for(
    paths: HomePaths,
    jobs: JobsRuntime,
    plugins: PluginService,
    metadata: MetadataRunner,
    previews: PreviewRunner,
    uploads: ResumableUploads,
    seaweed: ManagedSeaweed | None,
    schedule: Service | None,
) -> Lifecycle:
    """Core's background services by name (see ``lifecycle``); ``seaweed`` and the integrity
    ``schedule`` only when enabled."""
    services: dict[str, Service] = {
        "tmp_sweep": sweep_tmp(paths, jobs.liveness),
        "jobs_recovery": once(jobs.service.recover),
        "plugins_rescan": once(plugins.rescan),
        "metadata": metadata.run,
        "previews": previews.run,
        "uploads_expiry": partial(uploads.run_expiry, UPLOAD_EXPIRY_INTERVAL_S),
        "jobs": jobs.executor.run,
    }
    if seaweed is not None:
        services["seaweed"] = seaweed.run
    if schedule is not None:
        services["integrity_schedule"] = schedule
    return Lifecycle(services)


@asynccontextmanager
async def build_core(
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
    uow: UnitOfWorkFactory | None = None,
    blob_store: BlobStore | None = None,
    extractor: MetadataExtractor | None = None,
    preview_renderer: PreviewRenderer | None = None,
    plugin_source: PluginSource | None = None,
    log_to_console: bool = False,
) -> AsyncIterator[Core]:
    """Resolve home and config, create the folders, migrate the database, wire every service, yield Core.

    Wiring only: no task, no child process, no write beyond the migrations, the config's first-use
    values and this process's lock file. ``core.lifecycle`` starts the background services.
    Raises ``ConfigError`` for a bad config and ``MigrationError`` for a database that cannot be
    migrated; in both cases nothing in the home is changed. On exit it closes what it opened and
    removes this process's temporary folder.
    """
    loaded = prepare_home(home, env, overrides, log_to_console=log_to_console)
    paths, config = loaded.paths, loaded.config
    clock = clock or SystemClock()
    async with AsyncExitStack() as opened:
        database = await Database.open(paths.db_file, clock)
        opened.push_async_callback(database.close)
        liveness, scratch = hold_process_lock(opened, paths)
        store, storage, extractor, renderer = open_stores(
            opened, config, paths, scratch, blob_store, extractor, preview_renderer
        )
        units: UnitOfWorkFactory = uow or SqliteUnitOfWorkFactory(database)
        metadata = MetadataRunner(units, extractor, clock, workers=worker_count(config))
        entities = EntityService(units, clock)
        space = disk_space(config, paths)
        preview_queue = PreviewQueue()
        assets = AssetService(units, store, clock, metadata, space, preview_queue)
        previews = PreviewService(units, assets, renderer, clock)
        jobs = build_jobs(config, paths, clock, units, assets, entities, liveness, core_version())
        register_previews_build(jobs.service.registry, previews)
        stores = storage.router.stores() if storage else {store.name: store}
        migration = StorageMigration(units, stores)
        weed_store = storage.weed_store if storage else None
        register_storage_migrate(jobs.service.registry, migration, stores, weed_store)
        retyping = AssetRetyping(units, store, clock)
        register_assets_retype(jobs.service.registry, retyping)
        register_assets_facts(jobs.service.registry, AssetFactsBackfill(units))
        backup_targets = backup_locations(
            config.backup, os.environ if env is None else env, own_folders(config, paths)
        )
        backups = build_backups(
            jobs.service.registry,
            config=config,
            db_file=paths.db_file,
            scratch=scratch,
            targets=backup_targets,
            units=units,
            store=store,
            stores=stores,
            clock=clock,
            version=core_version(),
        )
        partials = FilesystemPartialUploads(paths.uploads_dir)
        build_integrity(
            jobs.service,
            config=config,
            tmp_dir=paths.tmp_dir,
            backup_targets=backup_targets,
            units=units,
            stores=stores,
            partials=partials,
            liveness=liveness,
            clock=clock,
        )
        uploads = ResumableUploads(
            partials,
            assets,
            clock,
            max_bytes=config.uploads.max_bytes,
            expire_after=timedelta(seconds=config.uploads.expire_after_seconds),
        )
        plugins = PluginService(
            units,
            plugin_source or DirectoryPluginSource(paths.plugins_dir),
            JsonSchemaConfigs(),
            clock,
            core_version=core_version(),
            job_types=jobs.service.registry,
        )
        seaweed = storage.seaweed if storage else None
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
            previews=previews,
            jobs=jobs.service,
            plugins=plugins,
            events=EventFeed(units),
            uploads=uploads,
            sessions=SessionService(units, clock),
            lookalikes=LookalikeService(units, clock),
            version=core_version(),
            space=space,
            lifecycle=lifecycle_for(
                paths,
                jobs,
                plugins,
                metadata,
                PreviewRunner(previews, preview_queue),
                uploads,
                seaweed,
                scan_schedule(config, jobs.service, database, clock),
            ),
            storage_migration=migration,
            retyping=retyping,
            backups=backups,
            seaweed=seaweed,
        )
        log.info("core built", extra={"home": str(paths.home), "version": core.version})
        yield core


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
    preview_renderer: PreviewRenderer | None = None,
    plugin_source: PluginSource | None = None,
    log_to_console: bool = False,
    run_jobs: bool = True,
) -> AsyncIterator[Core]:
    """Core as the server runs it: ``build_core`` with every background service running.

    The convenience for scripts and tests; ``run_jobs=False`` leaves out the job workers (jobs a dead
    process left running are still recovered). Raises what ``build_core`` raises.
    """
    services = SERVICE_NAMES if run_jobs else tuple(name for name in SERVICE_NAMES if name != "jobs")
    async with (
        build_core(
            home=home,
            env=env,
            overrides=overrides,
            clock=clock,
            uow=uow,
            blob_store=blob_store,
            extractor=extractor,
            preview_renderer=preview_renderer,
            plugin_source=plugin_source,
            log_to_console=log_to_console,
        ) as core,
        core.lifecycle.running(services),
    ):
        yield core
