"""A pool of long-lived ``exiftool -stay_open True -@ -`` processes: milliseconds a file, not a Perl start.

Workers start on first use, or ahead of it (``warm_up``), up to ``size`` at once. A caller hands over a
batch of files (``run_many``) or one (``run``); whoever gets a free worker sends the small files waiting
at that moment (up to ``batch_files``, its own first) as one request, and ExifTool answers with one JSON
array, so a busy pool pays one round trip per batch, not per file. A batch gets the time of its slowest
member's limit. A batch that times out, crashes its worker or prints something unreadable is asked
again file by file, so only the file at fault is marked. A request that outlives its timeout kills its
worker; a worker that dies is dropped, and the next request starts a fresh one. Every start, timeout
and crash is logged as a structured event.
"""

from __future__ import annotations

import errno
import itertools
import logging
import math
import os
import subprocess
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import Process

from faceforge_adapters.exiftool import stay_open
from faceforge_adapters.exiftool.answers import split_answer
from faceforge_adapters.exiftool.args import pool_request
from faceforge_domain.metadata import MetadataError

log = logging.getLogger("faceforge.exiftool")

_READ = 256 * 1024
BATCH_FILES = 32
# Bigger files take long enough that a round trip of their own costs nothing, and their limit is their own.
BATCH_MAX_FILE_BYTES = 16 * 1024 * 1024


class _Worker:
    """One ``-stay_open`` process and the request numbers it has answered."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self._sequence = itertools.count(1)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def run(self, paths: Sequence[Path]) -> bytes:
        number = next(self._sequence)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        await self.process.stdin.send(pool_request(paths, number))
        output = bytearray()
        while (end := stay_open.answer_end(output, number)) is None:
            output += await self.process.stdout.receive(_READ)  # EndOfStream when the process died
        return bytes(output[:end])

    async def stop(self, *, graceful: bool) -> None:
        with anyio.CancelScope(shield=True):
            if graceful and self.process.returncode is None:
                try:
                    assert self.process.stdin is not None
                    await self.process.stdin.send(b"-stay_open\nFalse\n")
                    with anyio.move_on_after(2):
                        await self.process.wait()
                except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                    pass
            if self.process.returncode is None:
                self.process.kill()
            await self.process.aclose()


@dataclass(frozen=True, slots=True)
class PoolFile:
    """One file to ask about: an absolute path, its time limit, and (for log events) its asset."""

    path: Path
    limit_s: float
    asset_id: str | None = None
    size_bytes: int = 0


class _Caller:
    """One ``run_many`` call: a single wake-up for all of its files, instead of an event per file."""

    def __init__(self) -> None:
        self._changed = anyio.Event()

    def wake(self) -> None:
        self._changed.set()

    async def wait(self) -> None:
        """Until one of this caller's files finished or came back to waiting since the last wait."""
        changed = self._changed
        await changed.wait()
        if self._changed is changed:  # the first of several waiters to wake arms the next wait
            self._changed = anyio.Event()


class _Request:
    """One caller's file, from waiting, through a batch, to its output or error."""

    __slots__ = ("abandoned", "alone", "error", "file", "finished", "output", "owner", "taken")

    def __init__(self, file: PoolFile, owner: _Caller) -> None:
        self.file = file
        self.owner = owner
        self.alone = file.size_bytes > BATCH_MAX_FILE_BYTES
        self.taken = False
        self.finished = False
        self.abandoned = False  # its caller left (cancelled): never run it again
        self.output = b""
        self.error: MetadataError | None = None

    def finish(self, output: bytes = b"", error: MetadataError | None = None) -> None:
        self.output, self.error, self.finished = output, error, True
        self.owner.wake()

    def release(self, *, alone: bool) -> None:
        """Back to waiting (its batch went wrong, or the caller sending it was cancelled); its own caller
        is woken to send it again."""
        self.taken = False
        self.alone = self.alone or alone
        self.owner.wake()

    @property
    def answer(self) -> bytes | MetadataError:
        return self.output if self.error is None else self.error


class ExifToolPool:
    """Up to ``size`` workers, each running one batch of files at a time."""

    def __init__(self, exiftool: Path, size: int, *, batch_files: int = BATCH_FILES) -> None:
        self.exiftool = exiftool
        self.size = max(1, size)
        self.batch_files = max(1, batch_files)
        self._slots = anyio.Semaphore(self.size)
        self._waiting: deque[_Request] = deque()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    @property
    def running(self) -> int:
        """Live worker processes (for tests and diagnostics)."""
        return len(self._all)

    async def _start(self) -> _Worker:
        if not os.access(self.exiftool, os.X_OK):  # through setpriv, a bad path would only show as a crash
            raise FileNotFoundError(errno.ENOENT, "not an executable file", str(self.exiftool))
        process = await anyio.open_process(
            stay_open.command(self.exiftool),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        worker = _Worker(process)
        self._all.add(worker)
        log.info("exiftool worker started", extra={"event": "exiftool.worker_start", "pid": worker.pid})
        return worker

    async def _drop(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.stop(graceful=False)

    async def run(
        self, path: Path, *, limit_s: float, asset_id: str | None = None, size_bytes: int = 0
    ) -> bytes:
        """ExifTool's output for one file (an absolute path); ``MetadataError`` on timeout or crash."""
        [answer] = await self.run_many([PoolFile(path, limit_s, asset_id, size_bytes)])
        if isinstance(answer, MetadataError):
            raise answer
        return answer

    async def warm_up(self) -> None:
        """Start the workers not running yet (Perl loading ExifTool takes about a tenth of a second
        each), without waiting for busy ones: a worker slot that is taken means the pool is at work."""
        while not self._closed and len(self._all) < self.size:
            try:
                self._slots.acquire_nowait()
            except anyio.WouldBlock:
                return
            try:
                self._idle.append(await self._start())
            except OSError:
                return  # a tool that cannot start says so, logged, at its first file
            finally:
                self._slots.release()

    async def run_many(self, files: Sequence[PoolFile]) -> list[bytes | MetadataError]:
        """ExifTool's output (or the error) for each file, in order.

        All the files join the queue at once and are sent by this caller: no task, event or wake-up per
        file. Up to ``size`` loops (one per worker, not per file) each take a free worker and send the
        next batch the queue rules give (other callers' files included), while any of this caller's
        files is neither finished nor carried by another caller's batch; those they wait for. One loop
        alone would leave all but one worker idle for a lone caller: the queue's fair share sends only
        half of 32 files to a worker, and measured, one caller then ran at about half the speed.
        """
        if self._closed:
            return [MetadataError("the exiftool pool is closed") for _ in files]
        caller = _Caller()
        requests = [_Request(file, caller) for file in files]
        self._waiting.extend(requests)
        try:
            loops = min(self.size, len(requests))
            if loops < 2:
                await self._send_all(caller, requests)
            else:
                async with anyio.create_task_group() as group:
                    for _ in range(loops):
                        group.start_soon(self._send_all, caller, requests)
        finally:
            if not all(request.finished for request in requests):  # cancelled: nobody needs the rest
                for request in requests:
                    request.abandoned = True
                self._waiting = deque(request for request in self._waiting if not request.abandoned)
        return [request.answer for request in requests]

    async def _send_all(self, caller: _Caller, requests: list[_Request]) -> None:
        """Send this caller's waiting files, a batch per free worker, until every one is answered."""
        while not all(request.finished for request in requests):
            if all(request.taken or request.finished for request in requests):
                await caller.wait()  # other callers' batches carry the rest
                continue
            async with self._slots:
                first = next((r for r in requests if not r.taken and not r.finished), None)
                if first is not None:
                    await self._serve(self._take(first))

    def _take(self, first: _Request) -> list[_Request]:
        """``first``, and when it may share, other small files waiting: up to ``batch_files``, and no
        more than this worker's share of the queue, so the other workers get work too."""
        share = min(self.batch_files, math.ceil(len(self._waiting) / self.size))
        self._waiting.remove(first)
        batch = [first]
        if not first.alone:
            left: deque[_Request] = deque()
            while self._waiting and len(batch) < share:
                other = self._waiting.popleft()
                (left if other.alone else batch).append(other)
            left.extend(self._waiting)
            self._waiting = left
        for request in batch:
            request.taken = True
        return batch

    async def _serve(self, batch: list[_Request]) -> None:
        try:
            worker = self._idle.pop() if self._idle else await self._start()
        except OSError as exc:
            for request in batch:
                request.finish(error=MetadataError(f"exiftool could not start: {exc}"))
            return
        limit_s = max(request.file.limit_s for request in batch)
        try:
            with anyio.fail_after(limit_s):
                output = await worker.run([request.file.path for request in batch])
        except TimeoutError:
            await self._drop(worker)
            self._went_wrong(
                batch, worker, "timeout", MetadataError(f"exiftool took longer than {limit_s:.0f} s")
            )
            return
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            await self._drop(worker)
            self._went_wrong(
                batch, worker, "crash", MetadataError("exiftool stopped unexpectedly while reading the file")
            )
            return
        except BaseException:
            await self._drop(worker)  # cancelled mid-request: its pipe is out of step
            self._requeue(batch, alone=False)
            raise
        self._idle.append(worker)
        answers = [output] if len(batch) == 1 else split_answer(output, [r.file.path for r in batch])
        if answers is None:
            self._went_wrong(
                batch, worker, "unreadable", MetadataError("exiftool printed an unreadable answer")
            )
            return
        for request, answer in zip(batch, answers, strict=True):
            request.finish(answer)

    def _went_wrong(self, batch: list[_Request], worker: _Worker, what: str, error: MetadataError) -> None:
        """A lone file gets the error; a batch is asked again file by file so only the culprit fails."""
        if len(batch) > 1:
            log.warning(
                "exiftool batch went wrong; asking again file by file",
                extra={
                    "event": "exiftool.batch_split",
                    "reason": what,
                    "files": len(batch),
                    "pid": worker.pid,
                },
            )
            self._requeue(batch, alone=True)
            return
        request = batch[0]
        if what == "timeout":
            log.warning(
                "exiftool timed out; worker replaced",
                extra={
                    "event": "exiftool.timeout",
                    "asset_id": request.file.asset_id,
                    "pid": worker.pid,
                    "timeout_s": request.file.limit_s,
                },
            )
        else:
            log.warning(
                "exiftool worker crashed; it will be replaced",
                extra={"event": "exiftool.crash", "asset_id": request.file.asset_id, "pid": worker.pid},
            )
        request.finish(error=error)

    def _requeue(self, batch: list[_Request], *, alone: bool) -> None:
        for request in reversed(batch):
            if request.abandoned:
                continue
            request.release(alone=alone)
            self._waiting.appendleft(request)

    async def aclose(self) -> None:
        """Ask every worker to exit (``-stay_open False``), killing any that do not."""
        self._closed = True
        workers, self._idle = list(self._all), []
        self._all.clear()
        for worker in workers:
            await worker.stop(graceful=True)
