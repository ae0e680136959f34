"""The Library health page: the last integrity scan's findings in words, Check now, Back up now, and
the backups at the configured folder.

Like every page it only reads; Check now and Back up now are a button and a form that call the
``/v1`` API (``POST /v1/integrity-scans``, ``POST /v1/backups``) and open the job they start.
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Template

from faceforge_domain.backup.models import SnapshotSummary
from faceforge_domain.backup.service import BackupService
from faceforge_domain.errors import DomainError, NotFound
from faceforge_domain.integrity.models import PROBLEMS
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.jobs.models import Job
from faceforge_domain.jobs.service import JobService
from faceforge_domain.paging import PageRequest
from faceforge_domain.services.assets import AssetService
from faceforge_http.deps import (
    AssetServiceDep,
    BackupServiceDep,
    BackupTargetsDep,
    EntityServiceDep,
    JobServiceDep,
)
from faceforge_http.routes.jobs import job_out
from faceforge_http.ui.pages import entity_names, plain

# Each kind of finding as the page names and explains it.
GROUPS = {
    "missing": ("Missing files", "Their record is here, but the stored bytes are gone."),
    "corrupt": ("Damaged files", "The stored bytes no longer match the file that was added."),
    "wrong_provider": (
        "Files in the wrong place",
        "The record says one storage, the checked bytes are in the other.",
    ),
    "orphan": (
        "Stored files nothing points at",
        "Bytes in storage that no file record names; a repair removes them once they are old enough.",
    ),
    "leftover": ("Leftovers of unfinished uploads", "Space taken by uploads that never finished."),
}


async def file_names(assets: AssetService, asset_ids: set[str]) -> dict[str, str]:
    """The file name of every asset that still has a record (orphans have none)."""
    names = {}
    for asset_id in asset_ids:
        try:
            names[asset_id] = (await assets.get(asset_id, include_deleted=True)).filename
        except NotFound:
            continue
    return names


def grouped(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings by kind, in the order the page shows them, only the kinds found."""
    return [
        {"problem": p, "title": GROUPS[p][0], "about": GROUPS[p][1], "items": items}
        for p in PROBLEMS
        if (items := [f for f in findings if f["problem"] == p])
    ]


async def snapshots_at(backups: BackupService, target: str) -> tuple[list[SnapshotSummary], str]:
    """The complete snapshots at ``target``, or why they cannot be listed."""
    if not target:
        return [], ""
    try:
        return await backups.snapshots(target), ""
    except NotFound:
        return [], "No backup has been made in this folder yet."
    except (DomainError, OSError) as exc:
        return [], str(exc)


async def last_scan(jobs: JobService) -> Job | None:
    found = await jobs.list_jobs(job_type=JOB_TYPE, page=PageRequest(limit=1))
    return found.items[0] if found.items else None


@get("/admin/health", include_in_schema=False)
async def health_page(
    jobs: JobServiceDep,
    assets: AssetServiceDep,
    entities: EntityServiceDep,
    backups: BackupServiceDep,
    backup_targets: BackupTargetsDep,
) -> Template:
    scan = await last_scan(jobs)
    findings: list[dict[str, Any]] = list((scan.result or {}).get("findings", [])) if scan else []
    target = backup_targets[0] if backup_targets else ""
    snapshots, backup_problem = await snapshots_at(backups, target)
    return Template(
        "health.html",
        context={
            "scan": plain(job_out(scan)) if scan else None,
            "groups": grouped(findings),
            "files": await file_names(assets, {f["asset_id"] for f in findings if f["asset_id"]}),
            "names": await entity_names(entities, {e for f in findings for e in f["entity_ids"]}),
            "target": target,
            "snapshots": [plain(s) for s in snapshots],
            "backup_problem": backup_problem,
        },
    )
