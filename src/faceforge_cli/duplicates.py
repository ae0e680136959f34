"""``faceforge duplicate scan``: group look-alike pictures into the review list, in this process.

Starts a ``core.duplicates.scan`` job and follows it to the end, like ``faceforge storage migrate``;
the groups are then reviewed on the web UI's Look-alikes page or over the API.
"""

from __future__ import annotations

import typer

from faceforge_cli.common import command_group, print_json
from faceforge_cli.jobs import run_job_here
from faceforge_domain.jobs.duplicates_scan import JOB_TYPE as SCAN_JOB
from faceforge_domain.jobs.models import Job, LogEntry
from faceforge_domain.lookalikes import DEFAULT_MAX_DISTANCE, MAX_DISTANCE

duplicates_app = command_group("Look-alike pictures: find groups to review.")


def _progress(job: Job, _entries: list[LogEntry]) -> None:
    p = job.progress
    if p.total is not None:
        typer.echo(f"{p.step or ''} {p.current or 0}/{p.total} pictures", err=True)


@duplicates_app.command("scan")
def scan(
    max_distance: int = typer.Option(
        DEFAULT_MAX_DISTANCE, min=0, max=MAX_DISTANCE, help="Bits of the 64-bit picture hash that may differ."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Group look-alike pictures across the library; replaces the open review list."""

    result = run_job_here(SCAN_JOB, {"max_distance": max_distance}, "scan", _progress)
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"{result['groups']} look-alike groups ({result['assets_in_groups']} pictures) "
        f"among {result['hashes']} pictures"
    )
