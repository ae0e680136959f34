"""InMemoryJobRepository: the job fake, ordered exactly like the SQLite repository."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from datetime import datetime

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.jobs.models import Job, LogEntry, NewLogEntry


def _matches(job: Job, statuses: Collection[str], job_type: str | None) -> bool:
    return (not statuses or job.status in statuses) and (job_type is None or job.job_type == job_type)


class InMemoryJobRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, job: Job) -> None:
        if job.job_id in self._state.jobs:
            raise KeyError(job.job_id)
        self._state.jobs[job.job_id] = copy.deepcopy(job)

    async def update(self, job: Job) -> None:
        self._state.jobs[job.job_id] = copy.deepcopy(job)

    async def get(self, job_id: str) -> Job | None:
        job = self._state.jobs.get(job_id)
        return None if job is None else copy.deepcopy(job)

    async def find(
        self,
        *,
        statuses: Collection[str] = (),
        job_type: str | None = None,
        limit: int,
        offset: int = 0,
        before: tuple[datetime, str] | None = None,
    ) -> list[Job]:
        found = [
            j
            for j in self._state.jobs.values()
            if _matches(j, statuses, job_type) and (before is None or (j.created_at, j.job_id) < before)
        ]
        found.sort(key=lambda j: (j.created_at, j.job_id), reverse=True)
        return copy.deepcopy(found[offset : offset + limit])

    async def count(self, *, statuses: Collection[str] = (), job_type: str | None = None) -> int:
        return sum(1 for j in self._state.jobs.values() if _matches(j, statuses, job_type))

    async def next_queued(self, job_types: Collection[str]) -> Job | None:
        queued = [j for j in self._state.jobs.values() if j.status == "queued" and j.job_type in job_types]
        return copy.deepcopy(min(queued, key=lambda j: (j.created_at, j.job_id))) if queued else None

    async def with_status(self, statuses: Collection[str]) -> list[Job]:
        found = [j for j in self._state.jobs.values() if j.status in statuses]
        return copy.deepcopy(sorted(found, key=lambda j: (j.created_at, j.job_id)))

    async def append_logs(self, job_id: str, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        if job_id not in self._state.jobs:
            raise KeyError(job_id)
        stored = []
        for entry in entries:
            self._state.last_log_id += 1
            stored.append(
                LogEntry(
                    id=self._state.last_log_id,
                    job_id=job_id,
                    ts=entry.ts,
                    level=entry.level,
                    message=entry.message,
                    data=copy.deepcopy(entry.data),
                )
            )
        self._state.job_logs.setdefault(job_id, []).extend(stored)
        return stored

    async def logs(self, job_id: str, *, after_id: int, limit: int) -> list[LogEntry]:
        entries = [e for e in self._state.job_logs.get(job_id, []) if e.id > after_id]
        return entries[:limit]


class InMemoryLiveness:
    """The liveness fake: owners are alive while listed in ``alive_owners``."""

    def __init__(self, owner_id: str = "core-test") -> None:
        self._owner_id = owner_id
        self.alive_owners: set[str] = {owner_id}

    @property
    def owner_id(self) -> str:
        return self._owner_id

    def alive(self, owner_id: str) -> bool:
        return owner_id in self.alive_owners
