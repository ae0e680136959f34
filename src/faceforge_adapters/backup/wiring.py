"""Wiring for backups: the job, the service, and the configuration a backup carries."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec

from faceforge_adapters.backup.snapshot import SqliteSnapshots
from faceforge_adapters.config import CoreConfig
from faceforge_domain.backup.create import BackupCreate, register_backup_create
from faceforge_domain.backup.ports import BackupTargets
from faceforge_domain.backup.restore import BlobRestore
from faceforge_domain.backup.service import BackupService
from faceforge_domain.clock import Clock
from faceforge_domain.jobs.models import JsonObject
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory

# Never written into a backup: whoever holds the backup disk must not get the keys of the library.
SECRETS = (
    ("auth", "install_token"),
    ("storage", "s3", "access_key"),
    ("storage", "s3", "secret_key"),
    ("backup", "s3", "access_key"),
    ("backup", "s3", "secret_key"),
)


def config_without_secrets(config: CoreConfig) -> JsonObject:
    raw: JsonObject = msgspec.to_builtins(config)
    for path in SECRETS:
        section = raw
        for key in path[:-1]:
            section = section[key]
        section.pop(path[-1], None)
    return raw


def build_backups(
    registry: JobRegistry,
    *,
    config: CoreConfig,
    db_file: Path,
    scratch: Path,
    targets: BackupTargets,
    units: UnitOfWorkFactory,
    store: BlobStore,
    stores: Mapping[str, BlobStore],
    clock: Clock,
    version: str,
) -> BackupService:
    """Register ``core.backups.create`` and return the service for listing, verifying and restoring."""
    handler = BackupCreate(
        SqliteSnapshots(db_file, scratch),
        stores,
        targets,
        clock,
        config=config_without_secrets(config),
        version=version,
    )
    register_backup_create(registry, handler)
    return BackupService(targets, BlobRestore(units, store))
