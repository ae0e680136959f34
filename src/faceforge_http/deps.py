"""Handler dependencies: each area of the running Core, injected by name.

A handler names what it touches (``entities: EntityServiceDep``), never the whole Core: the database,
the configuration and the other services stay out of its reach. Every value here is a concrete class
(Litestar validates dependencies with msgspec, which cannot check a bare Protocol), provided fresh
from the Core in the app's state on each request, so one set of providers serves every app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.import_folders import ImportFolders
from faceforge_adapters.imports import FilesystemImportSource
from faceforge_adapters.jobs import own_folders
from faceforge_domain.backup.service import BackupService
from faceforge_domain.clock import Clock
from faceforge_domain.events import EventFeed
from faceforge_domain.jobs.service import JobService
from faceforge_domain.plugins.service import PluginService
from faceforge_domain.services.assets import AssetService
from faceforge_domain.services.descriptors import DescriptorService
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.fielddefs import FieldDefinitionService
from faceforge_domain.services.lookalikes import LookalikeService
from faceforge_domain.services.previews import PreviewService
from faceforge_domain.services.relationships import RelationshipService
from faceforge_domain.sessions import SessionService
from faceforge_domain.uploads.service import ResumableUploads
from faceforge_http.params import PAGING


class UploadSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The upload settings handlers read: the size limit, and how the web UI slices big files."""

    max_bytes: int
    ui_resumable_threshold_bytes: int
    ui_chunk_bytes: int


class SystemStatus:
    """What the system routes report, and nothing else of Core: version, folders, address, checks."""

    def __init__(self, core: Core) -> None:
        self.version = core.version
        self.paths = core.paths
        self.bind_host = core.config.network.bind_host
        self.core_port = core.config.network.core_port
        self.min_free_bytes = core.space.min_free_bytes
        self.database_ok = core.database_ok
        self.disk_space = core.disk_space
        self.tools = core.tools


def _upload_settings(core: Core) -> UploadSettings:
    uploads = core.config.uploads
    return UploadSettings(
        max_bytes=uploads.max_bytes,
        ui_resumable_threshold_bytes=uploads.ui_resumable_threshold_bytes,
        ui_chunk_bytes=uploads.ui_chunk_bytes,
    )


def _import_folders(core: Core) -> ImportFolders:
    roots = core.config.import_.allowed_roots
    return ImportFolders(
        FilesystemImportSource(roots, own_folders=own_folders(core.config, core.paths)), roots
    )


def _from_core(pick: Callable[[Core], Any]) -> Provide:
    def provide(state: State) -> Any:
        return pick(state.core)

    return Provide(provide, sync_to_thread=False)


SERVICES: dict[str, Provide] = {
    "entities": _from_core(lambda core: core.entities),
    "assets": _from_core(lambda core: core.assets),
    "previews": _from_core(lambda core: core.previews),
    "field_defs": _from_core(lambda core: core.field_defs),
    "descriptors": _from_core(lambda core: core.descriptors),
    "relationships": _from_core(lambda core: core.relationships),
    "jobs": _from_core(lambda core: core.jobs),
    "plugins": _from_core(lambda core: core.plugins),
    "events": _from_core(lambda core: core.events),
    "uploads": _from_core(lambda core: core.uploads),
    "sessions": _from_core(lambda core: core.sessions),
    "lookalikes": _from_core(lambda core: core.lookalikes),
    "backups": _from_core(lambda core: core.backups),
    "backup_targets": _from_core(lambda core: list(core.config.backup.targets)),
    "clock": _from_core(lambda core: core.clock),
    "install_token": _from_core(lambda core: core.install_token),
    "upload_settings": _from_core(_upload_settings),
    "system": _from_core(SystemStatus),
    "import_folders": _from_core(_import_folders),
}
"""Dependency name -> provider of each part of Core a handler may take."""
DEPENDENCIES = {**SERVICES, **PAGING}
"""Everything the app provides: Core's parts and the paging parameter sets."""

EntityServiceDep = NamedDependency[EntityService]
AssetServiceDep = NamedDependency[AssetService]
PreviewServiceDep = NamedDependency[PreviewService]
FieldDefServiceDep = NamedDependency[FieldDefinitionService]
DescriptorServiceDep = NamedDependency[DescriptorService]
RelationshipServiceDep = NamedDependency[RelationshipService]
JobServiceDep = NamedDependency[JobService]
PluginServiceDep = NamedDependency[PluginService]
EventFeedDep = NamedDependency[EventFeed]
UploadServiceDep = NamedDependency[ResumableUploads]
SessionServiceDep = NamedDependency[SessionService]
LookalikeServiceDep = NamedDependency[LookalikeService]
BackupServiceDep = NamedDependency[BackupService]
BackupTargetsDep = NamedDependency[list[str]]
ClockDep = NamedDependency[SkipValidation[Clock]]  # a Protocol: msgspec cannot check it
InstallTokenDep = NamedDependency[str]
UploadSettingsDep = NamedDependency[UploadSettings]
SystemStatusDep = NamedDependency[SystemStatus]
ImportFoldersDep = NamedDependency[ImportFolders]
