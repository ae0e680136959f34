"""FilesystemImportSource: the bulk-import source on local disks.

The files under an import folder are hostile input, and whoever holds the install token must not reach
through them what the operating system or FaceForge keep to themselves:

- System folders (``/etc``, ``/proc``, ``C:\\Windows``...) and FaceForge's own folders (its home and
  any configured folder outside it, which hold the install token and the database) are never read.
  As the starting folder they are refused (``Forbidden``), and so is a folder that contains a system
  folder (``/``, ``C:\\``); met at any depth of the walk they are skipped, recognised by path and by
  identity (device and inode), so a bind mount or junction onto one is skipped too.
- ``import.allowed_roots`` (when set) fences the starting folder in.
- A symbolic link is skipped unless ``follow_symlinks`` is on; a followed link must lead inside the
  import folder (or an allowed root) and outside the refused folders. No folder is entered twice.
- Hidden files and folders (a name starting with ``.``; on Windows also the hidden attribute) are
  skipped unless ``include_hidden`` is on.
- A read cannot be redirected by a link swapped in after the walk: without ``follow_symlinks`` each
  folder of the path and the file are opened relative to the one before with ``O_NOFOLLOW``; with it
  (and on systems without ``openat``), the real path of what was opened is checked as the walk checked
  links. A pipe or device swapped in is refused without blocking (``O_NONBLOCK``, then ``fstat``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import BinaryIO

import anyio

from faceforge_domain.errors import Forbidden, Invalid
from faceforge_domain.imports.models import FolderListing, FoundFile, Skip, WalkProblem
from faceforge_domain.imports.plan import HIDDEN, is_hidden

READ_CHUNK = 1024 * 1024
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a pipe swapped in for a file must not block the read
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Without ``openat`` (Windows), reads check the real path of what they opened instead.
RELATIVE_OPENS = os.open in os.supports_dir_fd and O_NOFOLLOW != 0
IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003  # a Windows junction (the stat module names it on Windows only)
POSIX_SYSTEM_FOLDERS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run")
# Inside a system folder, yet where the desktop mounts removable drives (udisks: /run/media/<user>/<label>).
REMOVABLE_MEDIA = (PurePosixPath("/run/media"),)
MACOS_SYSTEM_FOLDERS = ("/System", "/private/etc", "/private/var/root")  # /etc is a link to /private/etc
# Files operating systems drop into folders by themselves; nobody means to import them.
JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"})

SYSTEM_FOLDER = "a system folder"
OWN_FOLDER = "FaceForge's own folder"
LINK_NOT_FOLLOWED = "symbolic link (follow_symlinks is off)"
LOOP = "folder already visited (a symlink loop)"
JUNK = "operating-system housekeeping file"
SPECIAL = "not a regular file"
SWAPPED = "took its place after the folder was listed"

Identity = tuple[int, int]


def _pure(path: str, windows: bool) -> PurePath:
    return PureWindowsPath(path) if windows else PurePosixPath(path)


def _inside(path: PurePath, folder: PurePath) -> bool:
    """``path`` is ``folder`` or lies under it (both normalised by their class; case-blind on Windows).
    Compared as text: reads with links followed ask this for every file."""
    inner, outer, sep = str(path), str(folder), "/"
    if isinstance(path, PureWindowsPath):
        inner, outer, sep = inner.casefold(), outer.casefold(), "\\"
    prefix = outer if outer.endswith(sep) else outer + sep
    return inner == outer or inner.startswith(prefix)


def system_folders(platform: str, user_home: str, env: dict[str, str] | None = None) -> list[PurePath]:
    """Folders never imported from. ``/root`` is allowed when it is the user's own home."""
    if platform.startswith("win"):
        system_root = (env or {}).get("SystemRoot") or r"C:\Windows"
        return [PureWindowsPath(system_root), PureWindowsPath(r"C:\Windows")]
    home = PurePosixPath(user_home)
    folders = POSIX_SYSTEM_FOLDERS + (MACOS_SYSTEM_FOLDERS if platform == "darwin" else ())
    return [
        PurePosixPath(folder)
        for folder in folders
        if not (folder in ("/root", "/private/var/root") and _inside(home, PurePosixPath(folder)))
    ]


def is_junk(name: str) -> bool:
    return name.casefold() in JUNK_NAMES or name.startswith("._")


@dataclass(frozen=True, slots=True)
class Fences:
    """Where imports (and backups) may not go: system folders, FaceForge's own folders, and (when set)
    the allowed roots they must stay inside. Paths are compared as written, case-blind on Windows."""

    system: Sequence[PurePath]
    own: Sequence[PurePath]
    allowed: Sequence[PurePath]
    windows: bool

    def refusal(self, path: str) -> str | None:
        """Why nothing under ``path`` (a real path) may be read, or None."""
        candidate = _pure(path, self.windows)
        if any(_inside(candidate, folder) for folder in self.system) and not any(
            _inside(candidate, media) for media in REMOVABLE_MEDIA
        ):
            return SYSTEM_FOLDER
        if any(_inside(candidate, folder) for folder in self.own):
            return OWN_FOLDER
        return None

    def holds_own_folder(self, path: str) -> bool:
        """``path`` contains one of FaceForge's folders (the folder holding the home, say)."""
        candidate = _pure(path, self.windows)
        return any(_inside(folder, candidate) for folder in self.own)

    def holds_system_folder(self, path: str) -> bool:
        """``path`` contains a system folder (``/``, ``C:\\``): importing it would walk into one."""
        candidate = _pure(path, self.windows)
        return any(_inside(folder, candidate) for folder in self.system)

    def outside_allowed(self, path: str) -> bool:
        candidate = _pure(path, self.windows)
        return bool(self.allowed) and not any(_inside(candidate, root) for root in self.allowed)

    def link_refusal(self, root: str, target: str, *, follow: bool = True) -> str | None:
        """Why a path under ``root`` whose real path is ``target`` may not be read, or None: it must
        stay inside ``root`` (or, for a followed link, an allowed root) and outside refused folders."""
        if (reason := self.refusal(target)) is not None:
            return f"leads into {reason}"
        candidate = _pure(target, self.windows)
        if _inside(candidate, _pure(root, self.windows)):
            return None
        if follow and any(_inside(candidate, allowed) for allowed in self.allowed):
            return None
        return "leads outside the import folder"

    def within(self, roots: Sequence[str]) -> Fences:
        """These fences, with ``roots`` (real paths) as the allowed roots."""
        return replace(self, allowed=[_pure(root, self.windows) for root in roots])

    def identities(self) -> dict[Identity, str]:
        """The refused folders that exist, by device and inode: how a bind mount, a junction or a
        renamed path onto one is recognised."""
        found: dict[Identity, str] = {}
        for reason, folders in ((SYSTEM_FOLDER, self.system), (OWN_FOLDER, self.own)):
            for folder in folders:
                try:
                    found.setdefault(_identity(os.stat(folder)), reason)
                except OSError:
                    continue
        return found


def fences_for(
    own_folders: Sequence[str | os.PathLike[str]],
    allowed_roots: Sequence[str],
    platform: str = sys.platform,
    user_home: str | None = None,
) -> Fences:
    """The fences of this machine: its system folders, FaceForge's own, the allowed roots (real paths)."""
    windows = platform.startswith("win")
    home = user_home if user_home is not None else str(Path.home())
    return Fences(
        system=system_folders(platform, home, dict(os.environ)),
        own=[_pure(_real(folder), windows) for folder in own_folders],
        allowed=[_pure(_real(root), windows) for root in allowed_roots],
        windows=windows,
    )


def _identity(info: os.stat_result) -> Identity:
    return info.st_dev, info.st_ino


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.path.expanduser(path))


class FilesystemImportSource:
    """``ImportSource`` over the local filesystem.

    ``own_folders`` are FaceForge's folders (the home and configured folders outside it): never imported.
    """

    def __init__(
        self,
        allowed_roots: Sequence[str] = (),
        *,
        own_folders: Sequence[str | os.PathLike[str]] = (),
        platform: str = sys.platform,
        user_home: str | None = None,
    ) -> None:
        self._windows = platform.startswith("win")
        self._fences = fences_for(own_folders, allowed_roots, platform, user_home)
        self._fenced_ids: dict[Identity, str] | None = None

    @property
    def fences(self) -> Fences:
        """Where imports may not go; the folder picker keeps to the same fences."""
        return self._fences

    async def resolve_root(self, path: str) -> str:
        return await anyio.to_thread.run_sync(self._resolve, path)

    def _resolve(self, path: str) -> str:
        given = os.path.expanduser(path)
        if not os.path.isabs(given):
            raise Invalid.one("path", "must be an absolute path to a folder")
        real = os.path.realpath(given)
        for candidate in (os.path.abspath(given), real):
            self._refuse_fenced(path, candidate)
        if self._fences.outside_allowed(real):
            raise Forbidden(
                f"{path} is outside the folders import.allowed_roots permits",
                {"path": path, "allowed_roots": [str(root) for root in self._fences.allowed]},
            )
        if not os.path.exists(real):
            raise Invalid.one("path", f"{path} does not exist")
        if not os.path.isdir(real):
            raise Invalid.one("path", f"{path} is not a folder")
        try:
            with os.scandir(real) as entries:
                next(entries, None)
            reason = self._fenced(fresh=True).get(_identity(os.stat(real)))
        except OSError as exc:
            raise Invalid.one("path", f"{path} cannot be read ({exc.strerror or exc})") from None
        if reason is not None:  # the same folder under another name: a bind mount or a junction
            raise self._forbidden(path, reason)
        return real

    def _refuse_fenced(self, path: str, candidate: str) -> None:
        reason = self._fences.refusal(candidate)
        if reason is not None:
            raise self._forbidden(path, reason)
        if self._fences.holds_system_folder(candidate):
            raise Forbidden(
                f"{path} contains system folders; FaceForge never imports from system folders, "
                "so choose a folder inside it",
                {"path": path},
            )

    @staticmethod
    def _forbidden(path: str, reason: str) -> Forbidden:
        return Forbidden(f"{path} is inside {reason}; FaceForge never imports from it", {"path": path})

    def _fenced(self, *, fresh: bool = False) -> dict[Identity, str]:
        if self._fenced_ids is None or fresh:
            self._fenced_ids = self._fences.identities()
        return self._fenced_ids

    async def walk(
        self, root: str, *, recursive: bool, follow_symlinks: bool, include_hidden: bool
    ) -> AsyncIterator[FolderListing]:
        walk = _Walk(root=root, recursive=recursive, follow=follow_symlinks, hidden=include_hidden, fenced={})
        await anyio.to_thread.run_sync(self._begin, walk)
        pending: deque[str] = deque([""])
        while pending:
            folder = pending.popleft()
            listing = await anyio.to_thread.run_sync(self._list, walk, folder)
            pending.extend(listing.subfolders)
            yield listing.done()

    def _begin(self, walk: _Walk) -> None:
        """The refused folders' identities as they are now, and the root as entered."""
        walk.fenced = self._fenced(fresh=True)
        with contextlib.suppress(OSError):  # an unreadable root is reported by its listing
            walk.seen.add(_identity(os.stat(walk.root)))

    def _list(self, walk: _Walk, folder: str) -> _Listing:
        listing = _Listing(folder)
        absolute = os.path.join(walk.root, *folder.split("/")) if folder else walk.root
        try:
            with os.scandir(absolute) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            listing.problem(folder or ".", f"folder cannot be read ({exc.strerror})")
            return listing
        for entry in entries:
            rel = f"{folder}/{entry.name}" if folder else entry.name
            try:
                self._entry(walk, entry, rel, listing)
            except OSError as exc:
                listing.problem(rel, f"cannot be read ({exc.strerror})")
        return listing

    def _entry(self, walk: _Walk, entry: os.DirEntry[str], rel: str, listing: _Listing) -> None:
        """Put one directory entry in the listing: a file, a folder to enter, or a skip with its reason."""
        reason = self._entry_refusal(walk, entry)
        if reason is None:
            info = entry.stat(follow_symlinks=True)
            if stat.S_ISREG(info.st_mode):
                listing.files.append(FoundFile(name=entry.name, size=info.st_size))
                return
            reason = self._folder_refusal(walk, entry, info) if stat.S_ISDIR(info.st_mode) else SPECIAL
            if reason is None:
                listing.subfolders.append(rel)
                return
        if reason:  # "": a folder left out without a word (the walk is not recursive)
            listing.skip(rel, reason)

    def _entry_refusal(self, walk: _Walk, entry: os.DirEntry[str]) -> str | None:
        """Why an entry is skipped by its name or as a link, or None."""
        if is_junk(entry.name):
            return JUNK
        if not walk.hidden and (is_hidden(entry.name) or self._hidden_attribute(entry)):
            return HIDDEN
        if not self._is_link(entry):
            return None
        if not walk.follow:
            return LINK_NOT_FOLLOWED
        reason = self._fences.link_refusal(walk.root, os.path.realpath(entry.path))
        return None if reason is None else f"symbolic link that {reason}"

    @staticmethod
    def _folder_refusal(walk: _Walk, entry: os.DirEntry[str], info: os.stat_result) -> str | None:
        """Why a folder is not entered (``""`` when the walk is not recursive), or None; entering it
        marks it seen."""
        if not walk.recursive:
            return ""
        if not info.st_ino:  # Windows: a directory entry carries no inode number; the folder does
            info = os.stat(entry.path)
        key = _identity(info)
        if key in walk.fenced:
            return walk.fenced[key]
        if key in walk.seen:
            return LOOP
        walk.seen.add(key)
        return None

    def _is_link(self, entry: os.DirEntry[str]) -> bool:
        """A symbolic link, or on Windows a junction (not a symlink there). Other reparse points, such
        as cloud files not yet downloaded, are ordinary files."""
        if entry.is_symlink():
            return True
        if not self._windows:
            return False
        tag: int = getattr(entry.stat(follow_symlinks=False), "st_reparse_tag", 0)
        return tag == IO_REPARSE_TAG_MOUNT_POINT

    def _hidden_attribute(self, entry: os.DirEntry[str]) -> bool:
        """Windows' hidden attribute: read with the directory listing there, so it costs nothing."""
        return self._windows and bool(_attributes(entry) & stat.FILE_ATTRIBUTE_HIDDEN)

    async def read_small(self, root: str, path: str, limit: int, *, follow_symlinks: bool) -> bytes:
        return await anyio.to_thread.run_sync(self._read_one, root, path, limit, follow_symlinks)

    def _read_one(self, root: str, path: str, limit: int, follow: bool) -> bytes:
        with _Opener(self, root, follow) as opener:
            return opener.read_at_most(path, limit)

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int, *, follow_symlinks: bool
    ) -> list[bytes | OSError | ValueError]:
        """The whole batch in one worker-thread trip: one hand-off for many small files."""
        return await anyio.to_thread.run_sync(self._read_all, root, list(paths), limit, follow_symlinks)

    def _read_all(
        self, root: str, paths: list[str], limit: int, follow: bool
    ) -> list[bytes | OSError | ValueError]:
        results: list[bytes | OSError | ValueError] = []
        with _Opener(self, root, follow) as opener:
            for path in paths:
                try:
                    results.append(opener.read_at_most(path, limit))
                except (OSError, ValueError) as exc:
                    results.append(exc)
        return results

    async def open(self, root: str, path: str, *, follow_symlinks: bool) -> AsyncIterator[bytes]:
        def first() -> tuple[BinaryIO | None, bytes]:
            with _Opener(self, root, follow_symlinks) as opener:
                handle = os.fdopen(opener.open(path), "rb")
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


@dataclass(slots=True)
class _Walk:
    """One walk's settings and the folders it has entered (by identity)."""

    root: str
    recursive: bool
    follow: bool
    hidden: bool
    fenced: dict[Identity, str]
    seen: set[Identity] = field(default_factory=set)


@dataclass(slots=True)
class _Listing:
    """One folder's listing as it is built, with the subfolders to enter next."""

    folder: str
    files: list[FoundFile] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    problems: list[WalkProblem] = field(default_factory=list)
    subfolders: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skip(path=path, reason=reason))

    def problem(self, path: str, message: str) -> None:
        self.problems.append(WalkProblem(path=path, message=message))

    def done(self) -> FolderListing:
        return FolderListing(
            folder=self.folder, files=self.files, skipped=self.skipped, problems=self.problems
        )


def _attributes(entry: os.DirEntry[str]) -> int:
    return getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)


class _Opener:
    """Opens files of one import folder for reading, as the walk allowed them and nothing else.

    Without links followed (and where ``openat`` exists), every folder on the way and the file itself
    are opened relative to the one before with ``O_NOFOLLOW``: a link swapped in after the walk fails
    to open instead of leading elsewhere. The folder last opened stays open for the next file (a batch
    is mostly one folder). Otherwise the path is opened as it is and the real path of what was opened
    must pass the checks a followed link passes in the walk.
    """

    def __init__(self, source: FilesystemImportSource, root: str, follow: bool) -> None:
        self._source = source
        self._root = root
        self._follow = follow
        self._relative = RELATIVE_OPENS and not follow
        self._folder: str | None = None
        self._folder_fd = -1

    def __enter__(self) -> _Opener:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._close_folder()

    def _close_folder(self) -> None:
        if self._folder_fd >= 0:
            os.close(self._folder_fd)
        self._folder, self._folder_fd = None, -1

    def read_at_most(self, path: str, limit: int) -> bytes:
        """One ``read`` (a short read is the end of a regular file) through plain ``os`` calls: each
        system call of a worker thread trades the interpreter lock with the event loop, and a file
        object would make four more."""
        fd = self.open(path)
        try:
            data = os.read(fd, limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise ValueError(f"{path} is larger than {limit} bytes")
        return data

    def open(self, path: str) -> int:
        """A descriptor of the regular file at ``path`` (relative, POSIX form) under the root."""
        parts = path.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise FileNotFoundError(errno.ENOENT, "not a path inside the import folder", path)
        flags = os.O_RDONLY | O_BINARY | O_NONBLOCK
        if self._relative:
            fd = _open_beneath(parts[-1], flags, self._folder_of(parts), path)
        else:
            fd = os.open(os.path.join(self._root, *parts), flags)
        try:
            info = os.fstat(fd)
            if not self._relative:
                self._check_real(path, fd, info)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a folder", path)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", path)
            if O_NONBLOCK:
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _folder_of(self, parts: list[str]) -> int:
        folder = "/".join(parts[:-1])
        if folder != self._folder:
            self._close_folder()
            self._folder_fd = self._open_folder(parts[:-1])
            self._folder = folder
        return self._folder_fd

    def _open_folder(self, parts: list[str]) -> int:
        """The root, then each folder inside the one before without following a link, each checked
        against the refused folders by identity (one renamed or mounted into the tree)."""
        flags = os.O_RDONLY | O_DIRECTORY
        fd = os.open(self._root, flags | O_NOFOLLOW)
        fenced = self._source._fenced()
        try:
            for depth, part in enumerate(parts, start=1):
                shown = "/".join(parts[:depth])
                inner = _open_beneath(part, flags, fd, shown)
                os.close(fd)
                fd = inner
                reason = fenced.get(_identity(os.fstat(fd)))
                if reason is not None:
                    raise PermissionError(errno.EACCES, f"it is inside {reason}", shown)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_real(self, path: str, fd: int, opened: os.stat_result) -> None:
        """The real path of the opened file passes the link checks. Linux names the opened file itself
        (``/proc/self/fd``, one call); elsewhere the path is resolved, and must still lead to it."""
        try:
            real = os.readlink(f"/proc/self/fd/{fd}")
            resolved = False
        except OSError:
            real = os.path.realpath(os.path.join(self._root, *path.split("/")))
            resolved = True
        reason = self._source._fences.link_refusal(self._root, real, follow=self._follow)
        if reason is not None:
            raise PermissionError(errno.EACCES, f"it {reason}", path)
        if resolved and not _leads_to(real, opened):
            raise PermissionError(errno.EACCES, "it changed while being opened", path)


def _leads_to(path: str, opened: os.stat_result) -> bool:
    try:
        return _identity(os.stat(path)) == _identity(opened)
    except OSError:
        return False


def _open_beneath(name: str, flags: int, folder_fd: int, shown: str) -> int:
    """Open ``name`` inside the folder ``folder_fd`` without following a link; a link (or a file where
    a folder was) that appeared since the walk is said in words."""
    try:
        return os.open(name, flags | O_NOFOLLOW, dir_fd=folder_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PermissionError(exc.errno, f"a symbolic link {SWAPPED}", shown) from None
        if exc.errno == errno.ENOTDIR and flags & O_DIRECTORY:
            raise PermissionError(exc.errno, f"a symbolic link or a file {SWAPPED}", shown) from None
        raise
