"""``faceforge preview build``: make the previews of a library's files, in this process.

Starts a ``core.previews.build`` job and follows it to the end, printing each file that got no
preview and why; a run that stops resumes where it was when started again.
"""

from __future__ import annotations

import typer

from faceforge_cli.common import command_group, print_json
from faceforge_cli.jobs import run_job_here
from faceforge_domain.jobs.models import Job, JsonObject, LogEntry
from faceforge_domain.jobs.previews_build import JOB_TYPE as BUILD_JOB

previews_app = command_group("Previews: the small and large pictures shown for each file.")


def _failures(job: Job, entries: list[LogEntry]) -> None:
    for entry in entries:
        if entry.level == "warning":
            typer.echo(entry.message, err=True)
    p = job.progress
    if p.total:
        typer.echo(f"{p.current or 0}/{p.total} files", err=True)


@previews_app.command("build")
def build(
    asset_ids: list[str] = typer.Argument(None, help="Only these assets, made again (default: all without)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Also try again the files that failed."),
    as_json: bool = typer.Option(False, "--json", help="Print the job's result as JSON."),
) -> None:
    """Make the previews of files that have none yet (resumable: a second run does only what is left)."""
    given: JsonObject = {"retry_failed": retry_failed}
    if asset_ids:
        given["asset_ids"] = asset_ids

    r = run_job_here(BUILD_JOB, given, "previews", _failures)
    if as_json:
        print_json(r)
        return
    typer.echo(
        f"{r['done']} made, {r['failed']} failed, {r['none']} without a preview (of {r['total']} files)"
    )
