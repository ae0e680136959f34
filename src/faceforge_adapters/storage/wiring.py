"""Building Core's blob storage from the config: the filesystem, S3, the router, the managed weed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import msgspec

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths
from faceforge_adapters.seaweed.process import SeaweedError, settings_for
from faceforge_adapters.seaweed.supervisor import ManagedSeaweed
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_adapters.storage.routing import RoutingBlobStore, RoutingRules
from faceforge_adapters.storage.s3 import S3BlobStore, S3Settings

log = logging.getLogger("faceforge.storage")


@dataclass(frozen=True, slots=True)
class Storage:
    """The router Core stores through, and the managed weed when ``seaweed.enabled``; with the weed
    running beside another S3 endpoint, ``weed_store`` reads it (what a copy to that endpoint reads)."""

    router: RoutingBlobStore
    seaweed: ManagedSeaweed | None
    weed_store: S3BlobStore | None = None

    async def aclose(self) -> None:
        await self.router.aclose()
        if self.weed_store is not None:
            await self.weed_store.aclose()


def replace_seaweed(config: CoreConfig, *, enabled: bool) -> CoreConfig:
    return msgspec.structs.replace(config, seaweed=msgspec.structs.replace(config.seaweed, enabled=enabled))


def s3_configured(config: CoreConfig) -> bool:
    return config.seaweed.enabled or config.storage.s3.enabled


def build_storage(config: CoreConfig, paths: HomePaths, local: FilesystemBlobStore, tmp_dir: Path) -> Storage:
    """The managed weed (when enabled) and an S3 store pointed at it, or at ``storage.s3``; bytes
    bound for S3 are staged in ``tmp_dir`` (this process's temporary folder).

    ``storage.s3.endpoint_url`` wins over the managed weed's endpoint, so a user can keep the
    weed running and point Core at another S3; without either, the router uses the filesystem only.
    """
    seaweed = None
    s3 = weed_store = None
    if config.seaweed.enabled:
        try:
            managed = settings_for(config, paths)
        except SeaweedError as exc:
            log.error("seaweedfs is enabled but cannot run; storing on the filesystem", exc_info=exc)
            return build_storage(replace_seaweed(config, enabled=False), paths, local, tmp_dir)
        seaweed = ManagedSeaweed(managed)
        weed_settings = managed.s3_settings(config.storage.s3.part_size_bytes)
        if config.storage.s3.endpoint_url:
            s3 = S3BlobStore(S3Settings.from_config(config.storage.s3), tmp_dir)
            weed_store = S3BlobStore(weed_settings, tmp_dir)
        else:
            s3 = S3BlobStore(weed_settings, tmp_dir)
    elif config.storage.s3.enabled:
        s3 = S3BlobStore(S3Settings.from_config(config.storage.s3), tmp_dir)
    rules = RoutingRules.from_config(config.storage.routing)
    return Storage(router=RoutingBlobStore(local, s3, rules, tmp_dir), seaweed=seaweed, weed_store=weed_store)
