"""FilesystemBlobStore: content-addressed files under ``assets/ab/cd/<sha256>``.

Bytes stream into ``tmp/``, are fsynced, then renamed into place, so a half-written file is never
visible under ``assets/``; identical bytes are stored once.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import anyio

from faceforge_adapters.storage.spool import WRITE_BATCH, spool
from faceforge_domain.errors import DigestMismatch, InsufficientStorage
from faceforge_domain.ids import ContentHasher
from faceforge_domain.models import LocalFile, Payload, StorageLocation, StoredBlob

PROVIDER = "fs"
O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation in os.write
# Downloads read this much per worker-thread trip (at least 1 MiB, as the API promises).
READ_CHUNK = 4 * 1024 * 1024


def content_key(sha256: str) -> str:
    """``ab/cd/abcd...``: two levels of fan-out keep folders small at millions of files."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def local_paths(store: FilesystemBlobStore | None) -> Callable[[StorageLocation], Path | None]:
    """Where a location's bytes are on this disk (``None`` for other providers), so a child process
    can read a stored file in place instead of a streamed copy."""

    def local_path(location: StorageLocation) -> Path | None:
        if store is None or location.provider != PROVIDER:
            return None
        return store.path_for(location)

    return local_path


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (its entry is in the folder's own data)."""
    with contextlib.suppress(OSError):  # Windows cannot open a directory to fsync it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def storage_error(exc: OSError) -> Exception:
    """A full disk is ``InsufficientStorage`` (the caller can say so); other errors stay as they are."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = InsufficientStorage("not enough disk space to store the file")
        full.__cause__ = exc
        return full
    return exc


def _open_and_read(path: Path, start: int, size: int) -> tuple[BinaryIO | None, bytes]:
    """Open, seek and read the first piece in one worker-thread trip; a piece shorter than asked is
    the whole range, and the file is closed at once (a small file costs one trip, not four)."""
    handle = path.open("rb")
    try:
        if start:
            handle.seek(start)
        chunk = handle.read(size)
    except BaseException:
        handle.close()
        raise
    if len(chunk) < size or size == 0:
        handle.close()
        return None, chunk
    return handle, chunk


async def read_range(
    path: Path, start: int = 0, end: int | None = None, chunk_size: int = READ_CHUNK
) -> AsyncGenerator[bytes]:
    """Bytes ``start..end`` inclusive (``end=None``: to the end) of a local file, read in worker threads."""
    remaining = None if end is None else max(0, end - start + 1)

    def next_size() -> int:
        return chunk_size if remaining is None else min(chunk_size, remaining)

    handle, chunk = await anyio.to_thread.run_sync(_open_and_read, path, start, next_size())
    try:
        while chunk:
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
            if handle is None or next_size() == 0:
                return
            chunk = await anyio.to_thread.run_sync(handle.read, next_size())
    finally:
        if handle is not None:
            await anyio.to_thread.run_sync(handle.close)


class LocalRange(AsyncIterator[bytes]):
    """A stored file's bytes as a stream that also says where they are, so a copy to another local
    folder (a backup) can read and write them in one worker-thread trip instead of two per piece.
    Unread, it opens nothing."""

    def __init__(self, path: Path, start: int = 0, end: int | None = None) -> None:
        self.path = path
        self.whole_file = start == 0 and end is None
        self._stream = read_range(path, start, end)

    async def __anext__(self) -> bytes:
        return await anext(self._stream)

    async def aclose(self) -> None:
        await self._stream.aclose()


def iter_file(path: Path, chunk_size: int = WRITE_BATCH) -> AsyncIterator[bytes]:
    """A local file as a byte stream, read in worker threads."""
    return read_range(path, chunk_size=chunk_size)


async def _published(step: Callable[..., StoredBlob], *args: Any) -> StoredBlob:
    """Run a step that publishes bytes, in a worker thread that a cancel does not interrupt: bytes
    published by a step whose answer was lost would be known to no caller, who could then never
    remove them. A cancel takes effect at the caller's next await, which cleans up what it got."""
    with anyio.CancelScope(shield=True):
        stored = await anyio.to_thread.run_sync(step, *args)
    return stored  # noqa: RET504  (returned outside the scope: mypy cannot tell the scope re-raises)


async def _prepend(first: tuple[bytes, ...], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in first:
        yield chunk
    async for chunk in rest:
        yield chunk


class FilesystemBlobStore:
    name = PROVIDER

    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        # Temp names: random per store (two stores may share a tmp/ folder), then numbered.
        self._tmp_prefix = secrets.token_hex(8)
        self._tmp_numbers = itertools.count()

    def path_for(self, location: StorageLocation) -> Path:
        return self.root / location.key

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        stream = aiter(chunks)
        first = await anext(stream, None)
        second = await anext(stream, None) if first is not None else None
        try:
            if second is None:  # the whole file came in one piece: store it in one worker-thread trip
                return await _published(self._put_whole, first or b"", expected_sha256)
            assert first is not None
            return await self._put_stream(_prepend((first, second), stream), expected_sha256)
        except OSError as exc:
            raise storage_error(exc)  # noqa: B904  (the cause is set: see storage_error)

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        """Every payload stored in one worker-thread trip: a batch of small files costs the event loop
        one hand-off instead of one per file."""
        return await anyio.to_thread.run_sync(self._put_all, [payload.data for payload in payloads])

    def _put_all(self, payloads: list[bytes]) -> list[StoredBlob | Exception]:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        results: list[StoredBlob | Exception] = []
        for data in payloads:
            try:
                results.append(self._put_bytes(data, None))
            except OSError as exc:
                results.append(storage_error(exc))
        return results

    def _put_whole(self, data: bytes, expected_sha256: str | None) -> StoredBlob:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return self._put_bytes(data, expected_sha256)

    def _put_bytes(self, data: bytes, expected_sha256: str | None) -> StoredBlob:
        """Hash, write, sync and publish bytes already in memory, in the calling (worker) thread.

        Plain ``os`` calls: every system call a worker thread makes hands the interpreter lock back
        and forth with the event loop, and a file object costs three more (fstat, ioctl, lseek).
        """
        tmp = self._tmp_path()
        hasher = ContentHasher()
        hasher.update(data)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY, 0o666)
            try:
                view, written = memoryview(data), 0
                while written < len(view):
                    written += os.write(fd, view[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
            return self._publish_checked(tmp, hasher, expected_sha256)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _publish_checked(self, tmp: Path, hasher: ContentHasher, expected_sha256: str | None) -> StoredBlob:
        """Move the synced ``tmp`` under its content key, unless it misses the expected digest."""
        sha = hasher.hexdigest()
        DigestMismatch.check(sha, expected_sha256)
        location = StorageLocation(provider=PROVIDER, key=content_key(sha))
        self._publish(tmp, self.path_for(location))
        return StoredBlob(location=location, size_bytes=hasher.size, sha256=sha)

    def _tmp_path(self) -> Path:
        return self.tmp_dir / f"upload-{self._tmp_prefix}-{next(self._tmp_numbers)}.part"

    async def _put_stream(self, chunks: AsyncIterable[bytes], expected_sha256: str | None) -> StoredBlob:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp_path()
        hasher = ContentHasher()
        try:
            handle = await anyio.to_thread.run_sync(tmp.open, "xb")
            try:
                await self._stream_into(handle, chunks, hasher)
            finally:
                await anyio.to_thread.run_sync(handle.close)
            return await _published(self._publish_checked, tmp, hasher, expected_sha256)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: tmp.unlink(missing_ok=True))

    async def _stream_into(
        self, handle: BinaryIO, chunks: AsyncIterable[bytes], hasher: ContentHasher
    ) -> None:
        """Hash and write in a worker thread while the loop reads on (``spool``), then fsync once."""
        await spool(chunks, partial(self._write_batch, handle, hasher))
        await anyio.to_thread.run_sync(self._sync, handle)

    def _write_batch(self, handle: BinaryIO, hasher: ContentHasher, data: bytes | bytearray) -> None:
        hasher.update(data)
        handle.write(data)

    @staticmethod
    def _sync(handle: BinaryIO) -> None:
        handle.flush()
        os.fsync(handle.fileno())

    async def put_local(self, local: LocalFile, *, kind: str | None = None) -> StoredBlob:
        """Hard-link the file into place (no copy, and the source stays for its owner to remove);
        where a link cannot be made (another file system), the bytes are copied and hashed."""
        location = StorageLocation(provider=PROVIDER, key=content_key(local.sha256))
        try:
            with anyio.CancelScope(shield=True):  # published means returned: see _published
                await anyio.to_thread.run_sync(self._link, Path(local.path), self.path_for(location))
        except OSError:
            copied = await self.put(iter_file(Path(local.path)))
            if copied.sha256 != local.sha256:  # the file changed under us: never store it under a wrong key
                await self.delete(copied.location)
                raise
            return copied
        return StoredBlob(location=location, size_bytes=local.size, sha256=local.sha256)

    @staticmethod
    def _link(source: Path, final: Path) -> None:
        if final.exists():  # same bytes already stored
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, final)
        fsync_dir(final.parent)

    @staticmethod
    def _publish(tmp: Path, final: Path) -> None:
        """Rename ``tmp`` into place (its folders made when missing) and sync the folder; when the
        same bytes are already stored, keep them and drop ``tmp``."""
        if final.exists():
            tmp.unlink()
            return
        try:
            os.replace(tmp, final)
        except FileNotFoundError:  # the first file under this prefix
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        fsync_dir(final.parent)

    def open_range(self, location: StorageLocation, start: int = 0, end: int | None = None) -> LocalRange:
        return LocalRange(self.path_for(location), start, end)

    async def stat(self, location: StorageLocation) -> int | None:
        try:
            result = await anyio.to_thread.run_sync(self.path_for(location).stat)
        except FileNotFoundError:
            return None
        return result.st_size

    async def delete(self, location: StorageLocation) -> None:
        await anyio.to_thread.run_sync(lambda: self.path_for(location).unlink(missing_ok=True))
