"""Builders the job tests share: a JobService over the in-memory fakes, and small handlers."""

from __future__ import annotations

from datetime import timedelta

import anyio

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.jobs import InMemoryLiveness
from faceforge_domain.clock import FixedClock
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService


class TickingClock(FixedClock):
    """Moves one millisecond per reading, so creation order is also time order."""

    def now(self):  # type: ignore[no-untyped-def]
        return self.advance(timedelta(milliseconds=1))


def pass_time(service: JobService, seconds: float) -> None:
    """Move the service's clock on (it is a ``FixedClock`` here): flush intervals, leases."""
    clock = service.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(seconds=seconds))


def make_service(
    owner: str = "core-test", units: InMemoryUnitOfWorkFactory | None = None
) -> tuple[JobService, InMemoryUnitOfWorkFactory, InMemoryLiveness]:
    units = units or InMemoryUnitOfWorkFactory()
    liveness = InMemoryLiveness(owner)
    return JobService(units, JobRegistry(), TickingClock(), liveness), units, liveness


class Gate:
    """A handler that reports, then waits at safe points until released (or canceled)."""

    def __init__(self) -> None:
        self.started = anyio.Event()
        self.release = anyio.Event()
        self.runs = 0

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        self.runs += 1
        ctx.log("info", "working", {"n": job.input.get("n")})
        ctx.progress(step="waiting", current=1, total=2)
        await ctx.flush()
        self.started.set()
        while not self.release.is_set():
            await ctx.checkpoint()
            await anyio.sleep(0.01)
        return {"echo": job.input}
