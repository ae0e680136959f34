"""A pool of long-lived ``exiftool -stay_open True -@ -`` processes: milliseconds a file, not a Perl start.

Workers start on first use (up to ``size`` at once). Each request waits for ExifTool's ``{readyN}`` line;
a request that outlives its timeout kills its worker, a worker that dies is dropped, and the next request
starts a fresh one. Every start, timeout and crash is logged as a structured event.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
from pathlib import Path

import anyio
from anyio.abc import Process

from faceforge_adapters.exiftool.args import pool_request
from faceforge_domain.metadata import MetadataError

log = logging.getLogger("faceforge.exiftool")

_READ = 256 * 1024
_TAIL = 64  # the ready marker is short: only the end of the output needs looking at


class _Worker:
    """One ``-stay_open`` process and the request numbers it has answered."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self._sequence = itertools.count(1)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def run(self, path: Path) -> bytes:
        number = next(self._sequence)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        await self.process.stdin.send(pool_request(path, number))
        marker = f"{{ready{number}}}".encode()
        output = bytearray()
        while True:
            output += await self.process.stdout.receive(_READ)  # EndOfStream when the process died
            at = output.rfind(marker, max(0, len(output) - _TAIL))
            if at >= 0 and not output[at + len(marker) :].strip():
                return bytes(output[:at])

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


class ExifToolPool:
    """Up to ``size`` workers, each running one file at a time."""

    def __init__(self, exiftool: Path, size: int) -> None:
        self.exiftool = exiftool
        self.size = max(1, size)
        self._slots = anyio.Semaphore(self.size)
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    @property
    def running(self) -> int:
        """Live worker processes (for tests and diagnostics)."""
        return len(self._all)

    async def _start(self) -> _Worker:
        process = await anyio.open_process(
            [str(self.exiftool), "-stay_open", "True", "-@", "-"],
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

    async def run(self, path: Path, *, limit_s: float, asset_id: str | None = None) -> bytes:
        """ExifTool's output for one file (an absolute path); ``MetadataError`` on timeout or crash."""
        if self._closed:
            raise MetadataError("the exiftool pool is closed")
        async with self._slots:
            try:
                worker = self._idle.pop() if self._idle else await self._start()
            except OSError as exc:
                raise MetadataError(f"exiftool could not start: {exc}") from None
            try:
                with anyio.fail_after(limit_s):
                    output = await worker.run(path)
            except TimeoutError:
                log.warning(
                    "exiftool timed out; worker replaced",
                    extra={
                        "event": "exiftool.timeout",
                        "asset_id": asset_id,
                        "pid": worker.pid,
                        "timeout_s": limit_s,
                    },
                )
                await self._drop(worker)
                raise MetadataError(f"exiftool took longer than {limit_s:.0f} s") from None
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                log.warning(
                    "exiftool worker crashed; it will be replaced",
                    extra={"event": "exiftool.crash", "asset_id": asset_id, "pid": worker.pid},
                )
                await self._drop(worker)
                raise MetadataError("exiftool stopped unexpectedly while reading the file") from None
            except BaseException:
                await self._drop(worker)  # cancelled mid-request: its pipe is out of step
                raise
            self._idle.append(worker)
            return output

    async def aclose(self) -> None:
        """Ask every worker to exit (``-stay_open False``), killing any that do not."""
        self._closed = True
        workers, self._idle = list(self._all), []
        self._all.clear()
        for worker in workers:
            await worker.stop(graceful=True)
