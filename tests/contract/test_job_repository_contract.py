"""One contract for every JobRepository: the SQLite adapter and the in-memory fake behave alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_adapters.sqlite.database import Database
from faceforge_adapters.sqlite.uow import SqliteUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.ids import new_id
from faceforge_domain.jobs.models import Job, JobError, NewLogEntry, Progress
from faceforge_domain.ports import UnitOfWorkFactory

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    if request.param == "memory":
        yield InMemoryUnitOfWorkFactory()
        return
    database = await Database.open(tmp_path / "db" / "core.sqlite3", FixedClock())
    try:
        yield SqliteUnitOfWorkFactory(database)
    finally:
        await database.close()


def make_job(n: int, *, job_type: str = "core.test", status: str = "queued") -> Job:
    at = T0 + timedelta(seconds=n)
    return Job(
        job_id=new_id(),
        job_type=job_type,
        status=status,  # type: ignore[arg-type]
        input={"n": n, "nested": {"list": [1, 2]}},
        created_at=at,
        updated_at=at,
    )


async def add(units: UnitOfWorkFactory, *jobs: Job) -> None:
    async with units.write() as uow:
        for job in jobs:
            await uow.jobs.add(job)
        await uow.commit()


async def test_a_job_round_trips_with_every_field(units: UnitOfWorkFactory) -> None:
    job = make_job(1)
    job.progress = Progress(
        percent=12.5, step="counting", current=1, total=8, bytes_current=5, bytes_total=40
    )
    job.result = {"scanned": 3}
    job.error = JobError(code="interrupted", message="stopped")
    job.claimed_by, job.owner, job.created_by = "runner", "core-1-abc", "cli"
    job.lease_id, job.lease_expires_at, job.attempts = "lease-secret", T0 + timedelta(seconds=60), 2
    job.started_at = job.finished_at = T0 + timedelta(minutes=1)
    await add(units, job)
    async with units.read() as uow:
        assert await uow.jobs.get(job.job_id) == job
        assert await uow.jobs.get(new_id()) is None


async def test_update_replaces_the_stored_job(units: UnitOfWorkFactory) -> None:
    job = make_job(1)
    await add(units, job)
    job.status, job.result = "succeeded", {"ok": True}
    async with units.write() as uow:
        await uow.jobs.update(job)
        await uow.commit()
    async with units.read() as uow:
        assert await uow.jobs.get(job.job_id) == job


async def test_nothing_is_kept_without_commit(units: UnitOfWorkFactory) -> None:
    job = make_job(1)
    async with units.write() as uow:
        await uow.jobs.add(job)
    async with units.read() as uow:
        assert await uow.jobs.get(job.job_id) is None


async def test_find_filters_sorts_newest_first_and_pages(units: UnitOfWorkFactory) -> None:
    jobs = [make_job(i, job_type="core.a" if i % 2 else "core.b", status="queued" if i < 4 else "failed")
            for i in range(6)]  # fmt: skip
    await add(units, *jobs)
    newest_first = [j.job_id for j in reversed(jobs)]
    async with units.read() as uow:
        assert [j.job_id for j in await uow.jobs.find(limit=10)] == newest_first
        assert [j.job_id for j in await uow.jobs.find(limit=2, offset=1)] == newest_first[1:3]
        after = await uow.jobs.find(limit=10, before=(jobs[3].created_at, jobs[3].job_id))
        assert [j.job_id for j in after] == newest_first[3:]
        typed = await uow.jobs.find(job_type="core.a", statuses=["queued"], limit=10)
        assert [j.job_id for j in typed] == [jobs[3].job_id, jobs[1].job_id]
        assert await uow.jobs.count() == 6
        assert await uow.jobs.count(statuses=["failed"]) == 2
        assert await uow.jobs.count(statuses=["queued", "failed"], job_type="core.b") == 3


async def test_next_queued_is_the_oldest_queued_of_the_given_types(units: UnitOfWorkFactory) -> None:
    jobs = [make_job(0, status="running"), make_job(1, job_type="p.x"), make_job(2), make_job(3)]
    await add(units, *jobs)
    async with units.read() as uow:
        found = await uow.jobs.next_queued(["core.test"])
        assert found is not None
        assert found.job_id == jobs[2].job_id
        assert await uow.jobs.next_queued(["core.none"]) is None
        assert await uow.jobs.next_queued([]) is None
        running = await uow.jobs.with_status(["running"])
        assert [j.job_id for j in running] == [jobs[0].job_id]


async def test_log_entries_are_numbered_in_order_and_paged_after_an_id(units: UnitOfWorkFactory) -> None:
    job, other = make_job(1), make_job(2)
    await add(units, job, other)
    async with units.write() as uow:
        first = await uow.jobs.append_logs(
            job.job_id, [NewLogEntry(ts=T0, level="info", message=f"m{i}", data={"i": i}) for i in range(3)]
        )
        await uow.jobs.append_logs(other.job_id, [NewLogEntry(ts=T0, level="error", message="elsewhere")])
        more = await uow.jobs.append_logs(job.job_id, [NewLogEntry(ts=T0, level="warning", message="m3")])
        await uow.commit()
    ids = [e.id for e in first + more]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    async with units.read() as uow:
        everything = await uow.jobs.logs(job.job_id, after_id=0, limit=100)
        assert everything == first + more
        assert await uow.jobs.logs(job.job_id, after_id=first[0].id, limit=2) == first[1:3]
        assert await uow.jobs.logs(job.job_id, after_id=more[0].id, limit=10) == []
        assert everything[0].data == {"i": 0}
        assert more[0].data is None


async def test_a_long_batch_of_log_entries_keeps_its_order_and_ids(units: UnitOfWorkFactory) -> None:
    """More entries than one INSERT carries: ids still follow the entries, across statements."""
    job = make_job(1)
    await add(units, job)
    entries = [NewLogEntry(ts=T0, level="info", message=f"m{i}", data={"i": i}) for i in range(1_201)]
    async with units.write() as uow:
        stored = await uow.jobs.append_logs(job.job_id, entries)
        await uow.commit()
    assert [e.message for e in stored] == [e.message for e in entries]
    assert [e.id for e in stored] == sorted({e.id for e in stored})
    async with units.read() as uow:
        assert await uow.jobs.logs(job.job_id, after_id=0, limit=2_000) == stored


# -- the fake and SQLite agree on any sequence of operations ------------------------------------

STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 30), st.sampled_from(["core.a", "p.b"])),
        st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(STATUSES)),
        st.tuples(st.just("log"), st.integers(0, 20), st.integers(1, 4)),
    ),
    max_size=25,
)


async def run_program(units: UnitOfWorkFactory, program: list[tuple[str, int, Any]]) -> list[Any]:
    """Apply the operations, then answer every query the repository offers."""
    ids: list[str] = []
    for op, n, arg in program:
        async with units.write() as uow:
            if op == "add":
                job = make_job(n, job_type=arg)
                job.job_id = f"{len(ids):064x}"  # the same ids on both sides
                await uow.jobs.add(job)
                ids.append(job.job_id)
            elif ids:
                found = await uow.jobs.get(ids[n % len(ids)])
                assert found is not None
                if op == "status":
                    found.status = arg
                    await uow.jobs.update(found)
                else:
                    entries = [NewLogEntry(ts=T0, level="info", message=f"{n}-{i}") for i in range(arg)]
                    await uow.jobs.append_logs(found.job_id, entries)
            await uow.commit()
    answers: list[Any] = []
    async with units.read() as uow:
        answers.append([j.job_id for j in await uow.jobs.find(limit=100)])
        for status in STATUSES:
            answers.append(
                [j.job_id for j in await uow.jobs.find(statuses=[status], job_type="core.a", limit=3)]
            )
            answers.append(await uow.jobs.count(statuses=[status]))
        queued = await uow.jobs.next_queued(["core.a", "p.b"])
        answers.append(None if queued is None else queued.job_id)
        answers.append([j.job_id for j in await uow.jobs.with_status(["running", "failed"])])
        for job_id in ids:
            answers.append([e.message for e in await uow.jobs.logs(job_id, after_id=0, limit=100)])
    return answers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=operations)
def test_the_fake_and_sqlite_agree_on_any_program(
    tmp_path_factory: pytest.TempPathFactory, program: list[Any]
) -> None:
    async def both() -> tuple[list[Any], list[Any]]:
        database = await Database.open(tmp_path_factory.mktemp("db") / "core.sqlite3", FixedClock())
        try:
            real = await run_program(SqliteUnitOfWorkFactory(database), program)
        finally:
            await database.close()
        return await run_program(InMemoryUnitOfWorkFactory(), program), real

    fake, real = anyio.run(both)
    assert fake == real
