"""``faceforge backup create|list|verify|restore``: protect the library in a folder, and prove it.

``create`` runs the ``core.backups.create`` job in this process (beside a running server too: the
snapshot is consistent while Core serves). ``list`` and ``verify`` read only the backup, so they work
on any machine, with or without a FaceForge home. ``restore`` makes a new home. A target is a folder
or ``s3://bucket/prefix`` (``--endpoint-url``; keys from ``backup.s3`` or the environment).
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import msgspec
import typer

from faceforge_adapters.backup.restore import restore_home
from faceforge_adapters.backup.s3targets import SCHEME
from faceforge_adapters.backup.targets import locations_from_env
from faceforge_cli.common import EXIT_USAGE, clear_errors, command_group, fail, print_json
from faceforge_cli.jobs import run_job_here
from faceforge_domain.backup.create import JOB_TYPE as BACKUP_JOB
from faceforge_domain.backup.models import SnapshotSummary
from faceforge_domain.backup.restore import RestoreResult
from faceforge_domain.backup.verify import VerifyReport, verify_backup
from faceforge_domain.jobs.models import Job, JsonObject, LogEntry

backup_app = command_group(
    "Backups: create, list, verify and restore (a folder on another disk, or an S3 bucket)."
)


def show_progress(job: Job, _entries: list[LogEntry]) -> None:
    p = job.progress
    if p.total is not None and p.step == "copying":
        typer.echo(
            f"{p.current or 0}/{p.total} files, {p.bytes_current or 0}/{p.bytes_total} bytes", err=True
        )


def absolute(target: str) -> str:
    """A folder made absolute; an ``s3://`` target as given."""
    if target.startswith(SCHEME):
        return target
    return str(Path(target).expanduser().absolute())


ENDPOINT_HELP = "The S3 endpoint of an s3:// target (default: backup.s3.endpoint_url)."


@backup_app.command("create")
def create(
    target: str = typer.Argument(..., help="The backup folder (created when missing) or s3://bucket/prefix."),
    keep: int | None = typer.Option(None, "--keep", min=1, help="Keep only the newest N snapshots."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help=ENDPOINT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Back up the database and every stored file; a second backup copies only new files."""
    given: JsonObject = {"target": absolute(target)}
    if keep is not None:
        given["keep"] = keep
    if endpoint_url is not None:
        given["endpoint_url"] = endpoint_url
    result = run_job_here(BACKUP_JOB, given, "backup", show_progress)
    if as_json:
        print_json(result)
        return
    typer.echo(
        f"snapshot {result['snapshot_id']} complete in {result['target']}: {result['files']} files "
        f"({result['bytes']} bytes), {result['copied']} copied ({result['bytes_copied']} bytes), "
        f"{result['already_there']} already there"
    )
    for pruned in result["pruned"]:
        typer.echo(f"pruned snapshot {pruned}")


@backup_app.command("list")
def list_snapshots(
    target: str = typer.Argument(..., help="The backup folder or s3://bucket/prefix."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help=ENDPOINT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The complete snapshots of a backup, newest first."""

    async def run() -> list[SnapshotSummary]:
        targets = locations_from_env(os.environ)
        async with targets.for_reading(absolute(target), endpoint_url=endpoint_url) as found:
            return [SnapshotSummary.of(m) for m in reversed(await found.snapshots())]

    with clear_errors():
        summaries = anyio.run(run)
    if as_json:
        print_json(summaries)
        return
    for s in summaries:
        typer.echo(f"{s.snapshot_id}  {s.blobs} files  {s.bytes_total} bytes")


def print_report(report: VerifyReport) -> None:
    kind = "deep (every blob re-hashed)" if report.deep else "sizes"
    typer.echo(
        f"checked {report.files_checked} files ({report.bytes_checked} bytes) of "
        f"{len(report.snapshots)} snapshot(s), {kind}: {len(report.problems) or 'no'} problem(s)"
    )
    for problem in report.problems:
        entities = f" (entities: {', '.join(problem.entity_ids)})" if problem.entity_ids else ""
        typer.secho(
            f"  {problem.problem}: {problem.detail}{entities}; needed by {', '.join(problem.snapshot_ids)}",
            fg=typer.colors.RED,
            err=True,
        )


@backup_app.command("verify")
def verify(
    target: str = typer.Argument(..., help="The backup folder or s3://bucket/prefix."),
    deep: bool = typer.Option(False, "--deep", help="Re-read and re-hash every blob."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help=ENDPOINT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check every snapshot against what is there; exit 1 when anything is missing or damaged."""

    async def run() -> VerifyReport:
        targets = locations_from_env(os.environ)
        async with targets.for_reading(absolute(target), endpoint_url=endpoint_url) as found:
            return await verify_backup(found, await found.snapshots(), deep=deep)

    with clear_errors():
        report = anyio.run(run)
    if as_json:
        print_json({**msgspec.to_builtins(report), "ok": report.ok})
    else:
        print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@backup_app.command("restore")
def restore(
    target: str = typer.Argument(..., help="The backup folder or s3://bucket/prefix."),
    snapshot: str | None = typer.Argument(None, help="The snapshot (default: the newest)."),
    home: Path = typer.Option(..., "--home", help="The new home: a missing or empty folder."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help=ENDPOINT_HELP),
    storage: str = typer.Option(
        "fs",
        "--storage",
        help="Where the restored files go: fs (the new home's assets/), or s3 (the S3 storage that "
        "FACEFORGE_STORAGE__S3__* give the new home; kept in its configuration).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Restore a snapshot into a new home (never over a library), checking every file's hash."""
    if storage not in ("fs", "s3"):
        fail(f"--storage is fs or s3, not {storage!r}", EXIT_USAGE)

    def shown(result: RestoreResult) -> None:
        done = result.files + len(result.problems)
        if done % 500 == 0:
            typer.echo(f"{done} files restored", err=True)

    with clear_errors():
        manifest, result = anyio.run(
            lambda: restore_home(
                absolute(target),
                snapshot,
                home,
                progress=shown,
                endpoint_url=endpoint_url,
                storage="s3" if storage == "s3" else "fs",
            )
        )
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"restored snapshot {manifest.snapshot_id} into {home.absolute()}: {result.files} files "
            f"({result.bytes} bytes); it has a new install token "
            f"(FACEFORGE_HOME={home.absolute()} faceforge token show)"
        )
        for problem in result.problems:
            entities = f" (entities: {', '.join(problem.entity_ids)})" if problem.entity_ids else ""
            typer.secho(
                f"  asset {problem.asset_id}{entities}: {problem.error}", fg=typer.colors.RED, err=True
            )
    if result.problems:
        raise typer.Exit(1)
