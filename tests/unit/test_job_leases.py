"""Leases on external runners' claims: renewal, lapse, re-queue, attempts, against a fake clock."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.jobs import InMemoryLiveness
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict, LeaseExpired
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.lease import LeasePolicy
from faceforge_domain.jobs.models import Job, JobError, Progress
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService, Recovery

pytestmark = pytest.mark.anyio

LEASE = timedelta(seconds=10)
JOB_TYPE = "plug.work"


def make_leased(
    clock: FixedClock | None = None, *, lease: timedelta = LEASE, max_attempts: int = 3
) -> tuple[JobService, FixedClock]:
    clock = clock or FixedClock()
    service = JobService(
        InMemoryUnitOfWorkFactory(),
        JobRegistry(),
        clock,
        InMemoryLiveness(),
        LeasePolicy(duration=lease, max_attempts=max_attempts),
    )
    service.registry.register_external(JOB_TYPE)
    return service, clock


async def claim(service: JobService, job_id: str, runner: str) -> str:
    job = await service.claim(job_id, runner)
    assert job.lease_id is not None
    return job.lease_id


async def messages(service: JobService, job_id: str) -> list[str]:
    return [entry.message for entry in (await service.log(job_id, limit=1000)).items]


async def test_a_claim_grants_a_lease_that_every_runner_call_renews() -> None:
    service, clock = make_leased()
    job = await service.create(JOB_TYPE)
    claimed = await service.claim(job.job_id, "r1")
    assert claimed.attempts == 1
    assert claimed.lease_expires_at == clock.now() + LEASE
    lease = claimed.lease_id or ""
    renewals = [
        lambda: service.heartbeat(job.job_id, lease),
        lambda: service.report_progress(job.job_id, lease, Progress(percent=5)),
        lambda: service.append_log(job.job_id, lease, [("info", "alive", None)]),
    ]
    for renew in renewals:
        clock.advance(LEASE - timedelta(seconds=1))
        await renew()
        assert (await service.get(job.job_id)).lease_expires_at == clock.now() + LEASE
        assert (await service.sweep_leases()).requeued == []
    assert (await service.get(job.job_id)).status == "running"


async def test_a_silent_runner_loses_the_job_to_the_queue_with_its_log_kept() -> None:
    service, clock = make_leased()
    job = await service.create(JOB_TYPE)
    first = await claim(service, job.job_id, "r1")
    await service.append_log(job.job_id, first, [("info", "half done", None)])
    clock.advance(LEASE)
    with pytest.raises(LeaseExpired):  # lapsed even before the sweep noticed
        await service.heartbeat(job.job_id, first)
    swept = await service.sweep_leases()
    assert swept.requeued == [job.job_id]
    queued = await service.get(job.job_id)
    assert (queued.status, queued.claimed_by, queued.lease_id, queued.lease_expires_at) == (
        "queued",
        None,
        None,
        None,
    )
    log = await messages(service, job.job_id)
    assert "half done" in log
    assert log[-1].startswith("lease expired, runner 'r1' presumed dead; re-queued")
    second = await claim(service, job.job_id, "r2")
    for stale in (
        service.heartbeat(job.job_id, first),
        service.complete(job.job_id, first, {"by": "r1"}),
        service.fail(job.job_id, first, JobError(code="x", message="y")),
    ):
        with pytest.raises(LeaseExpired):
            await stale
    done = await service.complete(job.job_id, second, {"by": "r2"})
    assert (done.status, done.result, done.claimed_by, done.attempts) == ("succeeded", {"by": "r2"}, "r2", 2)


async def test_after_the_last_attempt_a_lapse_fails_the_job_runner_lost() -> None:
    service, clock = make_leased(max_attempts=2)
    job = await service.create(JOB_TYPE)
    leases = []
    for runner in ("r1", "r2"):
        leases.append(await claim(service, job.job_id, runner))
        clock.advance(LEASE * 2)
        await service.sweep_leases()
    failed = await service.get(job.job_id)
    assert failed.status == "failed"
    assert failed.error == JobError(
        code="runner_lost", message="every runner that claimed it went silent (2 of 2 attempts)"
    )
    assert (await messages(service, job.job_id))[-1] == (
        "lease expired, runner 'r2' presumed dead; failed after 2 of 2 attempts"
    )
    with pytest.raises(LeaseExpired):
        await service.complete(job.job_id, leases[-1])
    with pytest.raises(Conflict):
        await service.claim(job.job_id, "r3")


async def test_a_lapse_after_a_cancel_request_ends_the_job_canceled() -> None:
    service, clock = make_leased()
    job = await service.create(JOB_TYPE)
    await claim(service, job.job_id, "r1")
    await service.cancel(job.job_id)
    clock.advance(LEASE)
    assert (await service.sweep_leases()).canceled == [job.job_id]
    assert (await service.get(job.job_id)).status == "canceled"


async def test_start_up_recovery_leaves_leased_claims_to_the_lease() -> None:
    service, _ = make_leased()
    job = await service.create(JOB_TYPE)
    lease = await claim(service, job.job_id, "r1")
    restarted = JobService(service._uow, service.registry, service.clock, InMemoryLiveness("core-new"))
    assert await restarted.recover() == Recovery.empty()
    assert (await restarted.get(job.job_id)).status == "running"
    assert (await restarted.heartbeat(job.job_id, lease)).status == "running"


async def test_the_executor_sweeps_lapsed_leases_on_its_own() -> None:
    service, clock = make_leased(lease=timedelta(milliseconds=300))  # swept every 0.2 s
    job = await service.create(JOB_TYPE)
    await claim(service, job.job_id, "r1")
    clock.advance(timedelta(milliseconds=300))  # the runner stays silent for the whole lease
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 1).run)
        with anyio.fail_after(5):
            while (await service.get(job.job_id)).status != "queued":  # noqa: ASYNC110
                await anyio.sleep(0.05)
        group.cancel_scope.cancel()


# -- the rules, against a model --------------------------------------------------------------------

Step = tuple[str, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(0, 15)),
        st.tuples(st.sampled_from(["claim", "beat", "stale", "sweep"]), st.just(0)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(steps=STEPS)
async def test_lease_rules_hold_for_any_sequence_of_calls_and_silences(steps: list[Step]) -> None:
    """Only the holder of a live lease may report; a lapse re-queues until attempts run out."""
    service, clock = make_leased(max_attempts=3)
    job: Job = await service.create(JOB_TYPE)
    leases: list[str] = []
    status, expires, attempts = "queued", clock.now(), 0
    for action, seconds in steps:
        now = clock.now()
        if action == "wait":
            clock.advance(timedelta(seconds=seconds))
        elif action == "claim":
            if status == "queued":
                leases.append(await claim(service, job.job_id, f"r{len(leases)}"))
                status, expires, attempts = "running", now + LEASE, attempts + 1
            else:
                with pytest.raises(Conflict):
                    await service.claim(job.job_id, "late")
        elif action == "beat" and leases:
            if status == "running" and now < expires:
                await service.heartbeat(job.job_id, leases[-1])
                expires = now + LEASE
            else:
                with pytest.raises(LeaseExpired):
                    await service.heartbeat(job.job_id, leases[-1])
        elif action == "stale" and len(leases) > 1:
            with pytest.raises(LeaseExpired):
                await service.heartbeat(job.job_id, leases[0])
        elif action == "sweep":
            await service.sweep_leases()
            if status == "running" and now >= expires:
                status = "failed" if attempts >= 3 else "queued"
        stored = await service.get(job.job_id)
        assert (stored.status, stored.attempts) == (status, attempts)
        if status == "failed":
            assert stored.error is not None
            assert stored.error.code == "runner_lost"
