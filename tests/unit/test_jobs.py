"""JobService, registry and executor against the in-memory fakes."""

from __future__ import annotations

import anyio
import pytest
from jobs_support import Gate, make_service, pass_time

from faceforge_domain.errors import Conflict, Invalid, NotFound
from faceforge_domain.jobs.context import FLUSH_INTERVAL_S
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.models import Job, JobError, JsonObject, Progress
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.jobs.service import JobService
from faceforge_domain.paging import PageRequest

pytestmark = pytest.mark.anyio


async def wait_status(service: JobService, job_id: str, *statuses: str, limit_s: float = 5) -> Job:
    """Poll the stored job (what any client sees) until it reaches one of ``statuses``."""
    with anyio.fail_after(limit_s):
        while (job := await service.get(job_id)).status not in statuses:  # noqa: ASYNC110
            await anyio.sleep(0.01)
    return job


async def echo(job: Job, ctx: JobReporter) -> JsonObject:
    ctx.log("info", "hello")
    ctx.progress(current=3, total=3)
    return {"got": job.input}


async def broken(job: Job, ctx: JobReporter) -> JsonObject:
    raise RuntimeError("boom")


async def refuses(job: Job, ctx: JobReporter) -> JsonObject:
    raise NotFound("entity", "x")


async def positive_n(value: JsonObject) -> JsonObject:
    if not isinstance(value.get("n"), int) or value["n"] < 1:
        raise Invalid.one("input/n", "must be a whole number above 0")
    return value


# -- registry ---------------------------------------------------------------------------------


def test_registry_keeps_in_process_and_external_types_apart() -> None:
    registry = JobRegistry()
    registry.register("core.echo", echo)
    spec = registry.register_external("plugin_x.train", resumable=True)
    assert spec.external
    assert spec.resumable
    assert registry.in_process_names() == ["core.echo"]
    assert [s.name for s in registry.types()] == ["core.echo", "plugin_x.train"]
    assert registry.unregister("plugin_x.train") is True
    assert registry.unregister("plugin_x.train") is False
    assert registry.get("plugin_x.train") is None


@pytest.mark.parametrize("name", ["", "plain", "Core.Echo", "core..x", ".core", "core.x!"])
def test_registry_refuses_names_that_are_not_namespaced(name: str) -> None:
    with pytest.raises(Invalid):
        JobRegistry().register_external(name)


def test_registering_a_taken_name_is_a_conflict() -> None:
    registry = JobRegistry()
    registry.register("core.echo", echo)
    with pytest.raises(Conflict):
        registry.register_external("core.echo")


# -- create, read, list, log ------------------------------------------------------------------


async def test_create_queues_a_job_and_logs_it() -> None:
    service, _, _ = make_service()
    service.registry.register("core.echo", echo)
    job = await service.create("core.echo", {"a": 1}, created_by="test")
    assert job.status == "queued"
    assert job.input == {"a": 1}
    assert job.created_by == "test"
    assert await service.get(job.job_id) == job
    page = await service.log(job.job_id)
    assert [e.message for e in page.items] == ["queued; runs inside Core"]
    assert page.next_after_id == page.items[-1].id


async def test_create_refuses_unknown_types_and_invalid_input_and_stores_nothing() -> None:
    service, units, _ = make_service()
    service.registry.register("core.count", echo, validate=positive_n)
    with pytest.raises(Invalid) as unknown:
        await service.create("core.nope", {})
    assert unknown.value.errors[0].field == "job_type"
    with pytest.raises(Invalid) as bad:
        await service.create("core.count", {"n": 0})
    assert bad.value.errors[0].field == "input/n"
    with pytest.raises(Invalid):
        await service.create("core.count", {"n": 1}, input_asset_id="f" * 64)
    assert units.state.jobs == {}
    assert units.state.job_logs == {}


async def test_get_of_an_unknown_job_is_not_found() -> None:
    service, _, _ = make_service()
    with pytest.raises(NotFound):
        await service.get("0" * 64)
    with pytest.raises(NotFound):
        await service.log("0" * 64)


async def test_list_filters_by_status_and_type_and_pages_newest_first() -> None:
    service, _, _ = make_service()
    service.registry.register_external("p.a")
    service.registry.register_external("p.b")
    made = [await service.create("p.a" if i % 2 else "p.b", {"i": i}) for i in range(7)]
    await service.cancel(made[0].job_id)
    everything = await service.list_jobs()
    assert [j.job_id for j in everything.items] == [j.job_id for j in reversed(made)]
    assert (await service.list_jobs(job_type="p.a")).total == 3
    assert [j.job_id for j in (await service.list_jobs(statuses=["canceled"])).items] == [made[0].job_id]
    seen: list[str] = []
    page = await service.list_jobs(page=PageRequest(limit=3))
    while True:
        seen += [j.job_id for j in page.items]
        if page.next_cursor is None:
            break
        page = await service.list_jobs(page=PageRequest(limit=3, cursor=page.next_cursor))
    assert seen == [j.job_id for j in reversed(made)]
    with pytest.raises(Invalid):
        await service.list_jobs(statuses=["sleeping"])


@pytest.mark.parametrize(("jobs", "limit"), [(6, 3), (3, 3), (4, 2), (1, 1)])
async def test_a_full_last_page_says_no_page_follows(jobs: int, limit: int) -> None:
    service, _, _ = make_service()
    service.registry.register_external("p.a")
    made = [await service.create("p.a", {"i": i}) for i in range(jobs)]
    pages = [await service.list_jobs(page=PageRequest(limit=limit))]
    while pages[-1].next_cursor is not None:
        pages.append(await service.list_jobs(page=PageRequest(limit=limit, cursor=pages[-1].next_cursor)))
    assert [len(page.items) for page in pages] == [limit] * (jobs // limit)
    assert [j.job_id for page in pages for j in page.items] == [j.job_id for j in reversed(made)]


async def test_log_pages_with_after_id_and_limit() -> None:
    service, _, _ = make_service()
    service.registry.register_external("p.ext")
    job = await service.create("p.ext")
    lease = (await service.claim(job.job_id, "runner-1")).lease_id or ""
    await service.append_log(job.job_id, lease, [("info", f"line {i}", {"i": i}) for i in range(5)])
    first = await service.log(job.job_id, limit=3)
    rest = await service.log(job.job_id, after_id=first.next_after_id, limit=100)
    messages = [e.message for e in first.items + rest.items]
    assert messages[-5:] == [f"line {i}" for i in range(5)]
    empty = await service.log(job.job_id, after_id=rest.next_after_id)
    assert empty.items == []
    assert empty.next_after_id == rest.next_after_id
    for bad in ({"after_id": -1}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(Invalid):
            await service.log(job.job_id, **bad)  # type: ignore[arg-type]


# -- cancel -----------------------------------------------------------------------------------


async def test_cancel_of_a_queued_job_ends_it_at_once_and_is_idempotent() -> None:
    service, _, _ = make_service()
    service.registry.register_external("p.ext")
    job = await service.create("p.ext")
    first = await service.cancel(job.job_id)
    again = await service.cancel(job.job_id)
    assert first.status == again.status == "canceled"
    assert first.finished_at is not None


async def test_cancel_of_a_finished_job_is_a_conflict_and_changes_nothing() -> None:
    service, _, _ = make_service()
    service.registry.register_external("p.ext")
    job = await service.create("p.ext")
    lease = (await service.claim(job.job_id, "r")).lease_id or ""
    done = await service.complete(job.job_id, lease, {"ok": 1})
    with pytest.raises(Conflict):
        await service.cancel(job.job_id)
    assert await service.get(job.job_id) == done


# -- the executor -----------------------------------------------------------------------------


async def test_executor_runs_a_job_to_success_with_its_result_log_and_progress() -> None:
    service, _, _ = make_service()
    service.registry.register("core.echo", echo)
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 2, idle_poll_s=0.05).run)
        job = await service.create("core.echo", {"x": 1})
        done = await wait_status(service, job.job_id, "succeeded")
        group.cancel_scope.cancel()
    assert done.result == {"got": {"x": 1}}
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.progress == Progress(percent=100.0, current=3, total=3)
    messages = [e.message for e in (await service.log(job.job_id)).items]
    assert messages == ["queued; runs inside Core", "started", "hello", "succeeded"]


@pytest.mark.parametrize(
    ("handler", "code"), [(broken, "internal_error"), (refuses, "not_found")], ids=["crash", "domain"]
)
async def test_a_failing_handler_fails_its_job_with_an_error_code(handler: object, code: str) -> None:
    service, _, _ = make_service()
    service.registry.register("core.bad", handler)  # type: ignore[arg-type]
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 1, idle_poll_s=0.05).run)
        job = await service.create("core.bad")
        failed = await wait_status(service, job.job_id, "failed")
        group.cancel_scope.cancel()
    assert failed.error is not None
    assert failed.error.code == code


async def test_cancel_of_a_running_job_stops_it_at_its_next_safe_point() -> None:
    service, _, _ = make_service()
    gate = Gate()
    service.registry.register("core.gate", gate)
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 1, idle_poll_s=0.05).run)
        job = await service.create("core.gate", {"n": 1})
        await gate.started.wait()
        requested = await service.cancel(job.job_id)
        assert requested.status == "cancel_requested"
        assert (await service.cancel(job.job_id)).status == "cancel_requested"  # idempotent
        canceled = await wait_status(service, job.job_id, "canceled", limit_s=2)
        group.cancel_scope.cancel()
    assert canceled.finished_at is not None
    assert canceled.result is None
    assert canceled.progress.step == "waiting"


async def test_a_cancel_written_by_another_process_is_seen_at_the_next_flush() -> None:
    service, units, _ = make_service()
    gate = Gate()
    service.registry.register("core.gate", gate)
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 1, idle_poll_s=0.05).run)
        job = await service.create("core.gate")
        await gate.started.wait()
        async with units.write() as uow:  # what a CLI beside the server does: only the row changes
            row = await uow.jobs.get(job.job_id)
            assert row is not None
            row.status = "cancel_requested"
            await uow.jobs.update(row)
            await uow.commit()
        pass_time(service, FLUSH_INTERVAL_S)  # the handler's next checkpoint flushes, and hears of it
        await wait_status(service, job.job_id, "canceled", limit_s=2)
        group.cancel_scope.cancel()


async def test_executor_runs_at_most_max_concurrent_jobs_at_once() -> None:
    service, _, _ = make_service()
    gate = Gate()
    service.registry.register("core.gate", gate)
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 2, idle_poll_s=0.05).run)
        jobs = [await service.create("core.gate", {"n": i}) for i in range(3)]
        await wait_status(service, jobs[1].job_id, "running")
        await anyio.sleep(0.2)
        statuses = [(await service.get(j.job_id)).status for j in jobs]
        assert statuses == ["running", "running", "queued"]  # oldest first
        gate.release.set()
        for j in jobs:
            await wait_status(service, j.job_id, "succeeded")
        group.cancel_scope.cancel()


@pytest.mark.parametrize(("resumable", "status"), [(True, "queued"), (False, "failed")])
async def test_stopping_the_executor_requeues_resumable_jobs_and_fails_the_rest(
    resumable: bool, status: str
) -> None:
    service, _, _ = make_service()
    gate = Gate()
    service.registry.register("core.gate", gate, resumable=resumable)
    async with anyio.create_task_group() as group:
        await group.start(JobExecutor(service, 1, idle_poll_s=0.05).run)
        job = await service.create("core.gate")
        await gate.started.wait()
        group.cancel_scope.cancel()
    stopped = await service.get(job.job_id)
    assert stopped.status == status
    assert stopped.owner is None or status == "failed"
    if status == "failed":
        assert stopped.error == JobError(code="interrupted", message="Core stopped before the job finished")


async def test_a_job_of_a_type_unregistered_meanwhile_fails_clearly() -> None:
    service, _, _ = make_service()
    service.registry.register("core.echo", echo)
    job = await service.create("core.echo")
    claimed = await service.claim_next()
    assert claimed is not None
    service.registry.unregister("core.echo")
    ended = await JobExecutor(service, 1).run_job(claimed)
    assert ended.status == "failed"
    assert ended.error is not None
    assert ended.error.code == "unknown_job_type"
    assert (await service.get(job.job_id)).status == "failed"


# -- recovery ---------------------------------------------------------------------------------


async def test_recovery_settles_only_jobs_whose_process_died() -> None:
    service, units, liveness = make_service("core-new")
    service.registry.register("core.resumable", echo, resumable=True)
    service.registry.register("core.once", echo)
    jobs = {name: await service.create(f"core.{name.split('-')[0]}") for name in
            ("resumable-dead", "once-dead", "once-live", "once-cancel")}  # fmt: skip
    owners = {"resumable-dead": "core-old", "once-dead": "core-old", "once-live": "core-live",
              "once-cancel": "core-old"}  # fmt: skip
    liveness.alive_owners.add("core-live")
    async with units.write() as uow:
        for name, job in jobs.items():
            row = await uow.jobs.get(job.job_id)
            assert row is not None
            row.status = "cancel_requested" if name == "once-cancel" else "running"
            row.owner = owners[name]
            await uow.jobs.update(row)
        await uow.commit()
    done = await service.recover()
    assert done.requeued == [jobs["resumable-dead"].job_id]
    assert done.failed == [jobs["once-dead"].job_id]
    assert done.canceled == [jobs["once-cancel"].job_id]
    failed = await service.get(jobs["once-dead"].job_id)
    assert failed.error is not None
    assert failed.error.code == "interrupted"
    assert (await service.get(jobs["once-live"].job_id)).status == "running"
    assert (await service.recover()).requeued == []


# -- the external-runner protocol -------------------------------------------------------------


async def test_an_external_runner_claims_reports_and_completes() -> None:
    service, _, _ = make_service()
    service.registry.register_external("plug.work")
    job = await service.create("plug.work", {"k": "v"})
    claimed = await service.claim(job.job_id, "runner-7")
    assert claimed.status == "running"
    assert claimed.claimed_by == "runner-7"
    assert claimed.attempts == 1
    lease = claimed.lease_id or ""
    with pytest.raises(Conflict):
        await service.claim(job.job_id, "runner-8")
    stored = await service.append_log(
        job.job_id, lease, [("info", "step one", None), ("warning", "odd", {"x": 1})]
    )
    assert [e.id for e in stored] == sorted(e.id for e in stored)
    progressed = await service.report_progress(job.job_id, lease, Progress(current=1, total=4, step="one"))
    assert progressed.progress.percent == 25.0
    done = await service.complete(job.job_id, lease, {"score": 0.9})
    assert done.status == "succeeded"
    assert done.result == {"score": 0.9}
    assert done.lease_expires_at is None
    with pytest.raises(Conflict) as late:
        await service.append_log(job.job_id, lease, [("info", "late", None)])
    assert late.value.code == "conflict"  # its own lease, but the job has ended


async def test_runner_reports_are_checked() -> None:
    service, _, _ = make_service()
    service.registry.register_external("plug.work")
    job = await service.create("plug.work")
    with pytest.raises(Conflict) as unclaimed:
        await service.report_progress(job.job_id, "no-lease", Progress(current=1))
    assert unclaimed.value.code == "conflict"
    lease = (await service.claim(job.job_id, "r")).lease_id or ""
    with pytest.raises(Invalid):
        await service.append_log(job.job_id, lease, [("loud", "x", None)])
    with pytest.raises(Invalid):
        await service.append_log(job.job_id, lease, [])
    with pytest.raises(Invalid):
        await service.report_progress(job.job_id, lease, Progress(percent=120))
    with pytest.raises(Invalid):
        await service.claim(job.job_id, "  ")


async def test_in_process_jobs_cannot_be_claimed_or_driven_by_runners() -> None:
    service, _, _ = make_service()
    service.registry.register("core.echo", echo)
    job = await service.create("core.echo")
    with pytest.raises(Conflict):
        await service.claim(job.job_id, "r")
    with pytest.raises(Conflict):
        await service.complete(job.job_id, "no-lease")


async def test_a_runner_failing_after_a_cancel_request_ends_the_job_canceled() -> None:
    service, _, _ = make_service()
    service.registry.register_external("plug.work")
    job = await service.create("plug.work")
    lease = (await service.claim(job.job_id, "r")).lease_id or ""
    assert (await service.cancel(job.job_id)).status == "cancel_requested"
    assert (await service.heartbeat(job.job_id, lease)).status == "cancel_requested"
    ended = await service.fail(job.job_id, lease, JobError(code="stopped", message="asked to stop"))
    assert ended.status == "canceled"
    other = await service.create("plug.work")
    lease = (await service.claim(other.job_id, "r")).lease_id or ""
    failed = await service.fail(other.job_id, lease, JobError(code="gpu", message="out of memory"))
    assert failed.status == "failed"
    assert failed.error == JobError(code="gpu", message="out of memory")


async def test_follow_yields_changes_until_the_job_has_finished() -> None:
    service, _, _ = make_service()
    service.registry.register_external("plug.work")
    job = await service.create("plug.work")
    seen: list[str] = []

    async def drive() -> None:
        lease = (await service.claim(job.job_id, "r")).lease_id or ""
        await service.append_log(job.job_id, lease, [("info", "halfway", None)])
        await service.report_progress(job.job_id, lease, Progress(percent=50))
        await service.complete(job.job_id, lease)

    async with anyio.create_task_group() as group:
        group.start_soon(drive)
        with anyio.fail_after(5):
            async for update in service.follow(job.job_id, poll_s=0.05):
                seen += [e.message for e in update.entries]
                last = update.job
    assert last.status == "succeeded"
    assert seen == ["queued; waits for an external runner", "claimed by runner 'r'", "halfway", "succeeded"]


async def test_every_status_change_is_an_event_in_the_same_transaction() -> None:
    service, units, _ = make_service()
    service.registry.register_external("plug.work")
    job = await service.create("plug.work")
    lease = (await service.claim(job.job_id, "r")).lease_id or ""
    await service.report_progress(job.job_id, lease, Progress(percent=10))  # progress alone is no event
    await service.cancel(job.job_id)
    await service.fail(job.job_id, lease, JobError(code="stop", message="stopped"))
    events = [(e.type, e.subject_id, e.data) for e in units.state.events]
    assert events == [
        (f"job.{status}", job.job_id, {"job_type": "plug.work"})
        for status in ("queued", "running", "cancel_requested", "canceled")
    ]


# -- crash reports ----------------------------------------------------------------------------


class RecordedCrashes:
    """A ``CrashReporter`` that keeps what it is told."""

    def __init__(self) -> None:
        self.crashes: list[tuple[str, BaseException]] = []

    async def job_crashed(self, job: Job, error: BaseException) -> None:
        self.crashes.append((job.job_id, error))


async def run_one(handler: object, crashes: RecordedCrashes) -> Job:
    service, _, _ = make_service()
    service.registry.register("core.handler", handler)  # type: ignore[arg-type]
    await service.create("core.handler")
    claimed = await service.claim_next()
    assert claimed is not None
    return await JobExecutor(service, 1, crashes=crashes).run_job(claimed)


async def test_an_unexpected_handler_error_fails_the_job_and_is_reported_as_a_crash() -> None:
    async def broken(job: Job, ctx: JobReporter) -> JsonObject:
        raise KeyError("width")

    crashes = RecordedCrashes()
    ended = await run_one(broken, crashes)
    assert ended.status == "failed"
    assert ended.error == JobError(code="internal_error", message="KeyError: 'width'")
    [(job_id, error)] = crashes.crashes
    assert job_id == ended.job_id
    assert isinstance(error, KeyError)


async def test_a_domain_error_the_job_reports_is_a_failure_not_a_crash() -> None:
    async def missing(job: Job, ctx: JobReporter) -> JsonObject:
        raise NotFound("entity", "abc")

    crashes = RecordedCrashes()
    ended = await run_one(missing, crashes)
    assert ended.status == "failed"
    assert ended.error is not None
    assert ended.error.code == "not_found"
    assert crashes.crashes == []
