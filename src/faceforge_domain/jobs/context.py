"""JobContext: the reporter an in-process handler gets, buffering its words and watching for cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from faceforge_domain.clock import Clock
from faceforge_domain.jobs.models import JsonObject, LogEntry, LogLevel, NewLogEntry, Progress
from faceforge_domain.jobs.ports import JobCanceled, JobJournal

FLUSH_INTERVAL_S = 0.25
MAX_BUFFERED = 256
STORED_PAGE = 1000


def derive_percent(progress: Progress) -> float | None:
    """Bytes when known (large files dominate the wait), else items."""
    for done, total in (
        (progress.bytes_current, progress.bytes_total),
        (progress.current, progress.total),
    ):
        if done is not None and total:
            return round(min(100.0, 100.0 * done / total), 2)
    return None


class JobContext:
    """Implements ``JobReporter`` for one running job, keeping its words through a ``JobJournal``."""

    def __init__(self, journal: JobJournal, clock: Clock, job_id: str, progress: Progress) -> None:
        self._journal = journal
        self._clock = clock
        self._job_id = job_id
        self._progress = progress
        self._progress_dirty = False
        self._pending: list[NewLogEntry] = []
        self._last_flush = clock.monotonic()
        self._canceled = False
        self._lock = anyio.Lock()

    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def cancel_requested(self) -> bool:
        return self._canceled

    def request_cancel(self) -> None:
        self._canceled = True

    def log(self, level: LogLevel, message: str, data: JsonObject | None = None) -> None:
        self._pending.append(NewLogEntry(ts=self._clock.now(), level=level, message=message, data=data))

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
        p = self._progress
        for name, value in (
            ("step", step),
            ("current", current),
            ("total", total),
            ("bytes_current", bytes_current),
            ("bytes_total", bytes_total),
            ("skipped", skipped),
        ):
            if value is not None:
                setattr(p, name, value)
        p.percent = percent if percent is not None else derive_percent(p)
        self._progress_dirty = True

    def raise_if_canceled(self) -> None:
        if self._canceled:
            raise JobCanceled(self._job_id)

    async def checkpoint(self) -> None:
        due = self._clock.monotonic() - self._last_flush >= FLUSH_INTERVAL_S
        if due or len(self._pending) >= MAX_BUFFERED:
            await self.flush()
        self.raise_if_canceled()

    async def flush(self) -> None:
        async with self._lock:
            entries, self._pending = self._pending, []
            progress = self._progress if self._progress_dirty else None
            self._progress_dirty = False
            self._last_flush = self._clock.monotonic()
            status = await self._journal.record(self._job_id, entries, progress)
        if status == "cancel_requested":  # asked from another process (the CLI beside a server)
            self._canceled = True

    async def stored_entries(self) -> AsyncIterator[LogEntry]:
        after = 0
        while True:
            page = await self._journal.log(self._job_id, after_id=after, limit=STORED_PAGE)
            for entry in page.items:
                yield entry
            if len(page.items) < STORED_PAGE:
                return
            after = page.next_after_id

    def take_pending(self) -> tuple[list[NewLogEntry], Progress | None]:
        """Hand what is still buffered to the final status change (one transaction)."""
        entries, self._pending = self._pending, []
        progress = self._progress if self._progress_dirty else None
        self._progress_dirty = False
        return entries, progress
