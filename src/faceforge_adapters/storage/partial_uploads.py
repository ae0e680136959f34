"""Partial uploads on disk: ``tmp/uploads/<id>/data`` plus ``state.json`` (offset and running SHA-256).

The data file is fsynced before the state naming its new offset is written (atomically, fsynced), so
a persisted offset never exceeds durable bytes; bytes past it (a crash between the two) are cut off by
the next append. The running SHA-256 is a ``rehashes`` hasher whose state serializes, so it is kept
beside the offset; a finished upload is handed to the blob store as a ``LocalFile`` (linked into place
on the same file system), so completion neither re-reads nor copies it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from io import FileIO
from pathlib import Path
from typing import Any

import anyio
import msgspec
import rehashes

from faceforge_adapters.config import write_json_atomically
from faceforge_adapters.storage.filesystem import iter_file, storage_error
from faceforge_adapters.storage.spool import WRITE_BATCH
from faceforge_domain.errors import ChecksumMismatch, Interrupted
from faceforge_domain.filetypes import SNIFF_BYTES
from faceforge_domain.models import LocalFile
from faceforge_domain.uploads.model import UploadRecord
from faceforge_domain.uploads.ports import PartialUsage

log = logging.getLogger("faceforge.uploads")

DATA_FILE = "data"
STATE_FILE = "state.json"
# Within one long request the offset is persisted at least this often: a crash loses less.
PERSIST_EVERY = 64 * 1024 * 1024


class StateFile(msgspec.Struct, kw_only=True):
    record: UploadRecord
    sha256_state: bytes


def _new_hasher() -> Any:
    return rehashes.PySha256()


class _Appender:
    """One append: writes and hashes batches in worker threads, persists the offset as it goes.

    The data file is unbuffered: what a failed write left is exactly what is on disk, so cutting it
    back is one truncate, with nothing held in a buffer to be flushed (past the cut) on close.
    """

    def __init__(self, folder: Path, state: StateFile, handle: FileIO, chunk_sha256: bytes | None) -> None:
        self.folder = folder
        self.start = state
        self.record = msgspec.structs.replace(state.record)
        self.handle = handle
        self.hasher = rehashes.PySha256.deserialize(state.sha256_state)
        self.chunk_hasher = hashlib.sha256() if chunk_sha256 is not None else None
        self.persisted = state.record.offset

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self.handle.write(view) :]
        self.hasher.update(data)  # rehashes takes bytes only: batches are joined as bytes
        if self.chunk_hasher is not None:
            self.chunk_hasher.update(data)
        self.record.offset += len(data)

    def persist(self) -> None:
        """Data first, then the state that names it."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        _write_state(self.folder, StateFile(record=self.record, sha256_state=self.hasher.serialize()))
        self.persisted = self.record.offset

    def cut_back(self) -> None:
        """Drop the bytes past the last persisted offset. The state file names that offset already,
        so nothing is written: this works on a full disk, and ``HEAD`` tells where to resume."""
        os.ftruncate(self.handle.fileno(), self.persisted)
        os.fsync(self.handle.fileno())

    def keep_received(self) -> None:
        """Persist what arrived before the client went away; a disk too full for that keeps only
        what was persisted before."""
        try:
            self.persist()
        except OSError:
            log.warning(
                "could not keep the bytes of an interrupted upload; it resumes from its last offset",
                exc_info=True,
                extra={"upload_id": self.record.upload_id, "offset": self.persisted},
            )
            self.cut_back()

    def roll_back(self) -> None:
        """Back to the state before this append: the state file first, then the bytes past it."""
        _write_state(self.folder, self.start)
        self.handle.truncate(self.start.record.offset)
        self.handle.flush()
        os.fsync(self.handle.fileno())


def _write_state(folder: Path, state: StateFile) -> None:
    write_json_atomically(folder / STATE_FILE, msgspec.to_builtins(state))


class FilesystemPartialUploads:
    def __init__(self, root: Path, *, persist_every: int = PERSIST_EVERY) -> None:
        self.root = root
        self.persist_every = persist_every

    def _folder(self, upload_id: str) -> Path:
        return self.root / upload_id

    def _read_state(self, upload_id: str) -> StateFile | None:
        try:
            raw = (self._folder(upload_id) / STATE_FILE).read_bytes()
        except FileNotFoundError:
            return None
        return msgspec.json.decode(raw, type=StateFile)

    async def create(self, record: UploadRecord) -> None:
        def create() -> None:
            folder = self._folder(record.upload_id)
            folder.mkdir(parents=True, mode=0o700)
            (folder / DATA_FILE).touch(mode=0o600)
            _write_state(folder, StateFile(record=record, sha256_state=_new_hasher().serialize()))

        await anyio.to_thread.run_sync(create)

    async def load(self, upload_id: str) -> UploadRecord | None:
        state = await anyio.to_thread.run_sync(self._read_state, upload_id)
        return None if state is None else state.record

    async def save(self, record: UploadRecord) -> None:
        def save() -> None:
            state = self._read_state(record.upload_id)
            assert state is not None, "save() is for an upload that exists"
            _write_state(
                self._folder(record.upload_id), StateFile(record=record, sha256_state=state.sha256_state)
            )

        await anyio.to_thread.run_sync(save)

    async def append(
        self, record: UploadRecord, chunks: AsyncIterable[bytes], *, chunk_sha256: bytes | None
    ) -> UploadRecord:
        folder = self._folder(record.upload_id)
        state = await anyio.to_thread.run_sync(self._read_state, record.upload_id)
        assert state is not None, "append() is for an upload that exists"
        state.record = record  # the caller's state (a new expiry) with the durable hash
        handle = await anyio.to_thread.run_sync(self._open_at, folder / DATA_FILE, record.offset)
        appender = _Appender(folder, state, handle, chunk_sha256)
        try:
            await self._receive(appender, chunks, keep_on_interrupt=chunk_sha256 is None)
            if appender.chunk_hasher is not None and appender.chunk_hasher.digest() != chunk_sha256:
                raise ChecksumMismatch("the bytes do not match Upload-Checksum; they were discarded")
            await anyio.to_thread.run_sync(appender.persist)
        except OSError as exc:  # a full disk, most likely: back to the last offset persisted
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(appender.cut_back)
            raise storage_error(exc)  # noqa: B904  (the cause is set: see storage_error)
        except BaseException as exc:
            keep = isinstance(exc, Interrupted) and chunk_sha256 is None
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(appender.keep_received if keep else appender.roll_back)
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(handle.close)
        return appender.record

    @staticmethod
    def _open_at(path: Path, offset: int) -> FileIO:
        handle = path.open("r+b", buffering=0)
        handle.truncate(offset)  # bytes a crash left past the persisted offset
        handle.seek(offset)
        return handle

    async def _receive(
        self, appender: _Appender, chunks: AsyncIterable[bytes], *, keep_on_interrupt: bool
    ) -> None:
        batch: list[bytes] = []
        gathered = 0
        try:
            async for chunk in chunks:
                batch.append(chunk)
                gathered += len(chunk)
                if gathered >= WRITE_BATCH:
                    full, batch, gathered = b"".join(batch), [], 0
                    await anyio.to_thread.run_sync(appender.write, full)
                    if (
                        keep_on_interrupt
                        and appender.record.offset - appender.persisted >= self.persist_every
                    ):
                        await anyio.to_thread.run_sync(appender.persist)
        except Interrupted:
            if keep_on_interrupt and batch:  # what arrived before the client went away is kept
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(appender.write, b"".join(batch))
            raise
        if batch:
            await anyio.to_thread.run_sync(appender.write, b"".join(batch))

    async def sha256(self, record: UploadRecord) -> str:
        state = await anyio.to_thread.run_sync(self._read_state, record.upload_id)
        assert state is not None, "sha256() is for an upload that exists"
        assert state.record.offset == record.offset, "the running hash must be the offset's"
        digest: str = rehashes.PySha256.deserialize(state.sha256_state).finalize()
        return digest

    def read(self, upload_id: str) -> AsyncIterator[bytes]:
        return iter_file(self._folder(upload_id) / DATA_FILE)

    async def local_file(self, record: UploadRecord) -> LocalFile | None:
        path = self._folder(record.upload_id) / DATA_FILE

        def head() -> bytes:
            with path.open("rb") as handle:
                return handle.read(SNIFF_BYTES)

        return LocalFile(
            path=str(path),
            sha256=await self.sha256(record),
            size=record.offset,
            head=await anyio.to_thread.run_sync(head),
        )

    async def drop_bytes(self, upload_id: str) -> None:
        def drop() -> None:
            for path in self._folder(upload_id).iterdir():  # the data, and any state write a crash cut short
                if path.name != STATE_FILE:
                    path.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(drop)

    async def remove(self, upload_id: str) -> None:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(self._folder(upload_id), ignore_errors=True))

    def _ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / STATE_FILE).is_file())

    async def all(self) -> list[UploadRecord]:
        def all_records() -> list[UploadRecord]:
            found = []
            for upload_id in self._ids():
                with contextlib.suppress(FileNotFoundError, msgspec.DecodeError):  # removed meanwhile
                    state = self._read_state(upload_id)
                    if state is not None:
                        found.append(state.record)
            return found

        return await anyio.to_thread.run_sync(all_records)

    async def usage(self) -> PartialUsage:
        return await anyio.to_thread.run_sync(partial_usage, self.root)


def partial_usage(root: Path) -> PartialUsage:
    """Unfinished uploads under ``root`` (those still holding bytes) and the space all uploads take,
    finished ones' small status files included (for ``faceforge doctor``)."""
    if not root.is_dir():
        return PartialUsage(uploads=0, bytes=0)
    folders = [p for p in root.iterdir() if p.is_dir()]
    size = 0
    for folder in folders:
        for file in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                size += file.stat().st_size
    unfinished = sum(1 for folder in folders if (folder / DATA_FILE).exists())
    return PartialUsage(uploads=unfinished, bytes=size)
