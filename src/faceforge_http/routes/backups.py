"""Backups over HTTP: start one (a job) and list the complete snapshots of a backup (folder or S3)."""

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
    """A complete snapshot of a backup."""


class BackupController(Controller):
    path = "/backups"
    tags = ["backups"]  # noqa: RUF012  (Litestar reads this class attribute)

    @post(
        operation_id="createBackup",
        summary="Back up the library to a folder or an S3 bucket, as a job",
        description=(
            "Starts core.backups.create: a consistent database snapshot, every blob it references "
            "(only those the target lacks) and a manifest written last. `target` is an absolute "
            "path outside FaceForge's own folders, or `s3://bucket/prefix` (reached at `endpoint_url`, "
            "default backup.s3.endpoint_url, with the keys of backup.s3: never sent in a request); "
            "`keep` prunes the oldest snapshots beyond that many. Follow the job at the Location it "
            "answers with."
        ),
    )
    async def create(self, jobs: JobServiceDep, data: JSONBody[BackupCreateIn]) -> Response[Ok[JobOut]]:
        job = await jobs.create(JOB_TYPE, msgspec.to_builtins(data), created_by="api")
        return job_created(job)

    @get(operation_id="listBackups", summary="The complete snapshots of a backup, newest first")
    async def snapshots(
        self,
        backups: BackupServiceDep,
        target: Annotated[
            str, Parameter(description="The backup folder (absolute path) or s3://bucket/prefix")
        ],
        endpoint_url: Annotated[
            str | None, Parameter(description="The S3 endpoint of an s3:// target")
        ] = None,
    ) -> Ok[list[SnapshotOut]]:
        found = await backups.snapshots(target, endpoint_url=endpoint_url)
        return ok([SnapshotOut(**msgspec.structs.asdict(s)) for s in found])
