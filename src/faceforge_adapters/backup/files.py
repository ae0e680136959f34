"""Durable small steps on files: sync a folder, write a file atomically, write hashed bytes.

Used by the backup folder, whose promise is that a name, once visible, holds complete, synced and
checked bytes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from faceforge_adapters.storage.filesystem import storage_error
from faceforge_domain.ids import ContentHasher

O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in os.write


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # Windows cannot open a directory to fsync it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class HashingWriter:
    """Writes a temporary file, hashing as it goes; ``publish`` syncs it and renames it into place.

    Opened on the first write, so a stream that fails before its first byte leaves nothing; every
    ``OSError`` comes out as ``storage_error`` (a full disk is ``InsufficientStorage``).
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.hasher = ContentHasher()
        self._fd: int | None = None

    def write(self, data: bytes | bytearray) -> None:
        try:
            if self._fd is None:
                self._fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY, 0o644)
            self.hasher.update(data)
            view, written = memoryview(data), 0
            while written < len(view):
                written += os.write(self._fd, view[written:])
        except OSError as exc:
            raise storage_error(exc) from exc

    def publish(self, final: Path) -> None:
        """Sync, close and rename to ``final`` (its folder made when missing); the caller syncs the
        folder (a batch of renames shares one folder sync)."""
        try:
            if self._fd is None:
                self.write(b"")
            assert self._fd is not None
            os.fsync(self._fd)
            self._close()
            try:
                os.replace(self.tmp, final)
            except FileNotFoundError:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.tmp, final)
        except OSError as exc:
            raise storage_error(exc) from exc

    def discard(self) -> None:
        self._close()
        self.tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see no file or the whole file: tmp, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # what a killed writer left
    writer = HashingWriter(tmp)
    try:
        writer.write(data)
        writer.publish(path)
    except BaseException:
        writer.discard()
        raise
    fsync_dir(path.parent)
