"""What bulk import needs from the world: a file source that checks roots, walks, and reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from faceforge_domain.imports.models import FolderListing


class ImportSource(Protocol):
    async def resolve_root(self, path: str) -> str:
        """The absolute folder to import from, after the safety checks.

        Raises ``Forbidden`` for a folder inside (or holding) a system folder, one inside FaceForge's
        own folders, and one outside ``import.allowed_roots``; ``Invalid`` (field ``path``) for a path
        that does not exist, is not a folder, or is unreadable.
        """
        ...

    def walk(
        self, root: str, *, recursive: bool, follow_symlinks: bool, include_hidden: bool
    ) -> AsyncIterator[FolderListing]:
        """Folders under ``root`` (the root first), each listed once even through symlink loops.

        Never lists what may not be imported: system folders and FaceForge's own at any depth, links
        when not followed and followed links that lead out of bounds, hidden entries unless
        ``include_hidden``; each is a ``Skip`` with its reason (a skipped folder once, not its files).
        """
        ...

    async def read_small(self, root: str, path: str, limit: int, *, follow_symlinks: bool) -> bytes:
        """A small file's bytes (sidecars); ``ValueError`` when it is larger than ``limit``.

        Every read opens only what the walk would list: a link swapped in since (or, with
        ``follow_symlinks``, one leading out of bounds) is an ``OSError``, never read.
        """
        ...

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int, *, follow_symlinks: bool
    ) -> list[bytes | OSError | ValueError]:
        """Small files read in one go (a batch of a bulk import): for each path its bytes, the
        ``OSError`` reading it raised, or ``ValueError`` when it is larger than ``limit`` (it grew
        since the walk)."""
        ...

    def open(self, root: str, path: str, *, follow_symlinks: bool) -> AsyncIterator[bytes]:
        """Stream a file's bytes in chunks; raises ``OSError`` when it vanished or cannot be read."""
        ...
