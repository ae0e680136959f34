"""Jobs over HTTP: create, list, read, log (polling and SSE), cancel, and the external-runner protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from faceforge_domain.jobs.models import Job, JobError, LogEntry, LogLevel, Progress
from faceforge_domain.jobs.service import DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT
from faceforge_domain.paging import check_position
from faceforge_http.deps import JobServiceDep
from faceforge_http.envelope import Ok, Page, ok, page_out
from faceforge_http.params import PageDep, RecordId, position
from faceforge_http.wire import Wire, to_wire

Count = Annotated[int, msgspec.Meta(ge=0)]
STATUS_PARAM = Parameter(default=None, description="Repeatable: jobs in any of these statuses")
AFTER_ID = position("Entries after this id (the last one you saw); 0 for the start")
LOG_LIMIT = Parameter(default=DEFAULT_LOG_LIMIT, ge=1, le=MAX_LOG_LIMIT, description=f"1 to {MAX_LOG_LIMIT}")
LEASE_HEADER = "FaceForge-Lease"
Lease = Annotated[
    str,
    HeaderParameter(
        name=LEASE_HEADER, description="The lease_id the claim answered; each call renews the lease"
    ),
]
JsonObject = dict[str, Any]


class ProgressOut(msgspec.Struct, kw_only=True):
    percent: float | None
    step: str | None
    current: int | None
    total: int | None
    bytes_current: int | None
    bytes_total: int | None
    skipped: int | None


class JobErrorOut(msgspec.Struct, kw_only=True):
    code: str
    message: str


class JobOut(msgspec.Struct, kw_only=True):
    job_id: str
    job_type: str
    status: str
    progress: ProgressOut
    input: JsonObject
    input_asset_id: str | None
    result: JsonObject | None
    error: JobErrorOut | None
    claimed_by: str | None
    lease_expires_at: str | None
    attempts: int
    created_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    updated_at: str


class ClaimedJobOut(JobOut, kw_only=True):
    """A claim's answer: the job, and the lease secret only its runner learns."""

    lease_id: str


class LogEntryOut(msgspec.Struct, kw_only=True):
    id: int
    ts: str
    level: str
    message: str
    data: JsonObject | None


class LogPageOut(msgspec.Struct, kw_only=True):
    items: list[LogEntryOut]
    next_after_id: int


class JobCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    job_type: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    input: JsonObject = msgspec.field(default_factory=dict)
    input_asset_id: str | None = None


class ClaimIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    runner: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class LogEntryIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    level: LogLevel = "info"
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    data: JsonObject | None = None


class LogAppendIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entries: Annotated[list[LogEntryIn], msgspec.Meta(min_length=1, max_length=1000)]


class ProgressIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    percent: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    step: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    current: Count | None = None
    total: Count | None = None
    bytes_current: Count | None = None
    bytes_total: Count | None = None
    skipped: Count | None = None


class CompleteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    result: JsonObject = msgspec.field(default_factory=dict)


class FailIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


job_out = Wire(
    Job,
    JobOut,
    hidden={
        "owner": "the Core process that runs the job: internal bookkeeping",
        "lease_id": "the external runner's secret: only the claim answers it (ClaimedJobOut)",
    },
)
entry_out = Wire(LogEntry, LogEntryOut, hidden={"job_id": "a log is always read through its job"})


def job_created(job: Job) -> Response[Ok[JobOut]]:
    """201 with the job's address, for every route that starts a job."""
    return Response(
        ok(job_out(job)), status_code=HTTP_201_CREATED, headers={"Location": f"/v1/jobs/{job.job_id}"}
    )


def _sse(event: str, value: msgspec.Struct, event_id: int | None = None) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=msgspec.json.encode(value).decode(), event=event, id=event_id)


class JobController(Controller):
    path = "/jobs"
    tags = ["jobs"]  # noqa: RUF012  (Litestar reads this class attribute)

    @post("/", operation_id="createJob", summary="Queue a job of a registered type")
    async def create_job(self, jobs: JobServiceDep, data: JSONBody[JobCreate]) -> Response[Ok[JobOut]]:
        job = await jobs.create(
            data.job_type, data.input, input_asset_id=data.input_asset_id, created_by="api"
        )
        return job_created(job)

    @get("/", operation_id="listJobs", summary="Jobs, newest first, filtered by status and type")
    async def list_jobs(
        self,
        jobs: JobServiceDep,
        status: list[str] | None = STATUS_PARAM,
        job_type: FromQuery[str | None] = None,
        *,
        page: PageDep,
    ) -> Ok[Page[JobOut]]:
        result = await jobs.list_jobs(statuses=status or [], job_type=job_type, page=page)
        return ok(page_out(result, job_out))

    @get("/{job_id:str}", operation_id="getJob", summary="One job: status, progress, result or error")
    async def get_job(self, jobs: JobServiceDep, job_id: RecordId) -> Ok[JobOut]:
        return ok(job_out(await jobs.get(job_id)))

    @get(
        "/{job_id:str}/log",
        operation_id="getJobLog",
        summary="Log entries after an id (poll with next_after_id)",
    )
    async def get_log(
        self, jobs: JobServiceDep, job_id: RecordId, after_id: int = AFTER_ID, limit: int = LOG_LIMIT
    ) -> Ok[LogPageOut]:
        page = await jobs.log(job_id, after_id=after_id, limit=limit)
        return ok(LogPageOut(items=[entry_out(e) for e in page.items], next_after_id=page.next_after_id))

    @get(
        "/{job_id:str}/events",
        operation_id="streamJobEvents",
        media_type="text/event-stream",
        summary="Live log entries and progress as Server-Sent Events",
        description=(
            "Events: `job` (the job, whenever its status or progress changes), `log` (one entry; the "
            "SSE id is the entry id, so a reconnect with Last-Event-ID resumes after it) and `end` "
            "(the finished job; the stream then closes)."
        ),
    )
    async def stream_events(
        self,
        jobs: JobServiceDep,
        request: Request[Any, Any, Any],
        job_id: RecordId,
        after_id: int = AFTER_ID,
    ) -> ServerSentEvent:
        await jobs.get(job_id)  # an unknown job is a 404 before the stream starts
        resume = request.headers.get("last-event-id", "")
        start = check_position(int(resume), "last-event-id") if resume.isdigit() else after_id

        async def events() -> AsyncIterator[ServerSentEventMessage]:
            last: Job | None = None
            async for update in jobs.follow(job_id, after_id=start):
                for entry in update.entries:
                    yield _sse("log", entry_out(entry), entry.id)
                last = update.job
                yield _sse("job", job_out(update.job))
            if last is not None:
                yield _sse("end", job_out(last))

        return ServerSentEvent(events())

    @post(
        "/{job_id:str}/cancel",
        operation_id="cancelJob",
        summary="Cancel (idempotent): queued ends now, running stops at its next safe point",
        status_code=HTTP_200_OK,
    )
    async def cancel_job(self, jobs: JobServiceDep, job_id: RecordId) -> Ok[JobOut]:
        return ok(job_out(await jobs.cancel(job_id)))

    @post(
        "/{job_id:str}/claim",
        operation_id="claimJob",
        summary="External runner: take a queued job of an external type",
        status_code=HTTP_200_OK,
    )
    async def claim_job(
        self, jobs: JobServiceDep, job_id: RecordId, data: JSONBody[ClaimIn]
    ) -> Ok[ClaimedJobOut]:
        job = await jobs.claim(job_id, data.runner)
        assert job.lease_id is not None  # a claim always grants a lease
        return ok(to_wire(ClaimedJobOut, job))

    @post(
        "/{job_id:str}/heartbeat",
        operation_id="heartbeatJob",
        summary="External runner: renew the lease (the answer says if a cancel was requested)",
        status_code=HTTP_200_OK,
    )
    async def heartbeat_job(self, jobs: JobServiceDep, job_id: RecordId, lease: Lease) -> Ok[JobOut]:
        return ok(job_out(await jobs.heartbeat(job_id, lease)))

    @post(
        "/{job_id:str}/log",
        operation_id="appendJobLog",
        summary="External runner: append log entries (stored before the answer)",
        status_code=HTTP_200_OK,
    )
    async def append_log(
        self, jobs: JobServiceDep, job_id: RecordId, lease: Lease, data: JSONBody[LogAppendIn]
    ) -> Ok[list[LogEntryOut]]:
        entries = [(e.level, e.message, e.data) for e in data.entries]
        stored = await jobs.append_log(job_id, lease, entries)
        return ok([entry_out(e) for e in stored])

    @post(
        "/{job_id:str}/progress",
        operation_id="reportJobProgress",
        summary="External runner: report progress (the answer says if a cancel was requested)",
        status_code=HTTP_200_OK,
    )
    async def report_progress(
        self, jobs: JobServiceDep, job_id: RecordId, lease: Lease, data: JSONBody[ProgressIn]
    ) -> Ok[JobOut]:
        progress = Progress(**msgspec.structs.asdict(data))
        return ok(job_out(await jobs.report_progress(job_id, lease, progress)))

    @post(
        "/{job_id:str}/complete",
        operation_id="completeJob",
        summary="External runner: finish the job with its result",
        status_code=HTTP_200_OK,
    )
    async def complete_job(
        self, jobs: JobServiceDep, job_id: RecordId, lease: Lease, data: JSONBody[CompleteIn]
    ) -> Ok[JobOut]:
        return ok(job_out(await jobs.complete(job_id, lease, data.result)))

    @post(
        "/{job_id:str}/fail",
        operation_id="failJob",
        summary="External runner: give up with an error (after a cancel request: canceled)",
        status_code=HTTP_200_OK,
    )
    async def fail_job(
        self, jobs: JobServiceDep, job_id: RecordId, lease: Lease, data: JSONBody[FailIn]
    ) -> Ok[JobOut]:
        error = JobError(code=data.code, message=data.message)
        return ok(job_out(await jobs.fail(job_id, lease, error)))
