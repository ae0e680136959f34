"""Backups over HTTP: start one (a job) and list the complete snapshots of a backup folder."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import JSONBody, Parameter

from faceforge_domain.backup.create import JOB_TYPE
from faceforge_domain.backup.models import BackupCreateInput, SnapshotSummary
from faceforge_http.deps import BackupServiceDep, JobServiceDep
from faceforge_http.envelope import Ok, ok
from faceforge_http.routes.jobs import JobOut, job_created


class BackupCreateIn(BackupCreateInput, kw_only=True, forbid_unknown_fields=True):
    """The domain's ``BackupCreateInput`` as the request body."""


class SnapshotOut(SnapshotSummary, frozen=True, kw_only=True):
    """A complete snapshot of a backup folder."""


class BackupController(Controller):
    path = "/backups"
    tags = ["backups"]  # noqa: RUF012  (Litestar reads this class attribute)

    @post(
        operation_id="createBackup",
        summary="Back up the library to a folder, as a job",
        description=(
            "Starts core.backups.create: a consistent database snapshot, every blob it references "
            "(only those the folder lacks) and a manifest written last. `target` must be an absolute "
            "path outside FaceForge's own folders; `keep` prunes the oldest snapshots beyond that many. "
            "Follow the job at the Location it answers with."
        ),
    )
    async def create(self, jobs: JobServiceDep, data: JSONBody[BackupCreateIn]) -> Response[Ok[JobOut]]:
        job = await jobs.create(JOB_TYPE, msgspec.to_builtins(data), created_by="api")
        return job_created(job)

    @get(operation_id="listBackups", summary="The complete snapshots of a backup folder, newest first")
    async def snapshots(
        self,
        backups: BackupServiceDep,
        target: Annotated[str, Parameter(description="The backup folder (absolute path)")],
    ) -> Ok[list[SnapshotOut]]:
        found = await backups.snapshots(target)
        return ok([SnapshotOut(**msgspec.structs.asdict(s)) for s in found])
