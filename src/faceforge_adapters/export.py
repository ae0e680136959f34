"""``FolderExportTarget``: an export written into a folder (``docs/export.md`` has the layout).

Files are written into the hidden ``.faceforge-export-tmp/`` folder, hashed as they go, and renamed
to their names once complete; before the manifest is published every file is synced (one ``syncfs``
where the platform has it), and the manifest goes last, atomically. The hidden marker
``.faceforge-export`` says the folder is an export, and is also the lock one writer holds.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import IO

import anyio

from faceforge_adapters.backup.files import HashingWriter, hash_file, rename_into, sync_all, write_atomically
from faceforge_adapters.imports import SYSTEM_FOLDER, fences_for
from faceforge_adapters.joblease import try_lock, unlock
from faceforge_adapters.storage.filesystem import fsync_dir
from faceforge_domain.errors import Conflict, DigestMismatch, Forbidden, Invalid
from faceforge_domain.export.models import MANIFEST, MARKER

TMP = ".faceforge-export-tmp"
WriterFactory = Callable[[Path], HashingWriter]


def is_export(root: Path) -> bool:
    """The folder holds an export (finished, or one still being written)."""
    return (root / MARKER).is_file()


def refuse_foreign(root: Path) -> None:
    """An export goes into a new or empty folder, or over an earlier export; anything else is refused
    before a single byte is written."""
    if root.exists() and not root.is_dir():
        raise Invalid.one("input/target", f"{root} is a file, not a folder")
    if root.is_dir() and not is_export(root) and any(root.iterdir()):
        raise Invalid.one(
            "input/target",
            f"{root} is not empty and holds no FaceForge export; pick an empty or new folder",
        )


class FolderExportTarget:
    """Implements ``ExportTarget`` on a folder; ``writer`` makes the file writers (a test passes one
    that fills the disk)."""

    def __init__(self, root: Path, writer: WriterFactory = HashingWriter) -> None:
        self.root = root
        self._tmp = root / TMP
        self._writer = writer
        self._written: list[Path] = []

    @property
    def where(self) -> str:
        return str(self.root)

    def _path(self, relative: str) -> Path:
        parts = PurePosixPath(relative).parts
        if not parts or any(part in ("", ".", "..") for part in parts) or relative.startswith("/"):
            raise ValueError(f"not a relative path inside the export: {relative!r}")
        return self.root.joinpath(*parts)

    async def unpublish(self) -> bool:
        def remove() -> bool:
            manifest = self.root / MANIFEST
            if not manifest.is_file():
                return False
            manifest.unlink()
            fsync_dir(self.root)
            return True

        return await anyio.to_thread.run_sync(remove)

    async def holds(self, path: str, sha256: str, size: int) -> bool:
        return await anyio.to_thread.run_sync(_holds, self._path(path), sha256, size)

    async def put(self, path: str, chunks: AsyncIterable[bytes], *, sha256: str | None = None) -> int:
        final = self._path(path)
        writer = self._writer(self._tmp / f"{secrets.token_hex(8)}.part")
        stream = aiter(chunks)
        try:
            chunk = await anext(stream, b"")
            while (after := await anext(stream, None)) is not None:  # one ahead: the last one is known
                await anyio.to_thread.run_sync(writer.write, chunk)
                chunk = after
            # the last piece, the check and the name in one worker-thread trip: a small file costs one
            await anyio.to_thread.run_sync(_finish, writer, chunk, sha256, final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.discard)
            raise
        self._written.append(final)
        return writer.hasher.size

    async def sweep(self, keep: Collection[str]) -> list[str]:
        wanted = {self._path(p) for p in keep}
        return await anyio.to_thread.run_sync(self._sweep, wanted)

    def _sweep(self, wanted: set[Path]) -> list[str]:
        removed = []
        for folder, subfolders, files in os.walk(self.root, topdown=False):
            here = Path(folder)
            for name in files:
                path = here / name
                if here == self.root and name in (MARKER, MANIFEST):
                    continue
                if path not in wanted:
                    path.unlink()
                    removed.append(path.relative_to(self.root).as_posix())
            for name in subfolders:
                with suppress(OSError):  # still holds files: kept
                    (here / name).rmdir()
        return sorted(r for r in removed if not r.startswith(f"{TMP}/"))

    async def publish(self, manifest: bytes) -> None:
        def finish() -> None:
            folders = sorted({p.parent for p in self._written}, key=lambda p: -len(p.parts))
            sync_all(self.root, self._written, folders)
            write_atomically(self.root / MANIFEST, manifest)

        await anyio.to_thread.run_sync(finish)

    def discard_tmp(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


def _finish(writer: HashingWriter, last: bytes, sha256: str | None, final: Path) -> None:
    writer.write_last(last)
    if sha256 is not None:
        DigestMismatch.check(writer.hasher.hexdigest(), sha256)
    rename_into(writer.tmp, final)


def _holds(path: Path, sha256: str, size: int) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        hasher = hash_file(path)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False
    return hasher.hexdigest() == sha256


class FolderExportTargets:
    """Implements ``ExportTargets`` for folders, fenced like imports and backups: never in or around a
    system folder or FaceForge's own folders."""

    def __init__(self, own_folders: Sequence[Path] = (), writer: WriterFactory = HashingWriter) -> None:
        self._fences = fences_for(own_folders, ())
        self._writer = writer

    def check(self, where: str) -> None:
        refuse_foreign(self._root(where))

    def _root(self, where: str) -> Path:
        path = Path(where).expanduser()
        if not where or "\x00" in where or not path.is_absolute():
            raise Invalid.one("input/target", f"the export folder must be an absolute path, not {where!r}")
        path = Path(os.path.abspath(path))
        for candidate in {str(path), os.path.realpath(path)}:
            if reason := self._fences.refusal(candidate):
                raise Forbidden(f"{where} is in {reason}; export to a folder of its own")
            if self._fences.holds_system_folder(candidate):
                raise Forbidden(f"{where} holds {SYSTEM_FOLDER}; export to a folder of its own")
            if self._fences.holds_own_folder(candidate):
                raise Forbidden(f"{where} holds FaceForge's own folders; export to a folder of its own")
        return path

    @asynccontextmanager
    async def for_writing(self, where: str) -> AsyncIterator[FolderExportTarget]:
        root = self._root(where)
        handle = await anyio.to_thread.run_sync(_prepare, root)
        target = FolderExportTarget(root, self._writer)
        try:
            yield target
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(target.discard_tmp)
            unlock(handle)
            handle.close()


def _prepare(root: Path) -> IO[bytes]:
    """Refuse a foreign folder, then create the folder, the marker (the lock) and the tmp folder."""
    refuse_foreign(root)
    root.mkdir(parents=True, exist_ok=True)
    handle = (root / MARKER).open("ab")
    if not try_lock(handle):
        handle.close()
        raise Conflict(f"another export is writing to {root} right now", {"target": str(root)})
    (root / TMP).mkdir(exist_ok=True)
    with suppress(OSError):
        fsync_dir(root)
    return handle
