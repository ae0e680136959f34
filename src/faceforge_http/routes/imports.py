"""``POST /v1/assets/bulk-import``: start a bulk-import job after checking the folder;
``GET /v1/import-folders``: the folders that may be picked for one."""

from __future__ import annotations

import msgspec
from litestar import Response, get, post
from litestar.params import FromQuery, JSONBody

from faceforge_adapters.import_folders import FolderView
from faceforge_domain.imports.models import JOB_TYPE, BulkImportInput
from faceforge_http.deps import ImportFoldersDep, JobServiceDep
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


@get(
    "/import-folders",
    tags=["assets", "jobs"],
    operation_id="listImportFolders",
    summary="Folders on the server that may be imported from, one level at a time",
    description=(
        "Without path: the import roots (import.allowed_roots, or the home folder when none are set). "
        "With path: its sub-folders, leaving out hidden folders, system folders, FaceForge's own folders "
        "and links leading out of the roots; parent is null at a root. A path outside the roots (after "
        "resolving .. and links) or inside a refused folder is a 403; one that is not a folder a 422."
    ),
)
async def list_import_folders(import_folders: ImportFoldersDep, path: FromQuery[str] = "") -> Ok[FolderView]:
    return Ok(data=await import_folders.browse(path or None))
