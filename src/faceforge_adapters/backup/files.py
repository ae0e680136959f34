"""Durable steps on files for the backup folder: hashed writes (a stored file copied in few
worker-thread trips), hashing a file, syncing many files at once, atomic small files.

The backup folder promises that a name, once visible, holds complete, synced and checked bytes.
Syncing each file on its own costs a journal commit per file (milliseconds each: 10,000 small files
would spend most of a backup waiting), so files are written unsynced into ``tmp/``, synced as a batch
(one ``syncfs`` of the target's file system where the platform has it, else each file), and only then
renamed into place.

A large stored file is written past the page cache where the file system allows it (``O_DIRECT``,
Linux): a backup reads each byte once and never again, and filling the cache with its copy makes
the kernel reclaim memory for every page it writes. On a machine whose memory is full of cache (any
machine after a day of use), that reclaim cost more than the copy itself: 4 GiB of 256 MiB files took
7 to 11 s of system time through the cache, 0.2 s past it, in the same minutes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import mmap
import os
import sys
import threading
from collections.abc import AsyncIterable, Callable, Sequence
from io import FileIO
from pathlib import Path

import anyio

from faceforge_adapters.storage.filesystem import READ_CHUNK, fsync_dir, storage_error
from faceforge_domain.ids import ContentHasher

O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in os.write
# Linux's sendfile copies between any two files; elsewhere it sends to sockets only.
FILE_TO_FILE_SENDFILE = sys.platform.startswith("linux")
# What sendfile answers where a file system cannot take it: the file is then read and written.
NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}
# A local file is copied this much per worker-thread trip.
ONE_TRIP = 16 * 1024 * 1024
# Stored files this large are written past the page cache (0 where the platform has no O_DIRECT).
O_DIRECT = getattr(os, "O_DIRECT", 0)
DIRECT_FROM = 8 * 1024 * 1024
# What a write past the cache must be a multiple of, in memory address, file offset and length: the
# largest logical block size disks have.
DIRECT_ALIGN = 4096


def _find_syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(fd)``: every dirty byte and name of one file system, in one call."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is not None:
        syncfs.argtypes = [ctypes.c_int]
    return syncfs


SYNCFS = _find_syncfs()


def sync_all(root: Path, files: Sequence[Path], folders: Sequence[Path] = ()) -> None:
    """Make ``files`` (their bytes) and ``folders`` (their entries) durable; all of them on ``root``'s
    file system. Raises ``storage_error`` of what the sync reports (a full disk included)."""
    try:
        if SYNCFS is not None:
            fd = os.open(root, os.O_RDONLY)
            try:
                if SYNCFS(fd) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, os.strerror(error), str(root))
            finally:
                os.close(fd)
            return
        for path in files:
            fd = os.open(path, os.O_RDWR | O_BINARY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in folders:
            fsync_dir(folder)
    except OSError as exc:
        raise storage_error(exc) from exc


class HashingWriter:
    """Writes a temporary file, hashing as it goes; the caller syncs it and names it.

    Opened on the first write, so a stream that fails before its first byte leaves nothing; every
    ``OSError`` comes out as ``storage_error`` (a full disk is ``InsufficientStorage``).
    """

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.hasher = ContentHasher()
        self._fd: int | None = None
        self._in_kernel = FILE_TO_FILE_SENDFILE
        self._mappable = True
        self._direct: bool | None = None if O_DIRECT else False  # decided at the first copy

    def _open(self) -> int:
        if self._fd is None:  # readable too: a copy made in the kernel is hashed from the file's pages
            self._fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | O_BINARY, 0o644)
        return self._fd

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            fd = self._open()
            self.hasher.update(data)
            self._write_all(fd, memoryview(data))
        except OSError as exc:
            raise storage_error(exc) from exc

    def copy_from(self, source: FileIO, most: int) -> int:
        """Copy up to ``most`` bytes from where ``source`` stands, hashing them as written; fewer only
        at its end. A large file is read, hashed and written past the page cache (see the module's
        docstring). Otherwise, where it can (Linux), the kernel copies and the hash reads the written
        file's pages through a memory map: the bytes never pass through Python's memory, which costs
        about a third less system time than reading and writing them."""
        try:
            fd = self._open()
            if self._direct is None:
                self._direct = os.fstat(source.fileno()).st_size >= DIRECT_FROM and _set_direct(fd, True)
                self._in_kernel = self._in_kernel and not self._direct
            if self._in_kernel:
                try:
                    return self._send(source.fileno(), fd, most)
                except OSError as exc:
                    if exc.errno not in NO_SENDFILE or self.hasher.size:
                        raise
                    self._in_kernel = False  # this file system does not take it: read and write
            return self._read_and_write(source, most)
        except OSError as exc:
            raise storage_error(exc) from exc

    def _write_all(self, fd: int, data: memoryview) -> None:
        if self._direct and len(data) % DIRECT_ALIGN:  # a file's last piece: through the cache
            self._direct = _set_direct(fd, False)
        written = 0
        while written < len(data):
            try:
                written += os.write(fd, data[written:])
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self._direct:
                    raise
                self._direct = _set_direct(fd, False)  # accepted at open, refused at the write

    def _send(self, source: int, fd: int, most: int) -> int:
        copied = 0
        while copied < most and (count := os.sendfile(fd, source, None, most - copied)):
            self._hash_written(fd, count)
            copied += count
        return copied

    def _hash_written(self, fd: int, count: int) -> None:
        """Hash the ``count`` bytes written last, read back from the page cache: through a memory map,
        or into this thread's buffer where the file system cannot map files (some network and FUSE
        mounts)."""
        start = self.hasher.size
        if self._mappable:
            base = start - start % mmap.ALLOCATIONGRANULARITY  # a map starts at a multiple of it
            try:
                with (
                    mmap.mmap(fd, start + count - base, access=mmap.ACCESS_READ, offset=base) as pages,
                    memoryview(pages)[start - base :] as written,
                ):
                    self.hasher.update(written)
                return
            except OSError:
                self._mappable = False
        piece, done = _piece_buffer(), 0
        while done < count:
            read = os.preadv(fd, [piece[: count - done]], start + done)
            if not read:
                raise OSError(errno.EIO, "the copy reads back shorter than it was written", str(self.tmp))
            self.hasher.update(piece[:read])
            done += read

    def _read_and_write(self, source: FileIO, most: int) -> int:
        piece, copied = _piece_buffer(), 0
        while copied < most and (count := source.readinto(piece[: most - copied])):
            self.write(piece[:count])
            copied += count
        return copied

    def write_last(self, data: bytes | bytearray) -> None:
        """Write the stream's last piece and close: a small file in one worker-thread trip."""
        self.write(data)
        self.close()

    def close(self, *, sync: bool = False) -> None:
        """Close the file (created even when nothing was written), syncing it first if asked."""
        if self._fd is None:
            self.write(b"")
        assert self._fd is not None
        fd, self._fd = self._fd, None
        try:
            if sync:
                os.fsync(fd)
        except OSError as exc:
            raise storage_error(exc) from exc
        finally:
            os.close(fd)

    def discard(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        self.tmp.unlink(missing_ok=True)


async def write_stream(chunks: AsyncIterable[bytes], writer: HashingWriter) -> None:
    """Write a stream and close; the caller discards the writer on failure."""
    stream = aiter(chunks)
    chunk = await anext(stream, b"")
    while (after := await anext(stream, None)) is not None:  # one ahead: the last one is known
        await anyio.to_thread.run_sync(writer.write, chunk)
        chunk = after
    await anyio.to_thread.run_sync(writer.write_last, chunk)  # a small file: one trip


async def copy_file(source: Path, writer: HashingWriter) -> None:
    """Copy a local file and close, ``ONE_TRIP`` bytes per worker-thread trip: a small file costs one
    trip instead of one to read and one to write each piece, and a cancel still takes effect between
    the pieces of a large one. The caller discards the writer on failure."""
    handle = await anyio.to_thread.run_sync(_open_and_copy, source, writer)
    if handle is None:
        return
    try:
        while await anyio.to_thread.run_sync(_copy_some, handle, writer):
            pass
    finally:
        handle.close()


def _open_and_copy(source: Path, writer: HashingWriter) -> FileIO | None:
    """Open the source and copy its first piece; the open file when there is more to copy."""
    handle = source.open("rb", buffering=0)
    try:
        if _copy_some(handle, writer):
            return handle
    except BaseException:
        handle.close()
        raise
    handle.close()
    return None


def _copy_some(source: FileIO, writer: HashingWriter) -> bool:
    """Copy up to ``ONE_TRIP`` bytes; at the end, close the written file and answer False."""
    if writer.copy_from(source, ONE_TRIP) == ONE_TRIP:
        return True
    writer.close()
    return False


def hash_file(path: Path) -> ContentHasher:
    """The file's SHA-256 and size, read in this thread (hashlib releases the interpreter lock)."""
    hasher, piece = ContentHasher(), _piece_buffer()
    with path.open("rb", buffering=0) as handle:
        while count := handle.readinto(piece):
            hasher.update(piece[:count])
    return hasher


_threads = threading.local()


def _piece_buffer() -> memoryview:
    """This thread's read buffer, reused from file to file, starting at a multiple of
    ``DIRECT_ALIGN`` in memory (a write past the cache needs that). Reading each piece into a new
    object made the kernel hand out fresh pages every time (2 GiB copied: 6.5 to 8.9 s of system time
    that way, 4.3 to 5.4 s with one buffer)."""
    buffer: memoryview | None = getattr(_threads, "piece", None)
    if buffer is None:
        memory = bytearray(READ_CHUNK + DIRECT_ALIGN)
        skip = -ctypes.addressof(ctypes.c_char.from_buffer(memory)) % DIRECT_ALIGN
        buffer = _threads.piece = memoryview(memory)[skip : skip + READ_CHUNK]
    return buffer


def _set_direct(fd: int, on: bool) -> bool:
    """Turn writing past the page cache on or off for ``fd``; False where the file system refuses it."""
    import fcntl  # here, not above: Windows has no fcntl, and O_DIRECT is 0 there

    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, (flags | O_DIRECT) if on else (flags & ~O_DIRECT))
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        return False
    return on


def rename_into(tmp: Path, final: Path) -> None:
    """``tmp`` to ``final``, the folders made when missing."""
    try:
        try:
            os.replace(tmp, final)
        except FileNotFoundError:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
    except OSError as exc:
        raise storage_error(exc) from exc


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see no file or the whole file: tmp, fsync, rename, fsync the folder."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # what a killed writer left
    writer = HashingWriter(tmp)
    try:
        writer.write(data)
        writer.close(sync=True)
        rename_into(tmp, path)
    except BaseException:
        writer.discard()
        raise
    fsync_dir(path.parent)
