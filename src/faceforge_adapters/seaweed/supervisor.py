"""ManagedSeaweed: starts (or adopts) the home's weed, watches it, restarts it with backoff, stops it.

Health is an authenticated ListBuckets against the S3 gateway. A weed that exits is restarted after
1, 2, 4... up to 30 seconds (the delay resets after a minute of good health); one that stops
answering for three probes in a row is killed and restarted the same way. Each event is logged.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time

import anyio
import psutil

from faceforge_adapters.seaweed.process import (
    STOP_TIMEOUT,
    SeaweedError,
    SeaweedSettings,
    log_tail,
    owner_alive,
    remove_pid_file,
    running_weed,
    spawn,
    terminate,
    volumes_registered,
)
from faceforge_adapters.storage.s3 import S3BlobStore

log = logging.getLogger("faceforge.seaweed")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0
FAILED_PROBES_BEFORE_RESTART = 3


def port_in_use(ip: str, port: int) -> bool:
    """True when something listens on ``ip:port`` (connections lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as sock:
        if not sys.platform.startswith("win"):  # as weed itself binds; on Windows it would allow sharing
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError:
            return True
    return False


class ManagedSeaweed:
    """The home's weed process, owned by this process (or adopted when another owner is alive).

    ``detached`` starts a weed that records no owner, so it outlives this process and the next
    Core adopts it instead of treating it as stale.
    """

    def __init__(
        self,
        settings: SeaweedSettings,
        *,
        start_timeout: float = 90.0,
        poll_interval: float = 0.5,
        probe_interval: float = 5.0,
        detached: bool = False,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.settings = settings
        self.start_timeout = start_timeout
        self.poll_interval = poll_interval
        self.probe_interval = probe_interval
        self.restarts = 0
        self.detached = detached
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._adopted: psutil.Process | None = None
        self._probe = S3BlobStore(settings.s3_settings(), settings.run_dir)

    @property
    def pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid
        return self._adopted.pid if self._adopted is not None else None

    @property
    def adopted(self) -> bool:
        return self._adopted is not None

    def alive(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        if self._adopted is not None:
            try:
                return self._adopted.is_running() and self._adopted.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                return False
        return False

    async def healthy(self) -> bool:
        """An authenticated ListBuckets succeeds and the master knows the volume server."""
        if not await self._probe.healthy():
            return False
        return await anyio.to_thread.run_sync(volumes_registered, self.settings)

    async def start(self) -> None:
        """Adopt the home's running weed or stop a stale one, then spawn ours and wait until healthy."""
        found = running_weed(self.settings)
        if found is not None:
            proc, record = found
            if record.owner_pid is None or (owner_alive(record) and record.owner_pid != os.getpid()):
                log.info("adopting the running seaweedfs", extra={"pid": proc.pid})
                self._adopted = proc
                await self._wait_healthy()
                return
            log.warning("stopping a seaweedfs left behind by a stopped Core", extra={"pid": proc.pid})
            await anyio.to_thread.run_sync(terminate, proc)
            remove_pid_file(self.settings, proc.pid)
        busy = [p for p in self.settings.ports.all() if port_in_use(self.settings.ip, p)]
        if busy:
            raise SeaweedError(
                f"cannot start seaweedfs: port(s) {', '.join(map(str, busy))} on "
                f"{self.settings.ip} are in use by another program"
            )
        self._adopted = None
        owner = None if self.detached else os.getpid()
        # Shielded: a stop arriving while weed is being spawned must still find the process to stop,
        # or it would outlive this Core.
        with anyio.CancelScope(shield=True):
            self._proc = await anyio.to_thread.run_sync(lambda: spawn(self.settings, owner_pid=owner))
        await self._wait_healthy()

    async def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self._proc.returncode if self._proc is not None else None
                raise SeaweedError(
                    f"seaweedfs exited during start-up (code {code}); "
                    f"see {self.settings.log_file}:\n{log_tail(self.settings)}"
                )
            if await self.healthy():
                return
            await anyio.sleep(0.25)
        raise SeaweedError(
            f"seaweedfs did not answer on {self.settings.endpoint_url} within "
            f"{self.start_timeout:.0f} s; see {self.settings.log_file}"
        )

    async def release(self) -> None:
        """Forget the weed without stopping it (``faceforge seaweed start`` leaves it running)."""
        await self._probe.aclose()
        self._proc = self._adopted = None

    async def stop(self) -> None:
        """Stop the weed this process started (an adopted one keeps running) and drop its pid file."""
        await self._probe.aclose()
        proc, self._proc, self._adopted = self._proc, None, None
        if proc is None:
            return
        await anyio.to_thread.run_sync(terminate, proc, self.stop_timeout)
        remove_pid_file(self.settings, proc.pid)
        log.info("seaweedfs stopped", extra={"pid": proc.pid})

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Start, report started, then supervise until cancelled; always stops what it started.

        A failed first start is logged and retried with backoff: Core keeps running meanwhile, and
        uploads routed to S3 land on the filesystem.
        """
        try:
            try:
                await self.start()
            except SeaweedError as exc:
                log.error(
                    "seaweedfs could not start; S3 uploads fall back to the filesystem",
                    extra={"error": str(exc)},
                )
            task_status.started()
            await self._supervise()
        finally:
            with anyio.CancelScope(shield=True):
                await self.stop()

    async def _supervise(self) -> None:
        backoff = BACKOFF_FIRST
        healthy_since = time.monotonic()
        next_probe = time.monotonic() + self.probe_interval
        failed_probes = 0
        while True:
            await anyio.sleep(self.poll_interval)
            now = time.monotonic()
            if not self.alive():
                code = self._proc.returncode if self._proc is not None else None
                log.warning(
                    "seaweedfs is not running; restarting it",
                    extra={"pid": self.pid, "exit_code": code, "delay_seconds": backoff},
                )
                if self._proc is not None:
                    remove_pid_file(self.settings, self._proc.pid)
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                try:
                    await self.start()
                except SeaweedError as exc:
                    log.error("seaweedfs restart failed", extra={"error": str(exc)})
                    continue
                self.restarts += 1
                log.warning("seaweedfs restarted", extra={"pid": self.pid, "restarts": self.restarts})
                healthy_since = next_probe = time.monotonic()
                failed_probes = 0
                continue
            if now - healthy_since > STABLE_AFTER:
                backoff = BACKOFF_FIRST
            if now >= next_probe:
                next_probe = now + self.probe_interval
                if await self.healthy():
                    failed_probes = 0
                    continue
                failed_probes += 1
                log.warning("seaweedfs health check failed", extra={"failures": failed_probes})
                if failed_probes >= FAILED_PROBES_BEFORE_RESTART and self._proc is not None:
                    log.error("seaweedfs stopped answering; killing it to restart")
                    await anyio.to_thread.run_sync(self._proc.kill)
                    failed_probes = 0
