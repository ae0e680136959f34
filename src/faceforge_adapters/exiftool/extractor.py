"""ExifToolExtractor: the MetadataExtractor port, running the pool on a path named like the original file.

ExifTool uses the file extension for some formats, and stored blobs are named by their hash, so each
file is staged in ``tmp/exiftool/`` under its original name: a symbolic (or hard) link to the blob when
it is on the local disk, otherwise a streamed copy. The staging folder is always removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio

from faceforge_adapters.exiftool.pool import ExifToolPool
from faceforge_domain.metadata import MetadataError
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore

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

    async def extract(self, asset: Asset) -> bytes:
        if self._pool is None:
            raise MetadataError(self._unavailable or "exiftool not found")
        try:
            async with self._staged(asset) as path:
                timeout = timeout_for(asset.size_bytes, base=self._timeout_base)
                return await self._pool.run(
                    path, limit_s=timeout, asset_id=asset.asset_id, size_bytes=asset.size_bytes
                )
        except OSError as exc:
            raise MetadataError(f"the file could not be prepared for exiftool: {exc}") from None

    @contextlib.asynccontextmanager
    async def _staged(self, asset: Asset) -> AsyncIterator[Path]:
        folder = self._staging_dir / f"{asset.asset_id[:16]}-{secrets.token_hex(4)}"
        path = folder / staging_name(asset.filename)
        source = self._local_path(asset.storage) if self._local_path is not None else None
        try:
            if not await anyio.to_thread.run_sync(_make_folder_and_link, folder, source, path):
                await self._copy(asset.storage, path)
            yield path.absolute()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_remove_staged, folder, path)

    async def _copy(self, location: StorageLocation, path: Path) -> None:
        async with await anyio.open_file(path, "xb") as out:
            async for chunk in self._store.open_range(location):
                await out.write(chunk)


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


def _remove_staged(folder: Path, path: Path) -> None:
    """Remove the staged link and its folder: two calls in the usual case, a full sweep otherwise."""
    try:
        path.unlink()
        folder.rmdir()
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def _make_folder_and_link(folder: Path, source: Path | None, path: Path) -> bool:
    """Create the staging folder and link ``path`` to ``source`` without copying (one trip to a thread).

    False when there is no local source or this filesystem allows neither kind of link.
    """
    folder.mkdir(parents=True)
    if source is None:
        return False
    for make in (os.symlink, os.link):
        try:
            make(source, path)
        except OSError:
            continue
        return True
    return False
