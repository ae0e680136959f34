"""``faceforge seaweed start|stop|status|run`` and ``faceforge storage migrate``.

``start`` leaves a detached weed running (Core adopts it); ``run`` keeps it in the foreground and
restarts it when it dies, for the desktop launcher; ``stop`` stops the home's weed, whoever started it.
"""

from __future__ import annotations

import signal
from typing import Any

import anyio
import typer

from faceforge_adapters.bootstrap import prepare_home
from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths
from faceforge_adapters.seaweed.process import (
    SeaweedError,
    SeaweedSettings,
    remove_pid_file,
    running_weed,
    settings_for,
    terminate,
)
from faceforge_adapters.seaweed.supervisor import ManagedSeaweed
from faceforge_adapters.storage.s3 import S3BlobStore
from faceforge_cli.common import clear_errors, command_group, fail, print_json
from faceforge_cli.jobs import run_job_here
from faceforge_domain.jobs.models import Job, JsonObject, LogEntry
from faceforge_domain.jobs.storage_migrate import JOB_TYPE as MIGRATE_JOB

seaweed_app = command_group("The managed SeaweedFS (the local S3).")
storage_app = command_group("Where asset bytes live.")


def _settings() -> SeaweedSettings:
    with clear_errors():
        loaded = prepare_home(None, None, None)
    try:
        return settings_for(loaded.config, loaded.paths)
    except SeaweedError as exc:
        fail(str(exc))


async def _healthy(settings: SeaweedSettings) -> bool:
    probe = S3BlobStore(settings.s3_settings(), settings.run_dir)
    try:
        return await probe.healthy()
    finally:
        await probe.aclose()


def _status(settings: SeaweedSettings) -> dict[str, Any]:
    found = running_weed(settings)
    running = found is not None
    return {
        "running": running,
        "pid": found[0].pid if found else None,
        "supervised_by": found[1].owner_pid if found else None,
        "healthy": anyio.run(_healthy, settings) if running else False,
        "endpoint": settings.endpoint_url,
        "data_dir": str(settings.data_dir),
        "log_file": str(settings.log_file),
        "binary": str(settings.weed),
        "ports": {
            "master": settings.ports.master,
            "volume": settings.ports.volume,
            "filer": settings.ports.filer,
            "s3": settings.ports.s3,
        },
    }


def seaweed_report(config: CoreConfig, paths: HomePaths) -> dict[str, Any]:
    """The doctor's SeaweedFS section: enabled, running, healthy (an authenticated ListBuckets)."""
    if not config.seaweed.enabled:
        return {"ok": True, "enabled": False, "note": "seaweed.enabled is false"}
    if not (config.storage.s3.access_key and config.storage.s3.secret_key):
        return {"ok": True, "enabled": True, "running": False, "note": "never started yet"}
    try:
        settings = settings_for(config, paths)
    except SeaweedError as exc:
        return {"ok": False, "enabled": True, "note": str(exc)}
    report = _status(settings)
    note = None if report["running"] else "not running (Core starts it when seaweed.enabled)"
    ok = report["healthy"] if report["running"] else True
    return {"ok": ok, "enabled": True, **report, "note": note}


@seaweed_app.command("start")
def start() -> None:
    """Start SeaweedFS in the background for this home (Core adopts it)."""
    settings = _settings()
    found = running_weed(settings)
    if found is not None:
        typer.echo(f"SeaweedFS is already running (pid {found[0].pid}) on {settings.endpoint_url}")
        return
    managed = ManagedSeaweed(settings, detached=True)

    async def run() -> int | None:
        try:
            await managed.start()
            return managed.pid
        finally:
            await managed.release()

    try:
        pid = anyio.run(run)
    except SeaweedError as exc:
        fail(str(exc))
    typer.echo(f"SeaweedFS started (pid {pid}): S3 on {settings.endpoint_url}")


@seaweed_app.command("stop")
def stop() -> None:
    """Stop this home's SeaweedFS, whoever started it."""
    settings = _settings()
    found = running_weed(settings)
    if found is None:
        typer.echo("SeaweedFS is not running")
        return
    proc, _record = found
    terminate(proc)
    remove_pid_file(settings, proc.pid)
    typer.echo(f"SeaweedFS stopped (pid {proc.pid})")


@seaweed_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Whether this home's SeaweedFS runs and answers authenticated S3 requests."""
    report = _status(_settings())
    if as_json:
        print_json(report)
    else:
        for key, value in report.items():
            typer.echo(f"{key:14} {value}")
    if report["running"] and not report["healthy"]:
        raise typer.Exit(1)


@seaweed_app.command("run")
def run() -> None:
    """Run SeaweedFS in the foreground, restarting it when it dies, until Ctrl-C or SIGTERM."""
    settings = _settings()
    managed = ManagedSeaweed(settings)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            await tg.start(managed.run)
            typer.echo(f"SeaweedFS running (pid {managed.pid}): S3 on {settings.endpoint_url}")
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _signum in signals:
                    typer.echo("stopping SeaweedFS...")
                    tg.cancel_scope.cancel()
                    break

    anyio.run(main)


class _MigrationWatch:
    """Prints the job's progress and keeps the per-asset failures its log reports."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def update(self, job: Job, entries: list[LogEntry]) -> None:
        self.errors += [
            (str(e.data["asset_id"]), str(e.data.get("error")))
            for e in entries
            if e.level == "error" and e.data and "asset_id" in e.data
        ]
        p = job.progress
        if p.total is not None:
            typer.echo(
                f"{p.current or 0}/{p.total} assets, {p.bytes_current or 0}/{p.bytes_total} bytes", err=True
            )


@storage_app.command("migrate")
def migrate(
    to: str = typer.Option(..., "--to", help="Target provider: s3 or fs."),
    verify: bool = typer.Option(True, help="Read each copy back and check its SHA-256."),
    source: str | None = typer.Option(
        None,
        "--from",
        help="managed-weed: copy the S3 assets from the managed weed to storage.s3.endpoint_url "
        "(the weed keeps its copies).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Move every asset's bytes to one provider: copy, verify, flip the record, delete the old copy."""
    if to not in ("s3", "fs"):
        fail("--to must be s3 or fs", 2)
    if source not in (None, "managed-weed"):
        fail("--from must be managed-weed", 2)

    watch = _MigrationWatch()
    given: JsonObject = {"to": to, "verify": verify}
    if source is not None:
        given["from"] = "managed_weed"
    result = run_job_here(MIGRATE_JOB, given, "migration", watch.update)
    errors = watch.errors
    summary = {
        "to": to,
        "total": result["total"],
        "moved": result["moved"],
        "bytes_moved": result["bytes_moved"],
        "skipped": result["skipped"],
        "failed": result["failed"],
        "errors": [{"asset_id": a, "error": e} for a, e in errors],
    }
    if as_json:
        print_json(summary)
    else:
        typer.echo(
            f"moved {result['moved']} of {result['total']} assets to {to} "
            f"({result['bytes_moved']} bytes); {result['failed']} failed"
        )
        for asset_id, error in errors:
            typer.echo(f"  {asset_id}: {error}", err=True)
    if result["failed"]:
        raise typer.Exit(1)
