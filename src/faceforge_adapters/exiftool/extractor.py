"""ExifToolExtractor: the MetadataExtractor port, running the pool on a path named like the original file.

ExifTool uses the file extension for some formats, and stored blobs are named by their hash, so each
file of a batch is staged in ``tmp/<process>/exiftool/batch-*/`` under its original name: a hard (or symbolic)
link to the blob when it is on the local disk (all made in one worker-thread trip), otherwise a streamed
copy. The staged files go to the pool in one ``run_many`` call; the batch folder is removed afterwards
however the batch ends (answered, failed or cancelled), shielded from the cancel itself.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio

from faceforge_adapters.exiftool.pool import ExifToolPool, PoolFile
from faceforge_domain.metadata import MetadataError
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore

log = logging.getLogger("faceforge.exiftool")

# A stuck ExifTool is killed after this long plus a second per TIMEOUT_RATE bytes (big videos take a while).
TIMEOUT_BASE_S = 30.0
TIMEOUT_RATE = 20 * 1024 * 1024
# Most filesystems cap a name at 255 bytes; leave room for nothing else to go wrong.
MAX_NAME_BYTES = 200


def timeout_for(size_bytes: int, *, base: float = TIMEOUT_BASE_S, rate: int = TIMEOUT_RATE) -> float:
    """The per-file timeout, scaled by size."""
    return base + size_bytes / rate


class ExifToolExtractor:
    def __init__(
        self,
        *,
        pool: ExifToolPool | None,
        store: BlobStore,
        staging_dir: Path,
        local_path: Callable[[StorageLocation], Path | None] | None = None,
        unavailable_reason: str | None = None,
        timeout_base: float = TIMEOUT_BASE_S,
    ) -> None:
        self._pool = pool
        self._store = store
        self._staging_dir = staging_dir
        self._local_path = local_path
        self._unavailable = unavailable_reason or (None if pool is not None else "exiftool not found")
        self._timeout_base = timeout_base

    @property
    def unavailable_reason(self) -> str | None:
        return self._unavailable

    async def warm_up(self) -> None:
        if self._pool is not None:
            await self._pool.warm_up()

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        pool = self._pool
        if pool is None:
            return [MetadataError(self._unavailable or "exiftool not found") for _ in assets]
        folder = self._staging_dir / f"batch-{secrets.token_hex(8)}"
        try:
            staged = await self._stage(folder, assets)
            files = [
                PoolFile(
                    path,
                    limit_s=timeout_for(asset.size_bytes, base=self._timeout_base),
                    asset_id=asset.asset_id,
                    size_bytes=asset.size_bytes,
                )
                for asset, path in zip(assets, staged, strict=True)
                if isinstance(path, Path)
            ]
            pooled = iter(await pool.run_many(files))  # one call: the pool batches them from this task
            return [next(pooled) if isinstance(path, Path) else path for path in staged]
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(remove_staging, folder)

    async def _stage(self, folder: Path, assets: Sequence[Asset]) -> list[Path | MetadataError]:
        """Each asset under its original name, linked in one worker-thread trip for the whole batch;
        copied where it cannot be linked."""
        paths = staging_paths(folder, assets)
        sources = [self._local_path(a.storage) if self._local_path else None for a in assets]
        linked = await anyio.to_thread.run_sync(_link_all, paths, sources)
        staged: list[Path | MetadataError] = []
        for asset, path, done in zip(assets, paths, linked, strict=True):
            try:
                if not done:
                    await self._copy(asset.storage, path)
            except OSError as exc:
                staged.append(MetadataError(f"the file could not be prepared for exiftool: {exc}"))
            else:
                staged.append(path.absolute())
        return staged

    async def _copy(self, location: StorageLocation, path: Path) -> None:
        async with await anyio.open_file(path, "xb") as out:
            async for chunk in self._store.open_range(location):
                await out.write(chunk)


def remove_staging(folder: Path) -> None:
    """Remove a batch's staging folder. What cannot go now (on Windows, a file another caller's ExifTool
    request still holds open) is logged, and the start-up sweep of ``tmp/`` takes it later."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):
        log.warning(
            "exiftool staging folder left behind",
            extra={"event": "exiftool.staging_left", "path": str(folder)},
        )


def staging_name(filename: str, limit: int = MAX_NAME_BYTES) -> str:
    """The original name, shortened (extension kept) to what every filesystem accepts."""
    if len(filename.encode("utf-8")) <= limit:
        return filename
    stem, dot, suffix = filename.rpartition(".")
    if not dot or len(suffix) > 16:
        stem, suffix = filename, ""
    keep = limit - len(suffix.encode("utf-8")) - 1
    short = stem.encode("utf-8")[:keep].decode("utf-8", errors="ignore")
    return f"{short}.{suffix}" if suffix else short


def staging_paths(folder: Path, assets: Sequence[Asset]) -> list[Path]:
    """Where each asset of a batch is shown to ExifTool: ``folder/0/<name>``, or ``folder/<n>/<name>``
    (n > 0) for a name already taken in the batch (compared case-blind, for case-insensitive
    filesystems). One folder for most of a batch: every folder made and removed is an inode the
    filesystem must find and free, which showed in a bulk import's kernel time."""
    taken: set[str] = set()
    paths = []
    for index, asset in enumerate(assets, start=1):
        name = staging_name(asset.filename)
        paths.append(folder / (str(index) if name.casefold() in taken else "0") / name)
        taken.add(name.casefold())
    return paths


def _link_all(paths: Sequence[Path], sources: Sequence[Path | None]) -> list[bool]:
    """Create each staging folder and link its file to the source without copying.

    For each: False when there is no local source or this filesystem allows neither kind of link
    (the caller copies it then); a folder that cannot be made is False too, and the copy reports why.
    """
    linked = []
    made: set[Path] = set()  # most of a batch shares one folder: make it once
    for path, source in zip(paths, sources, strict=True):
        if path.parent not in made:
            try:
                path.parent.mkdir(parents=True)
            except OSError:
                linked.append(False)
                continue
            made.add(path.parent)
        linked.append(source is not None and _link(source, path))
    return linked


def _link(source: Path, path: Path) -> bool:
    """A hard link when the filesystem allows one (no new inode), else a symbolic link."""
    for make in (os.link, os.symlink):
        try:
            make(source, path)
        except OSError:
            continue
        return True
    return False
