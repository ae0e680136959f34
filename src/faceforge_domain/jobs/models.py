"""Job records: what was asked, how far it got, what it said along the way, and how it ended."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, get_args

import msgspec

JsonObject = dict[str, Any]

JobStatus = Literal["queued", "running", "cancel_requested", "succeeded", "failed", "canceled"]
LogLevel = Literal["debug", "info", "warning", "error"]

JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})
ACTIVE_STATUSES = frozenset({"running", "cancel_requested"})

# Namespaced type names: ``core.assets.bulk_import``, ``<plugin_id>.<name>``.
JOB_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")

INTERRUPTED = "interrupted"
RUNNER_LOST = "runner_lost"
CANCELED = "canceled"


class Progress(msgspec.Struct, kw_only=True):
    """How far a job got: ``current``/``total`` count items (files), the ``bytes_*`` pair bytes, and
    ``skipped`` the items left out on purpose (counted, not logged one by one).

    ``percent`` is what a progress bar shows; ``step`` names the phase in a few words.
    """

    percent: float | None = None
    step: str | None = None
    current: int | None = None
    total: int | None = None
    bytes_current: int | None = None
    bytes_total: int | None = None
    skipped: int | None = None


class JobError(msgspec.Struct, frozen=True, kw_only=True):
    """Why a job failed: a stable ``code`` for programs and a sentence for people."""

    code: str
    message: str


class Job(msgspec.Struct, kw_only=True):
    """A unit of background work, durable across restarts.

    ``owner`` is the Core process that runs the job (or brokered its claim for an external runner);
    ``claimed_by`` names the external runner that claimed it. A claim is a lease: ``lease_id`` is the
    secret the runner quotes on every call, ``lease_expires_at`` when Core presumes it dead unless it
    calls again, and ``attempts`` counts the claims so far.
    """

    job_id: str
    job_type: str
    status: JobStatus
    progress: Progress = msgspec.field(default_factory=Progress)
    input: JsonObject = msgspec.field(default_factory=dict)
    input_asset_id: str | None = None
    result: JsonObject | None = None
    error: JobError | None = None
    claimed_by: str | None = None
    owner: str | None = None
    lease_id: str | None = None
    lease_expires_at: datetime | None = None
    attempts: int = 0
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


class NewLogEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A log line before the store numbered it."""

    ts: datetime
    level: LogLevel
    message: str
    data: JsonObject | None = None


class LogEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One append-only log line; ``id`` grows with every entry, so ``after_id`` polling never skips."""

    id: int
    job_id: str
    ts: datetime
    level: LogLevel
    message: str
    data: JsonObject | None = None


class LogPage(msgspec.Struct, kw_only=True):
    """Entries after some id, and the id to ask after next time (unchanged when none were new)."""

    items: list[LogEntry]
    next_after_id: int
