"""``faceforge import DIR``: run a bulk import through the library and watch it with a progress bar.

Core starts in this process with its job workers, so no server is needed (a running server may pick
the job up instead; the bar follows it either way). Ctrl-C offers to cancel; declining leaves the
import queued, and it resumes the next time Core runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import typer

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.sizes import human_bytes
from faceforge_cli.common import RUNS_JOBS, fail, print_json, with_core
from faceforge_cli.jobs import SETTLES_JOBS, follow_log, job_json, print_entry
from faceforge_domain.imports.models import JOB_TYPE
from faceforge_domain.jobs.models import Job, LogEntry

BAR_WIDTH = 24


def human_seconds(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class ProgressLine:
    """One status line: bar, files, bytes, rate and ETA (redrawn on a terminal, printed now and then
    otherwise)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.tty = sys.stderr.isatty()
        self.started: float | None = None
        self.bytes_at_start = 0
        self.last_print = 0.0

    def render(self, job: Job) -> str:
        p = job.progress
        done, total = p.bytes_current or 0, p.bytes_total or 0
        filled = int(BAR_WIDTH * (p.percent or 0) / 100)
        parts = [f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {p.percent or 0:5.1f}%"]
        parts.append(f"{p.current or 0}/{p.total or 0} files")
        parts.append(f"{human_bytes(done)}/{human_bytes(total)}")
        if p.skipped:
            parts.append(f"{p.skipped} skipped")
        if p.step == "importing" and self.started is None:
            self.started, self.bytes_at_start = time.monotonic(), done
        if self.started is not None:
            elapsed = max(time.monotonic() - self.started, 1e-6)
            rate = (done - self.bytes_at_start) / elapsed
            parts.append(f"{human_bytes(rate)}/s")
            if rate > 0 and total > done and p.step == "importing":
                parts.append(f"ETA {human_seconds((total - done) / rate)}")
        parts.append(p.step or job.status)
        return "  ".join(parts)

    def update(self, job: Job, entries: list[LogEntry]) -> None:
        for entry in entries:
            if self.verbose or entry.level in ("warning", "error"):
                self.clear()
                print_entry(entry)
        line = self.render(job)
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
            sys.stderr.flush()
        elif time.monotonic() - self.last_print >= 5 or job.finished:
            self.last_print = time.monotonic()
            sys.stderr.write(line + "\n")

    def clear(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")


def import_folder(
    # Plain text, not a click path: the import's own check words every bad path (a NUL included).
    folder: str = typer.Argument(..., help="The folder to import."),
    kind: str | None = typer.Option(None, help="Asset kind for every file (sidecars may say otherwise)."),
    entity: str | None = typer.Option(None, help="Link every imported file to this entity id."),
    include: list[str] = typer.Option([], help="Only files matching this glob (repeatable)."),
    exclude: list[str] = typer.Option([], help="Skip files matching this glob (repeatable)."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive", help="Descend into subfolders."),
    follow_symlinks: bool = typer.Option(
        False, "--follow-symlinks", help="Follow symbolic links that stay inside the folder."
    ),
    include_hidden: bool = typer.Option(
        False, "--include-hidden", help="Import hidden files and folders (names starting with '.')."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Print every log line, not only problems."),
    as_json: bool = typer.Option(False, "--json", help="Print the finished job as JSON."),
) -> None:
    """Import a folder (with its sidecar metadata) and follow the job until it ends."""
    spec = {
        "path": str(Path(folder).expanduser().absolute()),
        "recursive": recursive,
        "kind": kind,
        "entity_id": entity,
        "include": include,
        "exclude": exclude,
        "follow_symlinks": follow_symlinks,
        "include_hidden": include_hidden,
    }
    created: list[str] = []
    line = ProgressLine(verbose)

    async def run(core: Core) -> Job:
        job = await core.jobs.create(JOB_TYPE, spec, created_by="cli")
        created.append(job.job_id)
        typer.echo(f"import job {job.job_id}", err=True)
        return await follow_log(core.jobs, job.job_id, 0, line.update)

    try:
        final = with_core(run, RUNS_JOBS)
    except KeyboardInterrupt:
        line.clear()
        if not created:
            raise typer.Exit(130) from None
        job_id = created[0]
        if typer.confirm(f"\nCancel import job {job_id}?", default=True, err=True):

            async def cancel(core: Core) -> Job:
                job = await core.jobs.cancel(job_id)
                while not job.finished:  # another process (a server) may still be winding it down
                    await anyio.sleep(0.2)
                    job = await core.jobs.get(job_id)
                return job

            typer.echo(f"import {with_core(cancel, SETTLES_JOBS).status}", err=True)
        else:
            typer.echo(f"left queued; it resumes the next time FaceForge runs ({job_id})", err=True)
        raise typer.Exit(130) from None
    line.clear()
    if as_json:
        print_json(job_json(final))
    else:
        result = final.result or {}
        counts = ", ".join(f"{key} {value}" for key, value in result.items() if isinstance(value, int))
        typer.echo(f"import {final.status}: {counts}" if counts else f"import {final.status}")
    if final.status != "succeeded":
        fail(final.error.message if final.error else f"the import ended {final.status}")
