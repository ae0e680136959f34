"""Integrity scans over HTTP: start one (the ``core.integrity.scan`` job); follow it in the jobs API."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from faceforge_domain.integrity.models import IntegrityScanInput
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_http.deps import JobServiceDep
from faceforge_http.envelope import Ok
from faceforge_http.jsonbody import exactly
from faceforge_http.routes.jobs import JobOut, job_created


class IntegrityScanIn(IntegrityScanInput, kw_only=True, forbid_unknown_fields=True):
    """The domain's ``IntegrityScanInput`` as the request body."""


class IntegrityScanController(Controller):
    path = "/integrity-scans"
    tags = ["integrity"]  # noqa: RUF012  (Litestar reads this class attribute)

    @post(
        operation_id="startIntegrityScan",
        summary="Re-hash every stored file and report what is wrong, as a job",
        description=(
            "Starts core.integrity.scan: every stored file is read back at `integrity.max_bytes_per_s` "
            "and checked against its SHA-256; missing, corrupt and misplaced files, files no record "
            "points at (orphans) and upload leftovers are reported by asset and entity in the job's "
            "log and result. With `repair`, bad files are restored from the newest backup that has a "
            "good copy (`from`: backup folders; default `backup.targets`), misplaced records are "
            "pointed at their checked bytes, orphans past the grace period and leftovers are removed. "
            "Send `{}` for a plain scan. Follow the job at the Location it answers with."
        ),
    )
    async def start(
        self, request: Request[Any, Any, Any], jobs: JobServiceDep, data: JSONBody[IntegrityScanIn]
    ) -> Response[Ok[JobOut]]:
        checked = await exactly(request, IntegrityScanIn)  # ``data`` documents the body; this checks it
        job = await jobs.create(JOB_TYPE, msgspec.to_builtins(checked), created_by="api")
        return job_created(job)
