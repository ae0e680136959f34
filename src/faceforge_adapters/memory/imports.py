"""InMemoryImportSource: the bulk-import source fake, with files that vanish or refuse to be read."""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator, Sequence

import anyio

from faceforge_domain.errors import Invalid
from faceforge_domain.imports.models import FolderListing, FoundFile, Skip
from faceforge_domain.imports.plan import HIDDEN, is_hidden

ROOT = "/memory"


class InMemoryImportSource:
    """Files by relative POSIX path under ``/memory``; hidden ones are skipped as the real walk does.

    Paths in ``vanished`` are listed by the walk but gone when opened; paths in ``unreadable`` are
    listed but refuse to be read, as happens on real disks between the counting pass and the import.
    ``opened`` records every file read, in order. ``chunk_pause`` makes each chunk take that long, as
    a slow disk would, so a test can act while a file is still being read however fast the machine is.
    """

    def __init__(
        self, files: dict[str, bytes] | None = None, *, chunk: int = 4096, chunk_pause: float = 0.0
    ) -> None:
        self.files = dict(files or {})
        self.vanished: set[str] = set()
        self.unreadable: set[str] = set()
        self.chunk = chunk
        self.chunk_pause = chunk_pause
        self.opened: list[str] = []

    async def resolve_root(self, path: str) -> str:
        if path != ROOT:
            raise Invalid.one("path", f"{path} does not exist")
        return ROOT

    async def walk(
        self, root: str, *, recursive: bool, follow_symlinks: bool, include_hidden: bool
    ) -> AsyncIterator[FolderListing]:
        folders: dict[str, list[FoundFile]] = {"": []}
        hidden: dict[str, set[str]] = {}  # by folder: the hidden entries skipped there
        for path, data in sorted(self.files.items()):
            folder, name = posixpath.split(path)
            if folder and not recursive:
                continue
            parts = path.split("/")
            hidden_at = next((d for d, part in enumerate(parts) if is_hidden(part)), None)
            if include_hidden:
                hidden_at = None
            for depth in range(1, len(parts) if hidden_at is None else hidden_at + 1):
                folders.setdefault("/".join(parts[:depth]), [])
            if hidden_at is not None:
                hidden.setdefault("/".join(parts[:hidden_at]), set()).add("/".join(parts[: hidden_at + 1]))
            else:
                folders[folder].append(FoundFile(name=name, size=len(data)))
        for folder in sorted(folders):
            skipped = [Skip(path=p, reason=HIDDEN) for p in sorted(hidden.get(folder, ()))]
            yield FolderListing(folder=folder, files=folders[folder], skipped=skipped)

    def _read(self, path: str) -> bytes:
        if path in self.vanished or path not in self.files:
            raise FileNotFoundError(2, "No such file or directory", path)
        if path in self.unreadable:
            raise PermissionError(13, "Permission denied", path)
        return self.files[path]

    async def read_small(self, root: str, path: str, limit: int, *, follow_symlinks: bool) -> bytes:
        data = self._read(path)
        if len(data) > limit:
            raise ValueError(f"{path} is larger than {limit} bytes")
        return data

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int, *, follow_symlinks: bool
    ) -> list[bytes | OSError | ValueError]:
        results: list[bytes | OSError | ValueError] = []
        for path in paths:
            self.opened.append(path)
            if self.chunk_pause:
                await anyio.sleep(self.chunk_pause)
            try:
                results.append(await self.read_small(root, path, limit, follow_symlinks=follow_symlinks))
            except (OSError, ValueError) as exc:
                results.append(exc)
        return results

    async def open(self, root: str, path: str, *, follow_symlinks: bool) -> AsyncIterator[bytes]:
        self.opened.append(path)
        data = self._read(path)
        for start in range(0, len(data), self.chunk):
            if self.chunk_pause:
                await anyio.sleep(self.chunk_pause)
            yield data[start : start + self.chunk]
