"""``faceforge doctor --deep [--repair]``: run the integrity scan in this process and say what it found.

The scan is the ``core.integrity.scan`` job (re-hash every stored file at ``integrity.max_bytes_per_s``);
this module starts it with the services it needs, follows it and turns its result into lines a user
reads. It exits 1 while a stored file is missing, damaged or misplaced (orphans and leftovers are
reported, not failures: they lose nothing).
"""

from __future__ import annotations

from pathlib import Path

import typer

from faceforge_cli.jobs import run_job_here
from faceforge_domain.integrity.scan import JOB_TYPE
from faceforge_domain.jobs.models import Job, JsonObject, LogEntry


def show_progress(job: Job, _entries: list[LogEntry]) -> None:
    p = job.progress
    if p.total and p.step == "checking stored files":
        typer.echo(
            f"{p.current or 0}/{p.total} files, {p.bytes_current or 0}/{p.bytes_total} bytes", err=True
        )


def deep_scan(*, repair: bool, from_targets: list[str]) -> JsonObject:
    """Run the scan here; its result (the job's)."""
    given: JsonObject = {"repair": repair}
    if from_targets:
        given["from"] = [str(Path(t).expanduser().absolute()) for t in from_targets]
    return run_job_here(JOB_TYPE, given, "integrity scan", show_progress)


def print_scan(result: JsonObject) -> None:
    counts = ", ".join(f"{n} {problem.replace('_', ' ')}" for problem, n in result["counts"].items() if n)
    typer.echo(
        f"integrity: checked {result['files_checked']} stored files ({result['bytes_checked']} bytes): "
        f"{counts or 'nothing wrong'}"
    )
    for found in result["findings"]:
        what = f"asset {found['asset_id']}" if found["asset_id"] else "upload leftover"
        done = f" -> repaired: {found['repaired']}" if found["repaired"] else ""
        typer.echo(f"  {found['problem'].replace('_', ' ')}: {what}: {found['detail']}{done}")
    if result["findings_total"] > len(result["findings"]):
        typer.echo(f"  ... {result['findings_total'] - len(result['findings'])} more in the job's log")
