"""``POST /v1/assets/bulk-import``: start a bulk-import job after checking the folder."""

from __future__ import annotations

import msgspec
from litestar import Response, post
from litestar.params import JSONBody

from faceforge_domain.imports.models import JOB_TYPE, BulkImportInput
from faceforge_http.deps import JobServiceDep
from faceforge_http.envelope import Ok
from faceforge_http.routes.jobs import JobOut, job_created


class BulkImportIn(BulkImportInput, kw_only=True, forbid_unknown_fields=True):
    """The domain's ``BulkImportInput`` as the request body: its fields and limits, nothing added.

    Only the name is its own, so the OpenAPI schema keeps the component name clients know.
    """


@post(
    "/assets/bulk-import",
    tags=["assets", "jobs"],
    operation_id="bulkImport",
    summary="Import a folder (with sidecar metadata) as a job",
    description=(
        "The folder is checked first: a missing, non-folder or unreadable path is a 422, and a folder "
        "inside or holding a system folder, inside FaceForge's own folders, or outside "
        "import.allowed_roots a 403, before any job exists. System folders, FaceForge's own folders, "
        "links leading out of the folder and (unless include_hidden) hidden files are skipped at any "
        "depth. Follow the job at the Location it answers with."
    ),
)
async def bulk_import(jobs: JobServiceDep, data: JSONBody[BulkImportIn]) -> Response[Ok[JobOut]]:
    job = await jobs.create(JOB_TYPE, msgspec.to_builtins(data), created_by="api")
    return job_created(job)
