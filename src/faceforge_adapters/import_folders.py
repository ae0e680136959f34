"""ImportFolders: the folders a person may pick to import from, browsed one level at a time.

Only folders under the import roots (``import.allowed_roots``, or the user's home folder when none
are set) are listed, never above them. A path asked for is resolved first (``..`` and links followed)
and checked as resolved, so neither ``..`` nor a link leads out; a folder inside a system folder or
FaceForge's own is refused as an import would refuse it. Listings leave out hidden folders, links that
lead out of the roots and refused folders (by path and by identity, so a bind mount onto one too).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import anyio
import msgspec

from faceforge_adapters.imports import FilesystemImportSource, Identity, is_junk
from faceforge_domain.errors import Forbidden, Invalid
from faceforge_domain.imports.plan import is_hidden

# A listing stops here: a folder with more sub-folders than this is better typed than scrolled.
MAX_FOLDERS = 2000


class FolderChoice(msgspec.Struct, frozen=True, kw_only=True):
    """One folder that may be picked: its name as shown and its full path."""

    name: str
    path: str


class FolderView(msgspec.Struct, frozen=True, kw_only=True):
    """A folder's sub-folders; ``path`` is None for the list of roots, ``parent`` None at a root."""

    path: str | None
    parent: str | None
    folders: list[FolderChoice]
    truncated: bool = False


class ImportFolders:
    """Browses the folders under the import roots, within the fences of ``source``."""

    def __init__(self, source: FilesystemImportSource, roots: Sequence[str] = ()) -> None:
        picked = [os.path.realpath(os.path.expanduser(root)) for root in roots] or [str(Path.home())]
        self._roots = picked
        self._fences = source.fences.within(picked)

    @property
    def roots(self) -> list[str]:
        return list(self._roots)

    async def browse(self, path: str | None) -> FolderView:
        return await anyio.to_thread.run_sync(self._browse, path)

    def _browse(self, path: str | None) -> FolderView:
        if not path:
            roots = [FolderChoice(name=root, path=root) for root in self._roots if os.path.isdir(root)]
            return FolderView(path=None, parent=None, folders=roots)
        real = self._checked(path)
        folders, truncated = self._subfolders(real)
        parent = None if real in self._roots else os.path.dirname(real)
        return FolderView(path=real, parent=parent, folders=folders, truncated=truncated)

    def _checked(self, path: str) -> str:
        """The real path of a folder that may be browsed, or the error that says why not."""
        if not os.path.isabs(path):
            raise Invalid.one("path", "must be a full folder path, such as /home/me/Pictures")
        real = os.path.realpath(path)
        if self._fences.outside_allowed(real):
            raise Forbidden(f"{path} is outside the folders you may import from", {"path": path})
        reason = self._fences.refusal(real) or self._fenced_identity(real)
        if reason is not None:
            raise Forbidden(f"{path} is inside {reason}; FaceForge never imports from it", {"path": path})
        if not os.path.isdir(real):
            raise Invalid.one("path", f"{path} is not a folder that exists")
        return real

    def _fenced_identity(self, real: str) -> str | None:
        try:
            info = os.stat(real)
        except OSError:
            return None
        return self._fences.identities().get((info.st_dev, info.st_ino))

    def _subfolders(self, real: str) -> tuple[list[FolderChoice], bool]:
        fenced = self._fences.identities()
        try:
            with os.scandir(real) as it:
                entries = sorted(it, key=lambda e: e.name.casefold())
        except OSError as exc:
            raise Invalid.one("path", f"{real} cannot be read ({exc.strerror or exc})") from None
        found: list[FolderChoice] = []
        for entry in entries:
            target = self._pickable(entry, fenced)
            if target is not None:
                if len(found) == MAX_FOLDERS:
                    return found, True
                found.append(FolderChoice(name=entry.name, path=target))
        return found, False

    def _pickable(self, entry: os.DirEntry[str], fenced: dict[Identity, str]) -> str | None:
        """The real path of a sub-folder to offer, or None for one to leave out."""
        if is_hidden(entry.name) or is_junk(entry.name):
            return None
        try:
            if not entry.is_dir(follow_symlinks=True):
                return None
            target = os.path.realpath(entry.path) if entry.is_symlink() else entry.path
            info = os.stat(target)
        except OSError:
            return None
        if self._fences.outside_allowed(target) or self._fences.refusal(target) is not None:
            return None
        return None if (info.st_dev, info.st_ino) in fenced else target
