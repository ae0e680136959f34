"""Building the preview renderer Core uses, from the config and the home's folders."""

from __future__ import annotations

import os
from pathlib import Path

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths
from faceforge_adapters.previews.pool import PreviewPool
from faceforge_adapters.previews.protocol import WorkerSettings
from faceforge_adapters.previews.renderer import WorkerPreviewRenderer
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, local_paths
from faceforge_adapters.tools import find_exiftool
from faceforge_domain.ports import BlobStore


def worker_count(config: CoreConfig) -> int:
    """``previews.workers``, by default two (or one on a single-core machine): previews share the
    cores with ExifTool and the requests being served."""
    return config.previews.workers or min(2, os.cpu_count() or 1)


def build_renderer(
    config: CoreConfig,
    paths: HomePaths,
    store: BlobStore,
    fs_store: FilesystemBlobStore | None,
    tmp_dir: Path,
) -> tuple[WorkerPreviewRenderer, PreviewPool]:
    """The renderer and its pool (no worker starts until the first file); bytes that are not on the
    local disk are streamed under ``tmp_dir/previews``."""
    exiftool = find_exiftool(config, paths) if config.tools.exiftool_enabled else None
    settings = WorkerSettings(
        max_pixels=config.previews.max_pixels,
        max_memory_mb=config.previews.max_memory_mb,
        exiftool=str(exiftool) if exiftool else None,
    )
    pool = PreviewPool(settings, worker_count(config))
    renderer = WorkerPreviewRenderer(
        pool=pool,
        store=store,
        local_path=local_paths(fs_store),
        scratch_dir=tmp_dir / "previews",
        timeout_s=config.previews.timeout_s,
    )
    return renderer, pool
