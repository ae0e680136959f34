"""``FolderBackupTarget``: a backup kept in a folder (an external disk, a mounted share).

Layout::

    TARGET/FACEFORGE-BACKUP                 marks the folder as a backup (format version)
    TARGET/lock                             held by the one backup writing here
    TARGET/blobs/ab/cd/<sha256>             content-addressed, shared by every snapshot
    TARGET/snapshots/<id>/core.sqlite3      the database copy
    TARGET/snapshots/<id>/manifest.json     written last, atomically: the snapshot is complete
    TARGET/tmp/                             bytes being written (swept by the next backup)

A blob is written into ``tmp/`` and hashed while written; once checked against its name it waits
for its batch, which is synced as a whole (``files.sync_all``) and only then renamed into
``blobs/``. Before a manifest is published, the last batch and every renamed name are synced, so a
manifest never names a blob that a power cut could take back, and a name under ``blobs/`` always
holds the checked bytes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import anyio

from faceforge_adapters.backup.files import (
    HashingWriter,
    copy_file,
    hash_file,
    rename_into,
    sync_all,
    write_atomically,
    write_stream,
)
from faceforge_adapters.backup.layout import (
    MANIFEST,
    MARKER,
    SHA256,
    check_snapshot_id,
    decode_manifest,
    encode_manifest,
    marker_bytes,
)
from faceforge_adapters.imports import SYSTEM_FOLDER, fences_for
from faceforge_adapters.joblease import try_lock, unlock
from faceforge_adapters.storage.filesystem import (
    LocalRange,
    content_key,
    fsync_dir,
    read_range,
)
from faceforge_domain.backup.models import DATABASE_FILE, DatabaseCopy, Manifest
from faceforge_domain.backup.ports import Digest
from faceforge_domain.errors import Conflict, DigestMismatch, Forbidden, Invalid, NotFound

# A batch is synced and named once it holds this many files or bytes (or when a manifest is due).
BATCH_FILES = 1000
BATCH_BYTES = 256 * 1024 * 1024


class FolderBackupTarget:
    """Implements ``BackupTarget`` on a folder; writes only while ``for_writing`` holds its lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._snapshots = root / "snapshots"
        self._tmp = root / "tmp"
        self._pending: list[tuple[Path, Path]] = []  # (written and checked in tmp/, its name)
        self._pending_bytes = 0
        self._unsynced: set[Path] = set()  # folders that received names since the last sync
        self._batch_lock = anyio.Lock()

    @property
    def where(self) -> str:
        return str(self.root)

    def blob_path(self, sha256: str) -> Path:
        return self._blobs / content_key(sha256)

    def _snapshot_dir(self, snapshot_id: str) -> Path:
        return self._snapshots / check_snapshot_id(snapshot_id)

    # reading

    async def snapshots(self) -> list[Manifest]:
        return await anyio.to_thread.run_sync(self._read_manifests)

    def _read_manifests(self) -> list[Manifest]:
        found = []
        for folder in sorted(self._snapshots.iterdir()) if self._snapshots.is_dir() else []:
            try:
                found.append(decode_manifest((folder / MANIFEST).read_bytes(), str(folder / MANIFEST)))
            except FileNotFoundError:  # unfinished, or being pruned right now
                continue
        return sorted(found, key=lambda m: (m.created_at, m.snapshot_id))

    async def blob_sizes(self) -> dict[str, int]:
        return await anyio.to_thread.run_sync(self._blob_sizes)

    def _blob_sizes(self) -> dict[str, int]:
        sizes = {}
        for fan in _entries(self._blobs):
            for sub in _entries(Path(fan.path)):
                for entry in _entries(Path(sub.path)):
                    if SHA256.fullmatch(entry.name):
                        sizes[entry.name] = entry.stat().st_size
        return sizes

    async def blob_digest(self, sha256: str) -> Digest | None:
        return await anyio.to_thread.run_sync(_digest, self.blob_path(sha256))

    async def database_digest(self, snapshot_id: str) -> Digest | None:
        return await anyio.to_thread.run_sync(_digest, self._snapshot_dir(snapshot_id) / DATABASE_FILE)

    def read_blob(self, sha256: str) -> AsyncIterator[bytes]:
        return read_range(self.blob_path(sha256))

    def read_database(self, snapshot_id: str) -> AsyncIterator[bytes]:
        return read_range(self._snapshot_dir(snapshot_id) / DATABASE_FILE)

    # writing

    async def sweep_unfinished(self) -> list[str]:
        return await anyio.to_thread.run_sync(self._sweep)

    def _sweep(self) -> list[str]:
        removed = []
        for folder in sorted(self._snapshots.iterdir()):
            if not (folder / MANIFEST).is_file():
                shutil.rmtree(folder)
                removed.append(f"snapshots/{folder.name}")
        for leftover in sorted(self._tmp.iterdir()):
            leftover.unlink()
            removed.append(f"tmp/{leftover.name}")
        return removed

    async def put_blob(self, sha256: str, chunks: AsyncIterable[bytes]) -> None:
        writer = await self._write_tmp(f"{sha256}.{secrets.token_hex(4)}.part", chunks)
        try:
            DigestMismatch.check(writer.hasher.hexdigest(), sha256)
        except DigestMismatch:
            await anyio.to_thread.run_sync(writer.discard)
            raise
        self._pending.append((writer.tmp, self.blob_path(sha256)))
        self._pending_bytes += writer.hasher.size
        if len(self._pending) >= BATCH_FILES or self._pending_bytes >= BATCH_BYTES:
            await self._name_pending()

    async def put_database(self, snapshot_id: str, chunks: AsyncIterable[bytes]) -> DatabaseCopy:
        folder = self._snapshot_dir(snapshot_id)
        await anyio.to_thread.run_sync(lambda: folder.mkdir(parents=True, exist_ok=False))
        writer = await self._write_tmp(f"{DATABASE_FILE}.{snapshot_id}.part", chunks)
        self._pending.append((writer.tmp, folder / DATABASE_FILE))
        return DatabaseCopy(sha256=writer.hasher.hexdigest(), size_bytes=writer.hasher.size)

    async def _write_tmp(self, name: str, chunks: AsyncIterable[bytes]) -> HashingWriter:
        """The stream in ``tmp/name``, hashed, closed (not yet synced); nothing left on failure."""
        writer = HashingWriter(self._tmp / name)
        try:
            if isinstance(chunks, LocalRange) and chunks.whole_file:
                await copy_file(chunks.path, writer)  # a stored file: no trip per piece
            else:
                await write_stream(chunks, writer)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.discard)
            raise
        return writer

    async def _name_pending(self) -> None:
        """Sync what waits in ``tmp/`` as one batch, then give each file its name."""
        async with self._batch_lock:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            if batch:
                with anyio.CancelScope(shield=True):  # named once synced: never half a batch
                    await anyio.to_thread.run_sync(self._sync_and_name, batch)

    def _sync_and_name(self, batch: list[tuple[Path, Path]]) -> None:
        try:
            sync_all(self.root, [tmp for tmp, _ in batch])
            for tmp, final in batch:
                rename_into(tmp, final)
                self._unsynced.add(final.parent)
        except BaseException:
            for tmp, _ in batch:
                tmp.unlink(missing_ok=True)
            raise

    async def discard_pending(self) -> None:
        """Remove what was written but never named (a backup that stopped before its manifest)."""
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        await anyio.to_thread.run_sync(_remove, [tmp for tmp, _ in batch])

    async def publish(self, manifest: Manifest) -> None:
        folder = self._snapshot_dir(manifest.snapshot_id)
        data = encode_manifest(manifest)
        await self._name_pending()
        await anyio.to_thread.run_sync(self._sync_names)
        await anyio.to_thread.run_sync(write_atomically, folder / MANIFEST, data)

    def _sync_names(self) -> None:
        """Make every name given since the last manifest durable (their folders and those above)."""
        folders, self._unsynced = self._unsynced, set()
        folders |= {f.parent for f in folders} | {f.parent.parent for f in folders}
        sync_all(self.root, [], sorted(folders, key=lambda p: -len(p.parts)))

    async def remove_snapshot(self, snapshot_id: str) -> None:
        folder = self._snapshot_dir(snapshot_id)

        def remove() -> None:
            (folder / MANIFEST).unlink(missing_ok=True)
            fsync_dir(folder)
            shutil.rmtree(folder, ignore_errors=False)

        await anyio.to_thread.run_sync(remove)

    async def remove_blob(self, sha256: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.blob_path(sha256).unlink(missing_ok=True))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return [entry for entry in found if not entry.name.startswith(".")]
    except FileNotFoundError:
        return []


def _digest(path: Path) -> Digest | None:
    """Read and hash in one worker-thread trip."""
    try:
        hasher = hash_file(path)
    except FileNotFoundError:
        return None
    return Digest(hasher.hexdigest(), hasher.size)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def refuse_foreign(root: Path) -> None:
    """A backup goes into a new or empty folder, or one that holds a FaceForge backup already."""
    if root.exists() and not root.is_dir():
        raise Invalid.one("input/target", f"{root} is a file, not a folder")
    if root.is_dir() and not (root / MARKER).is_file() and any(root.iterdir()):
        raise Invalid.one(
            "input/target", f"{root} is not empty and holds no FaceForge backup; pick an empty folder"
        )


class FolderBackupTargets:
    """Implements ``BackupTargets`` for folders, fenced like imports: never in or around a system folder
    or FaceForge's own folders, and inside ``backup.allowed_roots`` when that is set."""

    def __init__(self, own_folders: Sequence[Path] = (), allowed_roots: Sequence[str] = ()) -> None:
        self._fences = fences_for(own_folders, allowed_roots)
        self._allowed = list(allowed_roots)

    def check(self, where: str, *, endpoint_url: str | None = None) -> None:
        """Asked before a backup job exists: the path's shape, the fences, a folder that is not ours."""
        refuse_foreign(self._root(where, endpoint_url))

    def _root(self, where: str, endpoint_url: str | None = None) -> Path:
        if endpoint_url is not None:
            raise Invalid.one("input/endpoint_url", "an endpoint URL goes with an s3:// target only")
        path = Path(where).expanduser()
        if not where or not path.is_absolute():
            raise Invalid.one("input/target", f"the backup folder must be an absolute path, not {where!r}")
        path = Path(os.path.abspath(path))
        for candidate in {str(path), os.path.realpath(path)}:
            if self._fences.refusal(candidate) or self._fences.holds_system_folder(candidate):
                raise Forbidden(f"{where} is in or around {self._fences.refusal(candidate) or SYSTEM_FOLDER}")
            if self._fences.holds_own_folder(candidate):
                raise Forbidden(f"{where} holds FaceForge's own folders; back up to a folder of its own")
            if self._fences.outside_allowed(candidate):
                raise Forbidden(
                    f"{where} is outside the folders backup.allowed_roots permits",
                    {"target": where, "allowed_roots": self._allowed},
                )
        return path

    @asynccontextmanager
    async def for_reading(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[FolderBackupTarget]:
        root = self._root(where, endpoint_url)
        if not await anyio.to_thread.run_sync((root / MARKER).is_file):
            raise NotFound("backup", str(root))
        yield FolderBackupTarget(root)

    @asynccontextmanager
    async def for_writing(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[FolderBackupTarget]:
        root = self._root(where, endpoint_url)
        handle = await anyio.to_thread.run_sync(self._prepare, root)
        target = FolderBackupTarget(root)
        try:
            yield target
        finally:
            with anyio.CancelScope(shield=True):
                await target.discard_pending()
            unlock(handle)
            handle.close()

    @staticmethod
    def _prepare(root: Path) -> IO[bytes]:
        """Create the layout (a folder holding something else is refused) and take the lock."""
        refuse_foreign(root)
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER
        if not marker.is_file():
            write_atomically(marker, marker_bytes())
        for sub in ("blobs", "snapshots", "tmp"):
            (root / sub).mkdir(exist_ok=True)
        handle = (root / "lock").open("wb")
        if not try_lock(handle):
            handle.close()
            raise Conflict(f"another backup is writing to {root} right now", {"target": str(root)})
        with contextlib.suppress(OSError):
            fsync_dir(root)
        return handle
