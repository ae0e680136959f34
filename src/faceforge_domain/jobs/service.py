"""Job use cases: create, list, read, log, cancel, the external-runner protocol, and recovery."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Conflict, DomainError, FieldError, Invalid, LeaseExpired, NotFound
from faceforge_domain.events import record
from faceforge_domain.ids import is_id, new_id
from faceforge_domain.jobs.context import JobContext, derive_percent
from faceforge_domain.jobs.lease import LeasePolicy, lapsed
from faceforge_domain.jobs.models import (
    ACTIVE_STATUSES,
    INTERRUPTED,
    JOB_STATUSES,
    LOG_LEVELS,
    RUNNER_LOST,
    Job,
    JobError,
    JobStatus,
    JsonObject,
    LogEntry,
    LogPage,
    NewLogEntry,
    Progress,
)
from faceforge_domain.jobs.ports import OwnerLiveness
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jsonlimits import require_json
from faceforge_domain.paging import (
    Cursor,
    PageRequest,
    PageResult,
    check_position,
    decode_cursor,
    page_of,
    within_budget,
)
from faceforge_domain.ports import UnitOfWork, UnitOfWorkFactory
from faceforge_domain.timefmt import format_timestamp, parse_timestamp

log = logging.getLogger("faceforge.jobs")

LIST_SORT = "created_desc"
DEFAULT_LOG_LIMIT = 100
MAX_LOG_LIMIT = 1000
MAX_LOG_BATCH = 1000
MAX_MESSAGE = 4000


@dataclass(frozen=True, slots=True)
class Recovery:
    """What start-up recovery did with jobs whose process had died."""

    requeued: list[str]
    failed: list[str]
    canceled: list[str]

    @classmethod
    def empty(cls) -> Recovery:
        return cls(requeued=[], failed=[], canceled=[])


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """One step of a followed job: its current state and the log entries new since the last step."""

    job: Job
    entries: list[LogEntry]


def check_log_entry(level: str, message: str, field: str) -> None:
    if level not in LOG_LEVELS:
        raise Invalid.one(f"{field}/level", f"must be one of {', '.join(LOG_LEVELS)}")
    if not message or len(message) > MAX_MESSAGE:
        raise Invalid.one(f"{field}/message", f"must be 1 to {MAX_MESSAGE} characters")


def check_progress(progress: Progress) -> Progress:
    errors = []
    for name in ("current", "total", "bytes_current", "bytes_total", "skipped"):
        value = getattr(progress, name)
        if value is not None and value < 0:
            errors.append(FieldError(name, "must be 0 or more"))
    if progress.percent is not None and not 0 <= progress.percent <= 100:
        errors.append(FieldError("percent", "must be between 0 and 100"))
    if errors:
        raise Invalid(errors)
    if progress.percent is None:
        progress.percent = derive_percent(progress)
    return progress


class JobService:
    """Jobs from creation to their end. In-process jobs run through ``JobExecutor``; external ones
    are claimed and driven over the API by runners (``claim`` ... ``complete``/``fail``)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        registry: JobRegistry,
        clock: Clock,
        liveness: OwnerLiveness,
        lease: LeasePolicy | None = None,
    ) -> None:
        self._uow = uow
        self.registry = registry
        self.clock = clock
        self._liveness = liveness
        self.lease = lease or LeasePolicy()
        self._local: dict[str, JobContext] = {}
        self._work = anyio.Event()
        self._changed = anyio.Event()

    @property
    def owner_id(self) -> str:
        return self._liveness.owner_id

    # -- creating and reading -------------------------------------------------------------------

    async def create(
        self,
        job_type: str,
        input: JsonObject | None = None,
        *,
        input_asset_id: str | None = None,
        created_by: str | None = None,
    ) -> Job:
        """Queue a job of a registered type; unknown types and invalid input are ``Invalid``."""
        spec = self.registry.get(job_type)
        if spec is None:
            raise Invalid.one("job_type", f"no job type {job_type!r} is registered")
        if input_asset_id is not None and not is_id(input_asset_id):
            raise Invalid.one("input_asset_id", "must be an asset id (64 lowercase hex characters)")
        require_json("input", input)
        checked = await spec.validate(dict(input or {}))
        now = self.clock.now()
        job = Job(
            job_id=new_id(),
            job_type=job_type,
            status="queued",
            input=checked,
            input_asset_id=input_asset_id,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        async with self._uow.write() as uow:
            if input_asset_id is not None and await uow.assets.get(input_asset_id) is None:
                raise Invalid.one("input_asset_id", f"no asset {input_asset_id!r} is stored")
            await uow.jobs.add(job)
            await self._event(uow, job)
            runs = "waits for an external runner" if spec.external else "runs inside Core"
            await uow.jobs.append_logs(job.job_id, [self._entry("info", f"queued; {runs}")])
            await uow.commit()
        self._notify(work=True)
        return job

    async def get(self, job_id: str) -> Job:
        async with self._uow.read() as uow:
            return await self._require(uow, job_id)

    async def list_jobs(
        self,
        *,
        statuses: Sequence[str] = (),
        job_type: str | None = None,
        page: PageRequest | None = None,
    ) -> PageResult[Job]:
        page = page or PageRequest()
        bad = [s for s in statuses if s not in JOB_STATUSES]
        if bad:
            raise Invalid.one("status", f"unknown status {bad[0]!r}; one of {', '.join(JOB_STATUSES)}")
        before = None
        if page.cursor is not None:
            cursor = decode_cursor(page.cursor, LIST_SORT)
            try:
                before = (parse_timestamp(str(cursor.value)), cursor.last_id)
            except ValueError:
                raise Invalid.one("cursor", "is not a cursor this server issued") from None
        async with self._uow.read() as uow:
            rows = await uow.jobs.find(
                statuses=statuses, job_type=job_type, limit=page.limit + 1, offset=page.offset, before=before
            )
            total = await uow.jobs.count(statuses=statuses, job_type=job_type)
        return page_of(
            rows, total, page, lambda last: Cursor(LIST_SORT, format_timestamp(last.created_at), last.job_id)
        )

    async def log(self, job_id: str, *, after_id: int = 0, limit: int = DEFAULT_LOG_LIMIT) -> LogPage:
        check_position(after_id, "after_id")
        if not 1 <= limit <= MAX_LOG_LIMIT:
            raise Invalid.one("limit", f"must be between 1 and {MAX_LOG_LIMIT}")
        async with self._uow.read() as uow:
            await self._require(uow, job_id)
            items = within_budget(await uow.jobs.logs(job_id, after_id=after_id, limit=limit))
        return LogPage(items=items, next_after_id=items[-1].id if items else after_id)

    async def follow(
        self, job_id: str, *, after_id: int = 0, poll_s: float = 1.0
    ) -> AsyncIterator[JobUpdate]:
        """Yield the job whenever it or its log changes, until it has finished and said everything.

        Changes made in this process wake the follower at once; changes by another process (a CLI
        beside a server) are seen within ``poll_s``.
        """
        last_state: tuple[Any, ...] | None = None
        while True:
            changed = self._changed
            job = await self.get(job_id)  # the job first: a finished job's last entries are already stored
            page = await self.log(job_id, after_id=after_id, limit=MAX_LOG_LIMIT)
            state = (job.status, msgspec.to_builtins(job.progress))
            if page.items or state != last_state:
                after_id, last_state = page.next_after_id, state
                yield JobUpdate(job, page.items)
            if job.finished and len(page.items) < MAX_LOG_LIMIT:
                return
            if len(page.items) < MAX_LOG_LIMIT:
                with anyio.move_on_after(poll_s):
                    await changed.wait()

    # -- cancel ---------------------------------------------------------------------------------

    async def cancel(self, job_id: str) -> Job:
        """Idempotent: queued ends at once, running winds down at its next safe point."""
        async with self._uow.write() as uow:
            job = await self._require(uow, job_id)
            if job.status in ("succeeded", "failed"):
                raise Conflict(
                    f"job {job_id!r} already {job.status}; only unfinished jobs can be canceled",
                    {"job_id": job_id, "status": job.status},
                )
            if job.status == "queued":
                self._finish(job, "canceled")
                await uow.jobs.append_logs(job_id, [self._entry("info", "canceled before it started")])
            elif job.status == "running":
                job.status = "cancel_requested"
                job.updated_at = self.clock.now()
                await uow.jobs.append_logs(
                    job_id, [self._entry("info", "cancel requested; stopping at the next safe point")]
                )
            else:
                return job
            await self._save(uow, job)
            await uow.commit()
        local = self._local.get(job_id)
        if local is not None:
            local.request_cancel()
        self._notify()
        return job

    # -- the external-runner protocol -----------------------------------------------------------

    async def claim(self, job_id: str, runner: str) -> Job:
        """An external runner takes a queued job of an external type; it is then ``running``.

        The answer carries the ``lease_id`` the runner quotes on every later call; each such call
        renews the lease.
        """
        runner = runner.strip()
        if not runner or len(runner) > 200:
            raise Invalid.one("runner", "must be 1 to 200 characters naming the runner")
        async with self._uow.write() as uow:
            job = await self._require(uow, job_id)
            spec = self.registry.get(job.job_type)
            if spec is None or not spec.external:
                raise Conflict(
                    f"job {job_id!r} is of type {job.job_type!r}, which is not run by external runners",
                    {"job_id": job_id, "job_type": job.job_type},
                )
            if job.status != "queued":
                raise Conflict(
                    f"job {job_id!r} is {job.status}; only a queued job can be claimed",
                    {"job_id": job_id, "status": job.status, "claimed_by": job.claimed_by},
                )
            self._start(job, owner=self.owner_id, claimed_by=runner)
            job.attempts += 1
            job.lease_id = secrets.token_urlsafe(24)
            job.lease_expires_at = self.lease.expires(job.updated_at)
            await self._save(uow, job)
            attempt = {"attempt": job.attempts, "max_attempts": self.lease.max_attempts}
            await uow.jobs.append_logs(
                job_id, [self._entry("info", f"claimed by runner {runner!r}", attempt)]
            )
            await uow.commit()
        self._notify()
        return job

    async def heartbeat(self, job_id: str, lease_id: str) -> Job:
        """A runner says it is alive: the lease is renewed; the answer shows a cancel request."""
        async with self._uow.write() as uow:
            job = await self._require_claimed(uow, job_id, lease_id)
            await uow.jobs.update(job)
            await uow.commit()
        return job

    async def append_log(
        self, job_id: str, lease_id: str, entries: Sequence[tuple[str, str, JsonObject | None]]
    ) -> list[LogEntry]:
        """Append a runner's ``(level, message, data)`` entries; committed before returning."""
        if not entries or len(entries) > MAX_LOG_BATCH:
            raise Invalid.one("entries", f"must hold 1 to {MAX_LOG_BATCH} entries")
        for index, (level, message, data) in enumerate(entries):
            check_log_entry(level, message, f"entries/{index}")
            require_json(f"entries/{index}/data", data)
        new = [self._entry(level, message, data) for level, message, data in entries]
        async with self._uow.write() as uow:
            job = await self._require_claimed(uow, job_id, lease_id)
            await uow.jobs.update(job)
            stored = await uow.jobs.append_logs(job_id, new)
            await uow.commit()
        self._notify()
        return stored

    async def report_progress(self, job_id: str, lease_id: str, progress: Progress) -> Job:
        check_progress(progress)
        async with self._uow.write() as uow:
            job = await self._require_claimed(uow, job_id, lease_id)
            job.progress = progress
            await uow.jobs.update(job)
            await uow.commit()
        self._notify()
        return job

    async def complete(self, job_id: str, lease_id: str, result: JsonObject | None = None) -> Job:
        require_json("result", result)
        async with self._uow.write() as uow:
            job = await self._require_claimed(uow, job_id, lease_id)
            self._finish(job, "succeeded", result=result or {})
            await self._save(uow, job)
            await uow.jobs.append_logs(job_id, [self._entry("info", "succeeded")])
            await uow.commit()
        self._notify()
        return job

    async def fail(self, job_id: str, lease_id: str, error: JobError) -> Job:
        """A runner gives up; after a cancel request this ends the job ``canceled`` instead."""
        async with self._uow.write() as uow:
            job = await self._require_claimed(uow, job_id, lease_id)
            if job.status == "cancel_requested":
                self._finish(job, "canceled")
                message = "canceled by the runner"
            else:
                self._finish(job, "failed", error=error)
                message = f"failed: {error.code}: {error.message}"
            await self._save(uow, job)
            await uow.jobs.append_logs(job_id, [self._entry("error", message)])
            await uow.commit()
        self._notify()
        return job

    async def sweep_leases(self) -> Recovery:
        """Settle claimed jobs whose runner fell silent past its lease.

        Each goes back to the queue (its log kept) for another runner, or fails ``runner_lost`` once
        ``max_attempts`` claims were lost; a job whose cancel was requested ends ``canceled``.
        """
        done = Recovery.empty()
        now = self.clock.now()
        async with self._uow.read() as uow:  # idle sweeps never take the write lock
            if not any(lapsed(job, now) for job in await uow.jobs.with_status(ACTIVE_STATUSES)):
                return done
        async with self._uow.write() as uow:
            for job in await uow.jobs.with_status(ACTIVE_STATUSES):
                if lapsed(job, now):
                    await self._lapse(uow, job, done)
            await uow.commit()
        self._notify()
        return done

    async def _lapse(self, uow: UnitOfWork, job: Job, done: Recovery) -> None:
        dead = f"lease expired, runner {job.claimed_by!r} presumed dead"
        attempts = f"{job.attempts} of {self.lease.max_attempts} attempts"
        lapse = self.lease.lapse(job)
        job.lease_id = None  # whatever happens next, the silent runner no longer holds the job
        if lapse == "cancel":
            self._finish(job, "canceled")
            message, bucket = f"{dead}; canceled as requested", done.canceled
        elif lapse == "fail":
            error = JobError(
                code=RUNNER_LOST, message=f"every runner that claimed it went silent ({attempts})"
            )
            self._finish(job, "failed", error=error)
            message, bucket = f"{dead}; failed after {attempts}", done.failed
        else:
            self._requeue(job)
            message, bucket = f"{dead}; re-queued for another runner ({attempts} used)", done.requeued
        await self._save(uow, job)
        await uow.jobs.append_logs(job.job_id, [self._entry("warning", message)])
        bucket.append(job.job_id)

    # -- recovery -------------------------------------------------------------------------------

    async def recover(self) -> Recovery:
        """Settle jobs left ``running`` by a process that died: re-queue resumable types, fail the rest.

        Jobs owned by a live process (a server running beside this CLI) are left alone, and so are
        leased claims: their runner may still be working, and the lease sweeper settles them if not.
        """
        done = Recovery.empty()
        async with self._uow.write() as uow:
            for job in await uow.jobs.with_status(ACTIVE_STATUSES):
                if job.owner is not None and self._liveness.alive(job.owner):
                    continue
                if job.lease_expires_at is not None:
                    continue
                spec = self.registry.get(job.job_type)
                if job.status == "cancel_requested":
                    self._finish(job, "canceled")
                    message, bucket = "canceled: its process stopped after the cancel request", done.canceled
                elif spec is not None and spec.resumable:
                    self._requeue(job)
                    message, bucket = "re-queued: its process stopped; it resumes", done.requeued
                else:
                    self._finish(job, "failed", error=self._interrupted())
                    message, bucket = "failed: its process stopped while it ran", done.failed
                await self._save(uow, job)
                await uow.jobs.append_logs(job.job_id, [self._entry("warning", message)])
                bucket.append(job.job_id)
            await uow.commit()
        if done.requeued:
            self._notify(work=True)
        return done

    # -- in-process execution (used by JobExecutor) ---------------------------------------------

    async def claim_next(self) -> Job | None:
        """Take the oldest queued in-process job for this process, or None."""
        names = self.registry.in_process_names()
        if not names:
            return None
        async with self._uow.read() as uow:  # idle polls never take the write lock
            if await uow.jobs.next_queued(names) is None:
                return None
        async with self._uow.write() as uow:
            job = await uow.jobs.next_queued(names)
            if job is None:
                return None
            self._start(job, owner=self.owner_id, claimed_by=None)
            await self._save(uow, job)
            await uow.jobs.append_logs(job.job_id, [self._entry("info", "started")])
            await uow.commit()
        self._notify()
        return job

    async def wait_for_work(self, timeout_s: float) -> None:
        with anyio.move_on_after(timeout_s):
            await self._work.wait()

    def open_context(self, job: Job) -> JobContext:
        ctx = JobContext(self, self.clock, job.job_id, job.progress)
        self._local[job.job_id] = ctx
        return ctx

    def close_context(self, job_id: str) -> None:
        self._local.pop(job_id, None)

    async def record(self, job_id: str, entries: list[NewLogEntry], progress: Progress | None) -> JobStatus:
        """Persist a handler's buffered log lines and progress; returns the job's current status.

        With nothing to write it only reads the status, which is how a cancel written by another
        process reaches a running handler.
        """
        if not entries and progress is None:
            return (await self.get(job_id)).status
        async with self._uow.write() as uow:
            job = await self._require(uow, job_id)
            if entries:
                await uow.jobs.append_logs(job_id, entries)
            if progress is not None:
                job.progress = progress
                job.updated_at = self.clock.now()
                await uow.jobs.update(job)
            await uow.commit()
        self._notify()
        return job.status

    async def settle(
        self,
        ctx: JobContext,
        status: JobStatus,
        *,
        result: JsonObject | None = None,
        error: JobError | None = None,
        message: str,
    ) -> Job:
        """End an in-process job with the handler's last words, all in one transaction."""
        entries, progress = ctx.take_pending()
        level = "error" if status == "failed" else "info"
        entries.append(self._entry(level, message))
        async with self._uow.write() as uow:
            job = await self._require(uow, ctx.job_id)
            if progress is not None:
                job.progress = progress
            if status == "queued":
                self._requeue(job)
            else:
                self._finish(job, status, result=result, error=error)
            await uow.jobs.append_logs(job.job_id, entries)
            await self._save(uow, job)
            await uow.commit()
        self._notify(work=status == "queued")
        return job

    def resumable(self, job_type: str) -> bool:
        spec = self.registry.get(job_type)
        return spec is not None and spec.resumable

    # -- helpers --------------------------------------------------------------------------------

    async def _save(self, uow: UnitOfWork, job: Job) -> None:
        """Store a job whose status changed, with its ``job.<status>`` event in the same transaction."""
        await uow.jobs.update(job)
        await self._event(uow, job)

    async def _event(self, uow: UnitOfWork, job: Job) -> None:
        await record(uow, self.clock, f"job.{job.status}", job.job_id, {"job_type": job.job_type})

    def _entry(self, level: str, message: str, data: JsonObject | None = None) -> NewLogEntry:
        return NewLogEntry(ts=self.clock.now(), level=level, message=message, data=data)  # type: ignore[arg-type]

    def _interrupted(self) -> JobError:
        return JobError(code=INTERRUPTED, message="the process running this job stopped before it finished")

    def _start(self, job: Job, *, owner: str, claimed_by: str | None) -> None:
        now = self.clock.now()
        job.status, job.owner, job.claimed_by = "running", owner, claimed_by
        job.started_at = job.started_at or now
        job.updated_at = now

    def _requeue(self, job: Job) -> None:
        job.status, job.owner, job.claimed_by = "queued", None, None
        job.lease_id = job.lease_expires_at = None
        job.updated_at = self.clock.now()

    def _finish(
        self,
        job: Job,
        status: JobStatus,
        *,
        result: JsonObject | None = None,
        error: JobError | None = None,
    ) -> None:
        now = self.clock.now()
        job.status = status
        job.finished_at = job.updated_at = now
        job.lease_expires_at = None
        job.result = result if result is not None else job.result
        job.error = error

    async def _require(self, uow: UnitOfWork, job_id: str) -> Job:
        job = await uow.jobs.get(job_id)
        if job is None:
            raise NotFound("job", job_id)
        return job

    async def _require_claimed(self, uow: UnitOfWork, job_id: str, lease_id: str) -> Job:
        """The job a runner reports on, its lease renewed; only the holder of a live lease may."""
        job = await self._require(uow, job_id)
        holds = job.lease_id is not None and secrets.compare_digest(job.lease_id, lease_id)
        if job.attempts and (not holds or (job.status in ACTIVE_STATUSES and lapsed(job, self.clock.now()))):
            raise LeaseExpired(
                f"the lease on job {job_id!r} has expired or passed to another runner; "
                "stop working on it (claim a queued job to start again)",
                {"job_id": job_id, "status": job.status},
            )
        if not holds or job.status not in ACTIVE_STATUSES:
            raise Conflict(
                f"job {job_id!r} is {job.status} and not claimed by a runner; "
                "runners may report only on jobs they claimed and that still run",
                {"job_id": job_id, "status": job.status},
            )
        job.updated_at = self.clock.now()
        job.lease_expires_at = self.lease.expires(job.updated_at)
        return job

    def _notify(self, *, work: bool = False) -> None:
        self._changed.set()
        self._changed = anyio.Event()
        if work:
            self._work.set()
            self._work = anyio.Event()


def error_for(exc: BaseException) -> JobError:
    """A failed handler's exception as a job error: domain errors keep their code."""
    if isinstance(exc, DomainError):
        return JobError(code=exc.code, message=exc.message)
    return JobError(code="internal_error", message=f"{type(exc).__name__}: {exc}")
