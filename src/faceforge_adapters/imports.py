"""FilesystemImportSource: the bulk-import source on local disks.

Safety before anything else: system folders are refused (``Forbidden``) so an install-token holder
cannot pull ``/etc/shadow`` into the store, ``import.allowed_roots`` (when set) fences imports in,
and the folder must exist, be a folder and be readable (``Invalid``) before any job is created.
The walk never follows a symlink unless asked, and never enters the same folder twice either way.
"""

from __future__ import annotations

import os
import stat
import sys
from collections import deque
from collections.abc import AsyncIterator, Sequence
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import BinaryIO

import anyio

from faceforge_domain.errors import Forbidden, Invalid
from faceforge_domain.imports.models import FolderListing, FoundFile, Skip, WalkProblem

READ_CHUNK = 1024 * 1024
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
POSIX_SYSTEM_FOLDERS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root")
# Files operating systems drop into folders by themselves; nobody means to import them.
JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"})


def _pure(path: str, windows: bool) -> PurePath:
    return PureWindowsPath(path) if windows else PurePosixPath(path)


def _inside(path: PurePath, folder: PurePath) -> bool:
    if isinstance(path, PureWindowsPath):
        path, folder = PureWindowsPath(str(path).casefold()), PureWindowsPath(str(folder).casefold())
    return path == folder or folder in path.parents


def system_folders(platform: str, user_home: str, env: dict[str, str] | None = None) -> list[PurePath]:
    """Folders never imported from. ``/root`` is allowed when it is the user's own home."""
    windows = platform.startswith("win")
    if windows:
        system_root = (env or {}).get("SystemRoot") or r"C:\Windows"
        return [PureWindowsPath(system_root), PureWindowsPath(r"C:\Windows")]
    home = PurePosixPath(user_home)
    return [
        PurePosixPath(folder)
        for folder in POSIX_SYSTEM_FOLDERS
        if not (folder == "/root" and _inside(home, PurePosixPath(folder)))
    ]


def refused_folder(path: str, folders: Sequence[PurePath], *, windows: bool) -> PurePath | None:
    """The system folder ``path`` lies in, or None."""
    candidate = _pure(path, windows)
    return next((f for f in folders if _inside(candidate, f)), None)


def is_junk(name: str) -> bool:
    return name.casefold() in JUNK_NAMES or name.startswith("._")


class FilesystemImportSource:
    """``ImportSource`` over the local filesystem."""

    def __init__(
        self,
        allowed_roots: Sequence[str] = (),
        *,
        platform: str = sys.platform,
        user_home: str | None = None,
    ) -> None:
        self._windows = platform.startswith("win")
        home = user_home if user_home is not None else str(Path.home())
        self._refused = system_folders(platform, home, dict(os.environ))
        self._allowed = [os.path.realpath(os.path.expanduser(root)) for root in allowed_roots]

    async def resolve_root(self, path: str) -> str:
        return await anyio.to_thread.run_sync(self._resolve, path)

    def _resolve(self, path: str) -> str:
        given = os.path.expanduser(path)
        if not os.path.isabs(given):
            raise Invalid.one("path", "must be an absolute path to a folder")
        real = os.path.realpath(given)
        for candidate in (os.path.abspath(given), real):
            folder = refused_folder(candidate, self._refused, windows=self._windows)
            if folder is not None:
                raise Forbidden(
                    f"{path} is inside the system folder {folder}; "
                    "FaceForge never imports from system folders",
                    {"path": path},
                )
        if self._allowed and not any(
            _inside(_pure(real, self._windows), _pure(root, self._windows)) for root in self._allowed
        ):
            raise Forbidden(
                f"{path} is outside the folders import.allowed_roots permits",
                {"path": path, "allowed_roots": self._allowed},
            )
        if not os.path.exists(real):
            raise Invalid.one("path", f"{path} does not exist")
        if not os.path.isdir(real):
            raise Invalid.one("path", f"{path} is not a folder")
        try:
            with os.scandir(real) as entries:
                next(entries, None)
        except OSError as exc:
            raise Invalid.one("path", f"{path} cannot be read ({exc.strerror or exc})") from None
        return real

    async def walk(
        self, root: str, *, recursive: bool, follow_symlinks: bool
    ) -> AsyncIterator[FolderListing]:
        pending: deque[str] = deque([""])
        seen: set[tuple[int, int]] = set()
        try:
            st = os.stat(root)
            seen.add((st.st_dev, st.st_ino))
        except OSError:
            pass
        while pending:
            folder = pending.popleft()
            listing, subfolders = await anyio.to_thread.run_sync(
                self._list, root, folder, recursive, follow_symlinks, seen
            )
            pending.extend(subfolders)
            yield listing

    def _list(
        self, root: str, folder: str, recursive: bool, follow: bool, seen: set[tuple[int, int]]
    ) -> tuple[FolderListing, list[str]]:
        files: list[FoundFile] = []
        skipped: list[Skip] = []
        problems: list[WalkProblem] = []
        subfolders: list[str] = []
        absolute = os.path.join(root, *folder.split("/")) if folder else root
        try:
            with os.scandir(absolute) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                WalkProblem(path=folder or ".", message=f"folder cannot be read ({exc.strerror})")
            )
            return FolderListing(folder=folder, files=[], problems=problems), []
        for entry in entries:
            rel = f"{folder}/{entry.name}" if folder else entry.name
            try:
                link = entry.is_symlink()
                if link and not follow:
                    skipped.append(Skip(path=rel, reason="symbolic link (follow_symlinks is off)"))
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                problems.append(WalkProblem(path=rel, message=f"cannot be read ({exc.strerror})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if not recursive:
                    continue
                key = (info.st_dev, info.st_ino)
                if key in seen:
                    skipped.append(Skip(path=rel, reason="folder already visited (a symlink loop)"))
                    continue
                seen.add(key)
                subfolders.append(rel)
            elif stat.S_ISREG(info.st_mode):
                if is_junk(entry.name):
                    skipped.append(Skip(path=rel, reason="operating-system housekeeping file"))
                else:
                    files.append(FoundFile(name=entry.name, size=info.st_size))
            else:
                skipped.append(Skip(path=rel, reason="not a regular file"))
        return FolderListing(folder=folder, files=files, skipped=skipped, problems=problems), subfolders

    @staticmethod
    def _file(root: str, path: str) -> str:
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise FileNotFoundError(f"not a path inside the import folder: {path}")
        return os.path.join(root, *parts)

    async def read_small(self, root: str, path: str, limit: int) -> bytes:
        return await anyio.to_thread.run_sync(self._read_at_most, root, path, limit)

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int
    ) -> list[bytes | OSError | ValueError]:
        """The whole batch in one worker-thread trip: one hand-off for many small files."""
        return await anyio.to_thread.run_sync(self._read_all, root, list(paths), limit)

    def _read_all(self, root: str, paths: list[str], limit: int) -> list[bytes | OSError | ValueError]:
        results: list[bytes | OSError | ValueError] = []
        for path in paths:
            try:
                results.append(self._read_at_most(root, path, limit))
            except (OSError, ValueError) as exc:
                results.append(exc)
        return results

    def _read_at_most(self, root: str, path: str, limit: int) -> bytes:
        """One ``read`` (a short read is the end of a regular file) through plain ``os`` calls: each
        system call of a worker thread trades the interpreter lock with the event loop, and a file
        object would make four more."""
        fd = os.open(self._file(root, path), os.O_RDONLY | O_BINARY)
        try:
            data = os.read(fd, limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise ValueError(f"{path} is larger than {limit} bytes")
        return data

    async def open(self, root: str, path: str) -> AsyncIterator[bytes]:
        def first() -> tuple[BinaryIO | None, bytes]:
            handle = open(self._file(root, path), "rb")  # noqa: SIM115  (closed here or below)
            try:
                chunk = handle.read(READ_CHUNK)
            except BaseException:
                handle.close()
                raise
            if len(chunk) < READ_CHUNK:  # a short read is the end of a regular file: one trip in all
                handle.close()
                return None, chunk
            return handle, chunk

        handle, chunk = await anyio.to_thread.run_sync(first)
        try:
            while chunk:
                yield chunk
                if handle is None:
                    break
                chunk = await anyio.to_thread.run_sync(handle.read, READ_CHUNK)
        finally:
            if handle is not None:
                await anyio.to_thread.run_sync(handle.close)
