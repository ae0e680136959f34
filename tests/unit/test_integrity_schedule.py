"""The weekly integrity scan, on a clock that moves only when told: due times, restarts, never twice."""

from __future__ import annotations

from datetime import timedelta

import anyio
import anyio.lowlevel
import pytest
from jobs_support import make_service

from faceforge_domain.clock import FixedClock
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.integrity.schedule import ScanSchedule
from faceforge_domain.jobs.service import JobService

pytestmark = pytest.mark.anyio
WEEK = timedelta(days=7)


def scheduled(service: JobService, every: timedelta = WEEK) -> tuple[ScanSchedule, FixedClock]:
    service.registry.register(JOB_TYPE, lambda job, ctx: None)  # type: ignore[arg-type,return-value]
    clock = service.clock
    assert isinstance(clock, FixedClock)
    return ScanSchedule(service, clock, every, since=clock.now()), clock


async def scans(service: JobService) -> int:
    return (await service.list_jobs(job_type=JOB_TYPE)).total


async def finish_all(service: JobService) -> None:
    """End every waiting scan (a cancel ends a queued job at once: it counts as the last scan)."""
    for job in (await service.list_jobs(job_type=JOB_TYPE, statuses=["queued"])).items:
        await service.cancel(job.job_id)


async def test_a_new_library_is_first_scanned_a_week_after_it_was_made() -> None:
    service, _, _ = make_service()
    schedule, clock = scheduled(service)

    assert await schedule.start_if_due() is None
    clock.advance(WEEK - timedelta(minutes=1))
    assert await schedule.start_if_due() is None
    clock.advance(timedelta(minutes=1))
    job = await schedule.start_if_due()

    assert job is not None
    assert (job.job_type, job.created_by) == (JOB_TYPE, "schedule")


async def test_a_queued_or_running_scan_is_never_joined_by_another() -> None:
    service, _, _ = make_service()
    schedule, clock = scheduled(service)
    clock.advance(WEEK)
    assert await schedule.start_if_due() is not None
    clock.advance(WEEK * 3)  # weeks pass while it waits in the queue
    assert await schedule.due_in() is None
    assert await schedule.start_if_due() is None
    assert await scans(service) == 1


async def test_the_last_scan_is_remembered_across_restarts_from_the_jobs_table() -> None:
    service, _, _ = make_service()
    schedule, clock = scheduled(service)
    clock.advance(WEEK)
    started = await schedule.start_if_due()
    assert started is not None
    await finish_all(service)
    clock.advance(timedelta(days=3))

    restarted = ScanSchedule(service, clock, WEEK, since=started.created_at - WEEK * 10)

    due_in = await restarted.due_in()
    assert due_in is not None
    assert abs(due_in - timedelta(days=4)) < timedelta(seconds=1)  # a week after the last scan
    assert await restarted.start_if_due() is None


async def test_a_scan_started_by_hand_moves_the_next_one() -> None:
    service, _, _ = make_service()
    schedule, clock = scheduled(service)
    clock.advance(timedelta(days=5))
    await service.create(JOB_TYPE, {}, created_by="cli")
    await finish_all(service)
    clock.advance(timedelta(days=3))  # a week since the library was made, three days since the scan
    assert await schedule.start_if_due() is None
    clock.advance(timedelta(days=4))
    assert await schedule.start_if_due() is not None


async def test_the_running_schedule_starts_one_scan_a_week() -> None:
    service, _, _ = make_service()
    _, clock = scheduled(service)
    start = clock.now()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes at once; each scan ends before the next look
        pauses.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        await finish_all(service)
        await anyio.lowlevel.checkpoint()

    schedule = ScanSchedule(service, clock, WEEK, since=clock.now(), sleep=sleep)
    async with anyio.create_task_group() as group:
        await group.start(schedule.run)
        with anyio.fail_after(10):
            while clock.now() < start + WEEK * 3 + timedelta(hours=2):
                await anyio.lowlevel.checkpoint()
        group.cancel_scope.cancel()

    assert await scans(service) == 3
    assert max(pauses) <= 3600  # it looks again at least hourly


def test_a_schedule_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScanSchedule(make_service()[0], FixedClock(), timedelta(0), since=FixedClock().now())
