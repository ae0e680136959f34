"""What an export needs from the world: a folder to write into, one writer at a time."""

from __future__ import annotations

from collections.abc import AsyncIterable, Collection
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class ExportTarget(Protocol):
    """An export folder held by this writer. Paths are relative, in POSIX form.

    Every file appears under its name only once complete (written aside, then renamed), so a reader,
    or a re-run, never sees half a file under a real name.
    """

    @property
    def where(self) -> str: ...

    async def unpublish(self) -> bool:
        """Remove the manifest of an earlier export (True when there was one): from now until the new
        manifest is published, the folder is not a complete export."""
        ...

    async def holds(self, path: str, sha256: str, size: int) -> bool:
        """True when ``path`` holds exactly these bytes (size first, then the hash)."""
        ...

    async def put(self, path: str, chunks: AsyncIterable[bytes], *, sha256: str | None = None) -> int:
        """Write the stream to ``path``, returning its size; with ``sha256`` other bytes raise
        ``DigestMismatch`` and leave nothing. A full disk is ``InsufficientStorage``."""
        ...

    async def sweep(self, keep: Collection[str]) -> list[str]:
        """Remove every file an earlier export left that this one did not write (and leftovers of an
        interrupted write), returning their paths."""
        ...

    async def publish(self, manifest: bytes) -> None:
        """Make every written file durable, then write the manifest atomically."""
        ...


class ExportTargets(Protocol):
    def check(self, where: str) -> None:
        """Raise ``Invalid`` (or ``Forbidden``) when ``where`` may not receive an export: not absolute,
        a file, a folder holding other things than an earlier export, or a fenced place."""
        ...

    def for_writing(self, where: str) -> AbstractAsyncContextManager[ExportTarget]:
        """The folder, created when missing and marked as an export, held by this writer alone
        (``Conflict`` while another export writes there). A refused folder is left untouched."""
        ...
