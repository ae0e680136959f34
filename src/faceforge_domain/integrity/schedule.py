"""The weekly integrity scan while the server runs.

The last scan's time is read from the jobs table (any ``core.integrity.scan``, started by hand or by
the schedule), so the schedule survives restarts; a scan that is queued or running is never joined by
another. A library that has never been scanned is first scanned ``every`` after it was created, not
the moment a new home starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio
from anyio.abc import TaskStatus

from faceforge_domain.clock import Clock
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.integrity.throttle import Sleep
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.service import JobService
from faceforge_domain.paging import PageRequest

# The longest the schedule sleeps before it looks again (a scan started by hand moves the next one).
LOOK_EVERY = timedelta(hours=1)


class ScanSchedule:
    """Starts a scan once ``every`` has passed since the last one (or since ``since``, the library's
    creation, when there was none)."""

    def __init__(
        self, jobs: JobService, clock: Clock, every: timedelta, since: datetime, sleep: Sleep = anyio.sleep
    ) -> None:
        if every <= timedelta(0):
            raise ValueError("a schedule needs a positive interval")
        self._jobs = jobs
        self._clock = clock
        self._every = every
        self._since = since
        self._sleep = sleep

    async def due_in(self) -> timedelta | None:
        """How long until the next scan is due (zero or less: now); None while one is queued or running."""
        page = await self._jobs.list_jobs(job_type=JOB_TYPE, page=PageRequest(limit=1))
        last = page.items[0] if page.items else None
        if last is not None and not last.finished:
            return None
        start = self._since if last is None else last.created_at
        return start + self._every - self._clock.now()

    async def start_if_due(self) -> Job | None:
        wait = await self.due_in()
        if wait is None or wait > timedelta(0):
            return None
        return await self._jobs.create(JOB_TYPE, {}, created_by="schedule")

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Start scans when due, until cancelled."""
        task_status.started()
        while True:
            await self.start_if_due()
            wait = await self.due_in()
            pause = LOOK_EVERY if wait is None else max(min(wait, LOOK_EVERY), timedelta(seconds=1))
            await self._sleep(pause.total_seconds())
