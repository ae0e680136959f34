"""What bulk import needs from the world: a file source that checks roots, walks, and reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from faceforge_domain.imports.models import FolderListing


class ImportSource(Protocol):
    async def resolve_root(self, path: str) -> str:
        """The absolute folder to import from, after the safety checks.

        Raises ``Forbidden`` for system folders and folders outside ``import.allowed_roots``, and
        ``Invalid`` (field ``path``) for a path that does not exist, is not a folder, or is unreadable.
        """
        ...

    def walk(self, root: str, *, recursive: bool, follow_symlinks: bool) -> AsyncIterator[FolderListing]:
        """Folders under ``root`` (the root first), each listed once even through symlink loops."""
        ...

    async def read_small(self, root: str, path: str, limit: int) -> bytes:
        """A small file's bytes (sidecars); ``ValueError`` when it is larger than ``limit``."""
        ...

    async def read_many(
        self, root: str, paths: Sequence[str], limit: int
    ) -> list[bytes | OSError | ValueError]:
        """Small files read in one go (a batch of a bulk import): for each path its bytes, the
        ``OSError`` reading it raised, or ``ValueError`` when it is larger than ``limit`` (it grew
        since the walk)."""
        ...

    def open(self, root: str, path: str) -> AsyncIterator[bytes]:
        """Stream a file's bytes in chunks; raises ``OSError`` when it vanished or cannot be read."""
        ...
