"""A pool of preview worker processes, each rendering one file at a time.

Workers start on first use, up to ``size``. A file that outlives its timeout kills its worker and
fails "timed out"; a worker that dies mid-file fails that file "the decoder crashed"; either way the
next file gets a fresh worker. A caller cancelled mid-file kills the worker too (its pipe is out of
step). Every start, timeout and crash is logged as a structured event.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence

import anyio
import msgspec
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from faceforge_adapters.previews.protocol import (
    HEADER,
    MARKER,
    RenderAnswer,
    RenderRequest,
    WorkerSettings,
    body_length,
    frame,
)

log = logging.getLogger("faceforge.previews")

CRASHED = "the decoder crashed"


def worker_command() -> list[str]:
    """How to start a worker: the frozen executable itself (the entry point checks ``MARKER``), or
    this Python running the worker module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "faceforge_adapters.previews.worker"]


def worker_environment() -> dict[str, str]:
    # One allocator arena per thread would spend the address-space limit on reservations.
    return {**os.environ, MARKER: "1", "MALLOC_ARENA_MAX": "2"}


class _Worker:
    """One worker process and its message streams."""

    def __init__(self, process: Process) -> None:
        self.process = process
        assert process.stdout is not None
        self._answers = BufferedByteReceiveStream(process.stdout)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, message: msgspec.Struct) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(frame(message))

    async def render(self, request: RenderRequest) -> RenderAnswer:
        await self.send(request)
        length = body_length(await self._answers.receive_exactly(HEADER.size))
        return msgspec.msgpack.decode(await self._answers.receive_exactly(length), type=RenderAnswer)

    async def stop(self) -> None:
        with anyio.CancelScope(shield=True):
            if self.process.returncode is None:
                self.process.kill()
            await self.process.aclose()


class PreviewPool:
    """Up to ``size`` workers; ``render`` takes a free one (or starts one) for one file.

    ``command`` starts a worker (default: ``worker_command()``); the package tests point it at a
    frozen ``faceforge`` to render through the shipped build."""

    def __init__(self, settings: WorkerSettings, size: int, *, command: Sequence[str] | None = None) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.command = list(command) if command is not None else worker_command()
        self._slots = anyio.Semaphore(self.size)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    @property
    def running(self) -> int:
        """Live worker processes (for tests and diagnostics)."""
        return len(self._all)

    def pids(self) -> Sequence[int]:
        return [worker.pid for worker in self._all]

    async def _start(self) -> _Worker:
        process = await anyio.open_process(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=worker_environment(),
        )
        worker = _Worker(process)
        self._all.add(worker)
        await worker.send(self.settings)
        log.info("preview worker started", extra={"event": "previews.worker_start", "pid": worker.pid})
        return worker

    async def _drop(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.stop()

    async def render(self, request: RenderRequest, *, limit_s: float) -> RenderAnswer:
        """The worker's answer for one file; a timeout or a crash is an answer with its reason."""
        if self._closed:
            return RenderAnswer(reason="the preview workers are shut down")
        async with self._slots:
            worker = self._idle.pop() if self._idle else await self._start()
            try:
                with anyio.fail_after(limit_s):
                    found = await worker.render(request)
            except TimeoutError:
                await self._drop(worker)
                log.warning(
                    "preview timed out; worker replaced",
                    extra={"event": "previews.timeout", "pid": worker.pid, "timeout_s": limit_s},
                )
                return RenderAnswer(reason=f"timed out after {limit_s:g} s")
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError, ValueError):
                await self._drop(worker)
                log.warning(
                    "preview worker crashed; it will be replaced",
                    extra={"event": "previews.crash", "pid": worker.pid},
                )
                return RenderAnswer(reason=CRASHED)
            except BaseException:
                await self._drop(worker)  # cancelled mid-file: its pipe is out of step
                raise
            self._idle.append(worker)
            return found

    async def aclose(self) -> None:
        """Stop every worker (closing stdin ends an idle one; a busy one is killed)."""
        self._closed = True
        workers, self._idle = list(self._all), []
        self._all.clear()
        for worker in workers:
            await worker.stop()
