"""What runs beside a built Core: its background services, each started by name.

``bootstrap.build_core`` only wires Core: it starts no task and no child process. The work that runs
beside Core lives here as named services, each an async ``run(task_status=...)`` that reports started
once it is ready (a start-up step, such as job recovery, reports started when it is done). The server
starts them all; a CLI command starts only those it needs (``faceforge import`` runs its job in the
process, so it names the job executor and the metadata runner), and a one-shot command starts none.

The services, in the order they start:

``tmp_sweep``
    remove what dead processes left in ``tmp/`` (their lock is free; a live process's folder stays).
``jobs_recovery``
    settle the jobs a dead process left running: re-queue resumable ones, fail the rest.
``plugins_rescan``
    read the plugins folder, register new and upgraded plugins and their job types.
``seaweed``
    start (or adopt) the managed SeaweedFS; present only when ``seaweed.enabled``.
``metadata``
    the metadata runner: re-queues assets left ``pending``, then extracts what new assets bring.
``previews``
    the preview runner: makes the previews of new files, then of any an earlier run left without.
``uploads_expiry``
    remove expired resumable uploads, now and every 15 minutes.
``jobs``
    the job executor's workers and its lease sweeper.
``integrity_schedule``
    start an integrity scan a week (``integrity.schedule_days``) after the last one; absent when 0.

A service that fails before it reports started stops the start-up (Core cannot run without it). One
that fails later is logged and started again after a pause that doubles up to five minutes: a broken
preview decoder or a storage endpoint dropping a connection costs that service a pause, never the
server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskStatus

log = logging.getLogger("faceforge.core")

SERVICE_NAMES = (
    "tmp_sweep",
    "jobs_recovery",
    "plugins_rescan",
    "seaweed",
    "metadata",
    "previews",
    "uploads_expiry",
    "jobs",
    "integrity_schedule",
)

# An async ``run(*, task_status)``: calls ``task_status.started()`` when ready, runs until cancelled.
Service = Callable[..., Coroutine[Any, Any, None]]

RESTART_AFTER_S = 5.0
RESTART_AFTER_MAX_S = 300.0


class _StartedOnce:
    """Passes the first ``started()`` on; a restarted service's later calls are already answered."""

    def __init__(self, outer: TaskStatus[None]) -> None:
        self._outer = outer
        self.started_once = False

    def started(self, value: None = None) -> None:
        if not self.started_once:
            self.started_once = True
            self._outer.started(value)


def supervised(name: str, service: Service, *, restart_after_s: float = RESTART_AFTER_S) -> Service:
    """The service, restarted with a growing pause whenever it fails after it has started."""

    async def run(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        status = _StartedOnce(task_status)
        pause = restart_after_s
        while True:
            try:
                await service(task_status=status)
                return
            except Exception:
                if not status.started_once:
                    raise
                extra = {"service": name, "after_s": pause}
                log.exception("background service failed; restarting it", extra=extra)
            await anyio.sleep(pause)
            pause = min(pause * 2, RESTART_AFTER_MAX_S)

    return run


def once(step: Callable[[], Awaitable[object]]) -> Service:
    """A start-up step as a service: it is started once the step is done."""

    async def run(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        await step()
        task_status.started()

    return run


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The background services a Core offers, by name (a disabled one, e.g. ``seaweed``, is absent)."""

    services: Mapping[str, Service]

    @asynccontextmanager
    async def running(self, names: Collection[str] = SERVICE_NAMES) -> AsyncIterator[None]:
        """Start the named services in their order (each ready before the next starts), stop them on exit.

        Names of services this Core does not offer are skipped; a name no Core knows is a ``ValueError``.
        """
        unknown = sorted(set(names) - set(SERVICE_NAMES))
        if unknown:
            raise ValueError(f"unknown background service {unknown}; known: {', '.join(SERVICE_NAMES)}")
        started = [name for name in SERVICE_NAMES if name in names and name in self.services]
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            for name in started:
                await group.start(supervised(name, self.services[name]))
            if started:
                log.info("background services started", extra={"services": started})
            try:
                yield
            except Exception as exc:  # noqa: BLE001  (re-raised below as itself, not inside an ExceptionGroup)
                failure = exc
            finally:
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure
