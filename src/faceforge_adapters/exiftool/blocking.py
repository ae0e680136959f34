"""One long-lived ``-stay_open`` ExifTool for a caller without an event loop (a preview worker).

Perl starting ExifTool costs 0.15 to 0.4 s; a request to a running one, milliseconds. The process
starts with the first request and answers every later one. It dies with its parent, even by SIGKILL
(``stay_open.command``), so a preview worker that Core kills takes its ExifTool along. A request that
outlives ``limit_s`` kills the process and fails; so does one whose process dies under it. The next
request starts a fresh process; when the process found running had already answered earlier files
(it may have died while idle), a request it fails is sent once more to a fresh one.

Output is read by a thread of its own, so waiting for it has a time limit on every platform (a pipe
cannot be polled on Windows).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from faceforge_adapters.exiftool import stay_open
from faceforge_domain.metadata import MetadataError

_READ = 256 * 1024
_STOPPED = "exiftool stopped unexpectedly while reading the file"


class _Stopped(Exception):
    """The process ended before answering."""


class _Process:
    """A running ExifTool, its request numbers, and the chunks its stdout thread has read."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self.process = process
        self.stdin = process.stdin
        self.sequence = itertools.count(1)
        self.answered = False
        self.chunks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, stdout: BinaryIO) -> None:
        with stdout:
            while chunk := os.read(stdout.fileno(), _READ):
                self.chunks.put(chunk)
        self.chunks.put(b"")  # the end: the process exited or was killed

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        with contextlib.suppress(OSError):  # a request it never read: a broken pipe
            self.stdin.close()


class BlockingExifTool:
    """ExifTool's output for one file at a time, from a single process kept between files."""

    def __init__(self, exiftool: Path, *, limit_s: float) -> None:
        self.exiftool = exiftool
        self.limit_s = limit_s
        self._running: _Process | None = None

    @property
    def pid(self) -> int | None:
        """The running process's id (for tests and diagnostics); ``None`` before the first request."""
        return self._running.process.pid if self._running is not None else None

    def run(self, arguments: Sequence[str], path: Path) -> bytes:
        """ExifTool's stdout for ``arguments`` and one absolute ``path``; ``MetadataError`` when it could
        not start, timed out or died."""
        reused = self._running is not None and self._running.answered
        try:
            return self._ask(arguments, path)
        except _Stopped:
            if not reused:
                raise MetadataError(_STOPPED) from None
        try:
            return self._ask(arguments, path)  # the process had died while idle: a fresh one
        except _Stopped:
            raise MetadataError(_STOPPED) from None

    def _ask(self, arguments: Sequence[str], path: Path) -> bytes:
        running = self._running or self._start()
        number = next(running.sequence)
        try:
            running.stdin.write(stay_open.request(arguments, [path], number))
            running.stdin.flush()
        except OSError:  # a broken pipe: the process is gone
            self.close()
            raise _Stopped from None
        output = bytearray()
        deadline = time.monotonic() + self.limit_s
        while (end := stay_open.answer_end(output, number)) is None:
            try:
                chunk = running.chunks.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                raise MetadataError(f"exiftool took longer than {self.limit_s:g} s") from None
            if not chunk:
                self.close()
                raise _Stopped
            output += chunk
        running.answered = True
        return bytes(output[:end])

    def _start(self) -> _Process:
        if not os.access(self.exiftool, os.X_OK):  # through setpriv, a bad path would only show as a crash
            raise MetadataError(f"exiftool could not start: {self.exiftool} is not an executable file")
        try:
            process = subprocess.Popen(
                stay_open.command(self.exiftool),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise MetadataError(f"exiftool could not start: {exc}") from None
        self._running = _Process(process)
        return self._running

    def close(self) -> None:
        """Kill the process, if one runs (it keeps no state worth a graceful exit)."""
        running, self._running = self._running, None
        if running is not None:
            running.kill()
