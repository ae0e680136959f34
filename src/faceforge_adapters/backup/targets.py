"""``BackupLocations``: the one ``BackupTargets`` Core uses, handing ``s3://`` names to the S3 targets
and everything else to the folder targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from faceforge_adapters.backup.folder import FolderBackupTargets
from faceforge_adapters.backup.s3targets import SCHEME, S3BackupTargets
from faceforge_adapters.config import BackupConfig, load_config
from faceforge_adapters.home import resolve_home
from faceforge_domain.backup.ports import BackupTarget, BackupTargets


class BackupLocations:
    """Implements ``BackupTargets`` over folders and S3 prefixes."""

    def __init__(self, folders: BackupTargets, buckets: BackupTargets) -> None:
        self._folders = folders
        self._buckets = buckets

    def _for(self, where: str) -> BackupTargets:
        return self._buckets if where.startswith(SCHEME) else self._folders

    def check(self, where: str, *, endpoint_url: str | None = None) -> None:
        self._for(where).check(where, endpoint_url=endpoint_url)

    def for_writing(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AbstractAsyncContextManager[BackupTarget]:
        return self._for(where).for_writing(where, endpoint_url=endpoint_url)

    def for_reading(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AbstractAsyncContextManager[BackupTarget]:
        return self._for(where).for_reading(where, endpoint_url=endpoint_url)


def backup_locations(
    config: BackupConfig, env: Mapping[str, str], own_folders: Sequence[Path] = ()
) -> BackupLocations:
    """Folders fenced by ``own_folders`` and ``backup.allowed_roots``; buckets reached with ``backup.s3``
    (its keys overridden by ``env``)."""
    return BackupLocations(
        FolderBackupTargets(own_folders, config.allowed_roots), S3BackupTargets(config.s3, env)
    )


def locations_from_env(env: Mapping[str, str]) -> BackupLocations:
    """For the commands that read a backup without a Core (list, verify, restore): ``backup.s3`` from
    the current home's configuration when there is one (nothing is created), keys from ``env``."""
    config = load_config(resolve_home(env), env=env, create=False).config
    return backup_locations(config.backup, env)
