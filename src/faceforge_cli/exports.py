"""``faceforge export TARGET``: the library as plain files for leaving or integrating.

Runs the ``core.export`` job in this process (beside a running server too: it reads one consistent
snapshot of the records). Running it again into the same folder brings that export up to date and
writes only what changed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from faceforge_adapters.sizes import human_bytes
from faceforge_cli.common import print_json
from faceforge_cli.jobs import run_job_here
from faceforge_domain.export.models import JOB_TYPE
from faceforge_domain.jobs.models import Job, LogEntry


def show_progress(job: Job, entries: list[LogEntry]) -> None:
    for entry in entries:
        if entry.level in ("warning", "error"):
            typer.echo(f"{entry.level}: {entry.message}", err=True)
    p = job.progress
    if p.step == "writing files" and p.total is not None:
        done, total = human_bytes(p.bytes_current or 0), human_bytes(p.bytes_total or 0)
        typer.echo(f"{p.current or 0}/{p.total} files, {done}/{total}", err=True)


def export_folder(
    target: str = typer.Argument(..., help="The export folder: new, empty, or an earlier export."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Export entities, descriptors, relationships and files to a folder `faceforge import` reads back."""
    given = {"target": str(Path(target).expanduser().absolute())}
    result = run_job_here(JOB_TYPE, given, "export", show_progress)
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"export complete in {result['target']}: {result['entities']} entities, "
        f"{result['descriptors']} descriptors, {result['relationships']} relationships, "
        f"{result['assets']} files ({human_bytes(result['bytes'])}); {result['written']} written, "
        f"{result['already_there']} already there"
    )
