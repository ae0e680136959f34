"""JobExecutor: in-process anyio workers that run queued jobs of in-process types.

``jobs.max_concurrent`` workers each claim the oldest queued job, run its handler with a
``JobContext``, and settle it: ``succeeded`` with the handler's result, ``canceled`` when the handler
stopped at a safe point after a cancel request, ``failed`` with the error otherwise. An unexpected
error (not a domain error the job reports) is also handed to the ``CrashReporter`` when one is given.
When Core stops while a job runs, the job is re-queued if its type can resume, else failed
``interrupted``. Beside the workers, a sweeper settles external runners' claims whose lease lapsed.
"""

from __future__ import annotations

import logging

import anyio
from anyio.abc import TaskStatus

from faceforge_domain.jobs.context import JobContext
from faceforge_domain.jobs.models import INTERRUPTED, Job, JobError
from faceforge_domain.jobs.ports import CrashReporter, JobCanceled
from faceforge_domain.jobs.service import JobService, error_for

log = logging.getLogger("faceforge.jobs")

IDLE_POLL_S = 2.0


class JobExecutor:
    def __init__(
        self,
        service: JobService,
        max_concurrent: int,
        *,
        idle_poll_s: float = IDLE_POLL_S,
        crashes: CrashReporter | None = None,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be 1 or more")
        self._service = service
        self._max_concurrent = max_concurrent
        self._idle_poll_s = idle_poll_s
        self._crashes = crashes

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the workers until cancelled (Core stopping)."""
        async with anyio.create_task_group() as group:
            for _ in range(self._max_concurrent):
                group.start_soon(self._worker)
            group.start_soon(self._lease_sweeper)
            task_status.started()

    async def _lease_sweeper(self) -> None:
        while True:
            await anyio.sleep(self._service.lease.sweep_interval_s)
            try:
                await self._service.sweep_leases()
            except Exception:  # a database hiccup must not stop the sweeps: try again next round
                log.exception("could not sweep lapsed runner leases")

    async def _worker(self) -> None:
        while True:
            try:
                job = await self._service.claim_next()
            except Exception:  # a database hiccup must not kill the worker: wait and retry
                log.exception("could not claim the next job")
                job = None
            if job is None:
                await self._service.wait_for_work(self._idle_poll_s)
                continue
            await self.run_job(job)

    async def run_job(self, job: Job) -> Job:
        """Run one claimed job to its end (or until Core stops)."""
        service = self._service
        spec = service.registry.get(job.job_type)
        ctx = service.open_context(job)
        try:
            if spec is None or spec.handler is None:
                return await service.settle(
                    ctx,
                    "failed",
                    error=JobError(code="unknown_job_type", message=f"no handler for {job.job_type!r}"),
                    message=f"failed: no in-process handler is registered for {job.job_type!r}",
                )
            try:
                result = await spec.handler(job, ctx)
            except JobCanceled:
                return await service.settle(ctx, "canceled", message="canceled")
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await self._interrupt(job, ctx)
                raise
            except Exception as exc:
                error = error_for(exc)
                if error.code == "internal_error":
                    log.exception("job %s (%s) failed", job.job_id, job.job_type)
                    if self._crashes is not None:
                        await self._crashes.job_crashed(job, exc)
                return await service.settle(
                    ctx, "failed", error=error, message=f"failed: {error.code}: {error.message}"
                )
            return await service.settle(ctx, "succeeded", result=result, message="succeeded")
        finally:
            service.close_context(job.job_id)

    async def _interrupt(self, job: Job, ctx: JobContext) -> None:
        service = self._service
        try:
            if service.resumable(job.job_type):
                await service.settle(ctx, "queued", message="Core stopped; re-queued to resume later")
            else:
                await service.settle(
                    ctx,
                    "failed",
                    error=JobError(code=INTERRUPTED, message="Core stopped before the job finished"),
                    message="failed: Core stopped before the job finished",
                )
        except Exception:
            log.exception("could not record that job %s was interrupted", job.job_id)
