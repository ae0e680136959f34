"""Building the metadata extractor Core uses, from the config and the home's folders."""

from __future__ import annotations

import os
from pathlib import Path

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.exiftool.extractor import ExifToolExtractor
from faceforge_adapters.exiftool.pool import ExifToolPool
from faceforge_adapters.home import HomePaths
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, local_paths
from faceforge_adapters.tools import find_exiftool
from faceforge_domain.ports import BlobStore


def worker_count(config: CoreConfig) -> int:
    """``tools.exiftool_workers``, by default the CPU count."""
    return config.tools.exiftool_workers or os.cpu_count() or 1


def build_extractor(
    config: CoreConfig,
    paths: HomePaths,
    store: BlobStore,
    fs_store: FilesystemBlobStore | None,
    tmp_dir: Path,
) -> tuple[ExifToolExtractor, ExifToolPool | None]:
    """The extractor and its pool (None when ExifTool is disabled or missing: assets are then skipped);
    files are staged under ``tmp_dir/exiftool`` (``tmp_dir``: this process's temporary folder)."""
    reason = None
    pool = None
    if not config.tools.exiftool_enabled:
        reason = "exiftool is disabled (tools.exiftool_enabled is false)"
    elif (exe := find_exiftool(config, paths)) is None:
        reason = "exiftool was not found (install libimage-exiftool-perl or set tools.exiftool_path)"
    else:
        pool = ExifToolPool(exe, worker_count(config))

    extractor = ExifToolExtractor(
        pool=pool,
        store=store,
        staging_dir=tmp_dir / "exiftool",
        local_path=local_paths(fs_store),
        unavailable_reason=reason,
    )
    return extractor, pool
