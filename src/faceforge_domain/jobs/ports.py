"""What the job use cases need from the world: a job store inside a unit of work, and liveness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Protocol

from faceforge_domain.jobs.models import (
    Job,
    JobStatus,
    JsonObject,
    LogEntry,
    LogLevel,
    LogPage,
    NewLogEntry,
    Progress,
)


class JobRepository(Protocol):
    async def add(self, job: Job) -> None: ...

    async def update(self, job: Job) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def find(
        self,
        *,
        statuses: Collection[str] = (),
        job_type: str | None = None,
        limit: int,
        offset: int = 0,
        before: tuple[datetime, str] | None = None,
    ) -> list[Job]:
        """Newest first (``created_at`` then ``job_id``, both descending); ``before`` is a keyset."""
        ...

    async def count(self, *, statuses: Collection[str] = (), job_type: str | None = None) -> int: ...

    async def next_queued(self, job_types: Collection[str]) -> Job | None:
        """The oldest queued job of one of these types (first come, first served)."""
        ...

    async def with_status(self, statuses: Collection[str]) -> list[Job]: ...

    async def append_logs(self, job_id: str, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        """Store entries in order and return them numbered."""
        ...

    async def logs(self, job_id: str, *, after_id: int, limit: int) -> list[LogEntry]: ...


class OwnerLiveness(Protocol):
    """Tells whether the Core process that owns a running job is still alive.

    Start-up recovery must only touch jobs whose process died: a CLI command starting Core beside a
    running server must not fail the server's jobs.
    """

    @property
    def owner_id(self) -> str:
        """This process's owner id (stored on the jobs it runs)."""
        ...

    def alive(self, owner_id: str) -> bool: ...


class JobJournal(Protocol):
    """Where a running job's reporter keeps what the handler said (``JobService`` is one)."""

    async def record(self, job_id: str, entries: list[NewLogEntry], progress: Progress | None) -> JobStatus:
        """Store buffered log lines and progress; answer the job's current status (a cancel request
        made by another process reaches the handler this way)."""
        ...

    async def log(self, job_id: str, *, after_id: int, limit: int) -> LogPage:
        """The job's stored log entries after ``after_id``, oldest first."""
        ...


class JobCanceled(Exception):
    """Raised by a reporter's cancel check at a safe point; the executor ends the job ``canceled``."""


class JobReporter(Protocol):
    """What a handler uses to speak: log lines, progress, and the cancel check at safe points.

    ``log`` and ``progress`` are cheap (buffered); the reporter commits them at least every quarter
    second from ``checkpoint`` and always before the job's status changes. Handlers never touch SQL.
    """

    @property
    def job_id(self) -> str: ...

    @property
    def cancel_requested(self) -> bool: ...

    def log(self, level: LogLevel, message: str, data: JsonObject | None = None) -> None: ...

    def progress(
        self,
        *,
        step: str | None = None,
        current: int | None = None,
        total: int | None = None,
        bytes_current: int | None = None,
        bytes_total: int | None = None,
        skipped: int | None = None,
        percent: float | None = None,
    ) -> None:
        """Update the given fields only; ``percent`` is derived from bytes, else items, when omitted."""
        ...

    def raise_if_canceled(self) -> None:
        """Raise ``JobCanceled`` when a cancel was requested (no I/O: safe in tight loops)."""
        ...

    async def checkpoint(self) -> None:
        """A safe point: persist what is due, then raise ``JobCanceled`` if a cancel was requested."""
        ...

    async def flush(self) -> None:
        """Persist every buffered log line and the latest progress now."""
        ...

    def stored_entries(self) -> AsyncIterator[LogEntry]:
        """The job's log as stored so far, oldest first: on a resumed job, what earlier runs said."""
        ...


class CrashReporter(Protocol):
    """Keeps a report of a job handler's unexpected error (not a domain error the job reports)."""

    async def job_crashed(self, job: Job, error: BaseException) -> None: ...
