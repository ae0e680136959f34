"""Restoring a snapshot into a new home: refuse what cannot be right, then database, config, blobs.

Everything that can refuse is asked before anything is written: the home must be new or empty, the
snapshot must exist, and its schema must not be newer than this FaceForge knows. Then the database
copy is written into the new home (hashed while copied, checked against the manifest), the settings
without secrets and without the old machine's paths and storage, and Core is built on it, which runs
the migrations an older snapshot needs and makes a fresh install token. Last, every blob goes into
the new home's store; a blob missing or damaged in the backup is reported, the others restored. If
the restore itself fails, the home is left as it was found (missing, or empty).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Literal

import anyio
import msgspec

from faceforge_adapters.backup.files import HashingWriter, rename_into
from faceforge_adapters.backup.targets import locations_from_env
from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.config import ENV_PREFIX, load_config, write_json_atomically
from faceforge_adapters.home import fixed_paths
from faceforge_adapters.sqlite.migrate import shipped_migrations
from faceforge_adapters.storage.filesystem import fsync_dir
from faceforge_domain.backup.models import FORMAT_VERSION, Manifest
from faceforge_domain.backup.ports import BackupTarget
from faceforge_domain.backup.restore import Progress, RestoreResult
from faceforge_domain.backup.service import newest_or_named
from faceforge_domain.errors import Conflict, DomainError
from faceforge_domain.jobs.models import JsonObject

# Settings that belong to the old install or the old machine, never restored: the token (a restored
# install gets a fresh one), folders, storage (restored bytes go to the new home's filesystem store,
# or with ``storage="s3"`` to the S3 storage the environment gives the new home) and the managed
# SeaweedFS.
NOT_RESTORED = ("auth", "paths", "storage", "seaweed")


class RestoreRefused(Conflict):
    """The restore cannot go ahead; nothing was written."""


class DamagedDatabaseCopy(DomainError):
    """The snapshot's database copy does not match its manifest."""

    code = "damaged"


def empty_home(home: Path) -> tuple[Path, bool]:
    """``home`` made absolute, refused unless it is missing or an empty folder; and whether it is
    missing (a failed restore removes it again, instead of emptying it)."""
    home = Path(os.path.abspath(home))
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise RestoreRefused(
            f"{home} is not empty: restore only into a new or empty folder (nothing was written)",
            {"home": str(home)},
        )
    return home, not home.exists()


def refuse_unreadable(manifest: Manifest) -> None:
    latest = shipped_migrations()[-1].version
    if manifest.format_version > FORMAT_VERSION:
        raise RestoreRefused(
            f"snapshot {manifest.snapshot_id} is backup format {manifest.format_version}; this FaceForge "
            f"reads up to {FORMAT_VERSION}: upgrade FaceForge to restore it (nothing was written)"
        )
    if manifest.schema_version > latest:
        raise RestoreRefused(
            f"snapshot {manifest.snapshot_id} has database schema {manifest.schema_version}, newer than "
            f"this FaceForge ({latest}, version of {manifest.faceforge_version} made it): upgrade "
            "FaceForge to restore it (nothing was written)",
            {"schema_version": manifest.schema_version, "supported": latest},
        )


def restored_settings(config: JsonObject) -> JsonObject:
    return {key: value for key, value in config.items() if key not in NOT_RESTORED}


def restore_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment without settings that would move the new home's folders away from where the
    restore writes them (``FACEFORGE_PATHS__*``); other settings apply as to any start."""
    return {name: value for name, value in env.items() if not name.startswith(f"{ENV_PREFIX}PATHS__")}


def s3_storage(home: Path, env: Mapping[str, str]) -> JsonObject:
    """For ``--storage s3``: the new home's S3 storage as the environment configures it
    (``FACEFORGE_STORAGE__S3__*``), made where new files go; refused, with nothing written, when the
    environment names none."""
    s3 = load_config(home, env=env, create=False).config.storage.s3
    if not (s3.enabled and s3.endpoint_url):
        raise RestoreRefused(
            "restoring into S3 needs the new home's S3 storage: set FACEFORGE_STORAGE__S3__ENABLED=true "
            "and FACEFORGE_STORAGE__S3__ENDPOINT_URL, _ACCESS_KEY, _SECRET_KEY, _BUCKET (nothing was written)"
        )
    return {"s3": msgspec.to_builtins(s3), "routing": {"default_provider": "s3"}}


def write_settings(home: Path, manifest: Manifest, storage: JsonObject | None) -> None:
    """The snapshot's settings, and ``storage`` (the new home's own, None: the filesystem)."""
    paths = fixed_paths(home)
    paths.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings = restored_settings(manifest.config)
    if storage is not None:
        settings["storage"] = storage
    write_json_atomically(paths.core_json, settings)


async def write_database(target: BackupTarget, manifest: Manifest, home: Path) -> None:
    """The snapshot's database as the new home's, checked against the manifest's hash and size."""
    paths = fixed_paths(home)
    await anyio.to_thread.run_sync(lambda: paths.db_dir.mkdir(parents=True, exist_ok=True))
    writer = HashingWriter(paths.db_dir / f".{paths.db_file.name}.restoring")
    try:
        async for chunk in target.read_database(manifest.snapshot_id):
            await anyio.to_thread.run_sync(writer.write, chunk)
        got = writer.hasher
        if (got.hexdigest(), got.size) != (manifest.database.sha256, manifest.database.size_bytes):
            raise DamagedDatabaseCopy(
                f"the database copy of snapshot {manifest.snapshot_id} is damaged (hash {got.hexdigest()}, "
                f"{got.size} bytes; the manifest says {manifest.database.sha256}, "
                f"{manifest.database.size_bytes} bytes)"
            )
        await anyio.to_thread.run_sync(partial(writer.close, sync=True))
        await anyio.to_thread.run_sync(rename_into, writer.tmp, paths.db_file)
    finally:
        await anyio.to_thread.run_sync(writer.discard)
    await anyio.to_thread.run_sync(fsync_dir, paths.db_dir)


def empty_folder(home: Path, created: bool) -> None:
    """Undo a failed restore: the home as it was (missing, or empty)."""
    if created:
        shutil.rmtree(home, ignore_errors=True)
        return
    for entry in home.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


async def restore_home(
    where: str,
    snapshot_id: str | None,
    home: Path,
    *,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    endpoint_url: str | None = None,
    storage: Literal["fs", "s3"] = "fs",
) -> tuple[Manifest, RestoreResult]:
    """Restore the snapshot (the newest when None) at ``where`` (a folder, or ``s3://`` reached at
    ``endpoint_url``) into ``home``, new or empty; ``storage``: where the restored files go."""
    env = os.environ if env is None else env
    home, created = await anyio.to_thread.run_sync(empty_home, home)
    own_storage = s3_storage(home, restore_env(env)) if storage == "s3" else None
    targets = locations_from_env(env)
    async with targets.for_reading(where, endpoint_url=endpoint_url) as target:
        manifest = await newest_or_named(target, snapshot_id)
        refuse_unreadable(manifest)
        try:
            await write_database(target, manifest, home)
            await anyio.to_thread.run_sync(write_settings, home, manifest, own_storage)
            async with build_core(home=home, env=restore_env(env)) as core:
                result = await core.backups.restore_blobs(target, manifest, progress)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(empty_folder, home, created)
            raise
    return manifest, result
