"""``FolderBackupTarget``: a backup kept in a folder (an external disk, a mounted share).

Layout::

    TARGET/FACEFORGE-BACKUP                 marks the folder as a backup (format version)
    TARGET/lock                             held by the one backup writing here
    TARGET/blobs/ab/cd/<sha256>             content-addressed, shared by every snapshot
    TARGET/snapshots/<id>/core.sqlite3      the database copy
    TARGET/snapshots/<id>/manifest.json     written last, atomically: the snapshot is complete
    TARGET/tmp/                             bytes being written (swept by the next backup)

A blob is written into ``tmp/``, hashed while written, synced, checked against its name and only
then renamed into ``blobs/``; the folders that received renames are synced before a manifest is
published, so a manifest never names a blob that a power cut could take back.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import anyio
import msgspec

from faceforge_adapters.backup.files import HashingWriter, fsync_dir, write_atomically
from faceforge_adapters.joblease import try_lock, unlock
from faceforge_adapters.storage.filesystem import READ_CHUNK, content_key
from faceforge_domain.backup.models import DATABASE_FILE, FORMAT_VERSION, DatabaseCopy, Manifest
from faceforge_domain.errors import Conflict, DigestMismatch, Invalid, NotFound

MARKER = "FACEFORGE-BACKUP"
MANIFEST = "manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SNAPSHOT_ID = re.compile(r"^[0-9TZ-]+$")


def _check_snapshot_id(snapshot_id: str) -> str:
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):
        raise NotFound("backup snapshot", snapshot_id)
    return snapshot_id


class FolderBackupTarget:
    """Implements ``BackupTarget`` on a folder; writes only while ``for_writing`` holds its lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._snapshots = root / "snapshots"
        self._tmp = root / "tmp"
        self._unsynced: set[Path] = set()

    @property
    def where(self) -> str:
        return str(self.root)

    def blob_path(self, sha256: str) -> Path:
        return self._blobs / content_key(sha256)

    def _snapshot_dir(self, snapshot_id: str) -> Path:
        return self._snapshots / _check_snapshot_id(snapshot_id)

    # reading

    async def snapshots(self) -> list[Manifest]:
        return await anyio.to_thread.run_sync(self._read_manifests)

    def _read_manifests(self) -> list[Manifest]:
        found = []
        for folder in sorted(self._snapshots.iterdir()) if self._snapshots.is_dir() else []:
            path = folder / MANIFEST
            if path.is_file():
                found.append(self._decode(path))
        return sorted(found, key=lambda m: (m.created_at, m.snapshot_id))

    @staticmethod
    def _decode(path: Path) -> Manifest:
        data = path.read_bytes()
        try:
            version = msgspec.json.decode(data, type=dict[str, object]).get("format_version")
            if isinstance(version, int) and version > FORMAT_VERSION:
                raise Invalid.one(
                    "manifest",
                    f"{path} is backup format {version}; this FaceForge reads up to {FORMAT_VERSION}",
                )
            return msgspec.json.decode(data, type=Manifest)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise Invalid.one("manifest", f"{path} is not a readable manifest: {exc}") from exc

    async def blob_size(self, sha256: str) -> int | None:
        try:
            return (await anyio.to_thread.run_sync(os.stat, self.blob_path(sha256))).st_size
        except FileNotFoundError:
            return None

    async def blob_names(self) -> set[str]:
        return await anyio.to_thread.run_sync(self._blob_names)

    def _blob_names(self) -> set[str]:
        return {p.name for p in self._blobs.glob("*/*/*") if _SHA256.fullmatch(p.name)}

    def read_blob(self, sha256: str) -> AsyncIterator[bytes]:
        return _read(self.blob_path(sha256))

    def read_database(self, snapshot_id: str) -> AsyncIterator[bytes]:
        return _read(self._snapshot_dir(snapshot_id) / DATABASE_FILE)

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
        final = self.blob_path(sha256)
        writer = HashingWriter(self._tmp / f"{sha256}.{secrets.token_hex(4)}.part")
        try:
            async for chunk in chunks:
                await anyio.to_thread.run_sync(writer.write, chunk)
            DigestMismatch.check(writer.hasher.hexdigest(), sha256)
            await anyio.to_thread.run_sync(writer.publish, final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.discard)
            raise
        self._unsynced.add(final.parent)

    async def put_database(self, snapshot_id: str, chunks: AsyncIterable[bytes]) -> DatabaseCopy:
        folder = self._snapshot_dir(snapshot_id)
        await anyio.to_thread.run_sync(lambda: folder.mkdir(parents=True, exist_ok=False))
        writer = HashingWriter(self._tmp / f"{DATABASE_FILE}.{snapshot_id}.part")
        try:
            async for chunk in chunks:
                await anyio.to_thread.run_sync(writer.write, chunk)
            await anyio.to_thread.run_sync(writer.publish, folder / DATABASE_FILE)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.discard)
            raise
        self._unsynced.update((folder, self._snapshots))
        return DatabaseCopy(sha256=writer.hasher.hexdigest(), size_bytes=writer.hasher.size)

    async def publish(self, manifest: Manifest) -> None:
        folder = self._snapshot_dir(manifest.snapshot_id)
        data = msgspec.json.format(msgspec.json.encode(manifest), indent=1)
        await anyio.to_thread.run_sync(self._sync_renames)
        await anyio.to_thread.run_sync(write_atomically, folder / MANIFEST, data)

    def _sync_renames(self) -> None:
        """Make every rename since the last manifest durable (their folders, then the fan-out above)."""
        folders, self._unsynced = self._unsynced, set()
        for folder in sorted(folders | {f.parent for f in folders}, key=lambda p: -len(p.parts)):
            fsync_dir(folder)

    async def remove_snapshot(self, snapshot_id: str) -> None:
        folder = self._snapshot_dir(snapshot_id)

        def remove() -> None:
            (folder / MANIFEST).unlink(missing_ok=True)
            fsync_dir(folder)
            shutil.rmtree(folder, ignore_errors=False)

        await anyio.to_thread.run_sync(remove)

    async def remove_blob(self, sha256: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.blob_path(sha256).unlink(missing_ok=True))


async def _read(path: Path) -> AsyncIterator[bytes]:
    handle = await anyio.to_thread.run_sync(path.open, "rb")
    try:
        while chunk := await anyio.to_thread.run_sync(handle.read, READ_CHUNK):
            yield chunk
    finally:
        await anyio.to_thread.run_sync(handle.close)


def refuse_foreign(root: Path) -> None:
    """A backup goes into a new or empty folder, or one that holds a FaceForge backup already."""
    if root.exists() and not root.is_dir():
        raise Invalid.one("input/target", f"{root} is a file, not a folder")
    if root.is_dir() and not (root / MARKER).is_file() and any(root.iterdir()):
        raise Invalid.one(
            "input/target", f"{root} is not empty and holds no FaceForge backup; pick an empty folder"
        )


class FolderBackupTargets:
    """Implements ``BackupTargets`` for folders; ``own_folders`` (the home's) may not hold a backup."""

    def __init__(self, own_folders: Sequence[Path] = ()) -> None:
        self._own = [Path(os.path.abspath(p)) for p in own_folders]

    def check(self, where: str) -> None:
        """Asked before a backup job exists: the path's shape, and a folder that is not ours."""
        refuse_foreign(self._root(where))

    def _root(self, where: str) -> Path:
        path = Path(where).expanduser()
        if not where or not path.is_absolute():
            raise Invalid.one("input/target", f"the backup folder must be an absolute path, not {where!r}")
        path = Path(os.path.abspath(path))
        for own in self._own:
            if path == own or own in path.parents or path in own.parents:
                raise Invalid.one(
                    "input/target", f"{path} overlaps FaceForge's own folder {own}; back up to another folder"
                )
        return path

    @asynccontextmanager
    async def for_reading(self, where: str) -> AsyncIterator[FolderBackupTarget]:
        root = self._root(where)
        if not await anyio.to_thread.run_sync((root / MARKER).is_file):
            raise NotFound("backup", str(root))
        yield FolderBackupTarget(root)

    @asynccontextmanager
    async def for_writing(self, where: str) -> AsyncIterator[FolderBackupTarget]:
        root = self._root(where)
        handle = await anyio.to_thread.run_sync(self._prepare, root)
        try:
            yield FolderBackupTarget(root)
        finally:
            unlock(handle)
            handle.close()

    @staticmethod
    def _prepare(root: Path) -> IO[bytes]:
        """Create the layout (a folder holding something else is refused) and take the lock."""
        refuse_foreign(root)
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER
        if not marker.is_file():
            write_atomically(marker, msgspec.json.encode({"format_version": FORMAT_VERSION}) + b"\n")
        for sub in ("blobs", "snapshots", "tmp"):
            (root / sub).mkdir(exist_ok=True)
        handle = (root / "lock").open("wb")
        if not try_lock(handle):
            handle.close()
            raise Conflict(f"another backup is writing to {root} right now", {"target": str(root)})
        with contextlib.suppress(OSError):
            fsync_dir(root)
        return handle
