"""``faceforge db``: migrate and inspect the SQLite schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import typer

from faceforge_adapters.config import load_config
from faceforge_adapters.home import resolve_home
from faceforge_adapters.sqlite.database import open_connection
from faceforge_adapters.sqlite.migrate import MigrationError, migrate, migration_status
from faceforge_adapters.sqlite.packing import pack_stored_metadata
from faceforge_cli.common import clear_errors, command_group, print_json
from faceforge_domain.clock import SystemClock

db_app = command_group("The metadata database.")


def _db_file() -> Path:
    with clear_errors():
        loaded = load_config(resolve_home())
    loaded.paths.db_dir.mkdir(parents=True, exist_ok=True)
    return loaded.paths.db_file


async def _status(path: Path) -> dict[str, Any]:
    conn = await open_connection(path, readonly=True)
    try:
        status = await migration_status(conn)
    finally:
        await conn.close()
    return {
        "database": str(path),
        "current": status.current,
        "latest": status.latest,
        "applied": [
            {"version": m.version, "name": m.name, "applied_at": m.applied_at} for m in status.applied
        ],
        "pending": [{"version": m.version, "name": m.name} for m in status.pending],
    }


def database_report(path: Path) -> dict[str, Any]:
    """For ``doctor``: reachable, and how far migrated; never creates or migrates anything."""
    if not path.exists():
        return {"ok": True, "path": str(path), "note": "not created yet (made on first start)"}
    try:
        report = anyio.run(_status, path)
    except (MigrationError, OSError, sqlite3.DatabaseError) as exc:  # e.g. a file overwritten
        return {"ok": False, "path": str(path), "error": str(exc)}
    return {
        "ok": not report["pending"],
        "path": str(path),
        "schema": f"{report['current']}/{report['latest']}",
    }


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations (Core also does this on start)."""
    path = _db_file()

    async def run() -> int:
        conn = await open_connection(path)
        try:
            return len(await migrate(conn, SystemClock()))
        finally:
            await conn.close()

    with clear_errors():
        applied = anyio.run(run)
    typer.echo(f"applied {applied} migration(s)" if applied else "database is up to date")


@db_app.command("status")
def db_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the applied and pending migrations."""
    path = _db_file()
    with clear_errors():
        report = anyio.run(_status, path)
    if as_json:
        print_json(report)
        return
    typer.echo(f"{report['database']}: schema {report['current']} of {report['latest']}")
    for m in report["applied"]:
        typer.echo(f"  applied  {m['version']:04d}_{m['name']}  {m['applied_at']}")
    for m in report["pending"]:
        typer.echo(f"  pending  {m['version']:04d}_{m['name']}")


def _footprint(path: Path) -> int:
    """The database's bytes on disk: its file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


@db_app.command("pack")
def db_pack(
    vacuum: bool = typer.Option(True, "--vacuum/--no-vacuum", help="Give the freed room back to the disk."),
) -> None:
    """Store ExifTool output written by older versions packed (5 to 7 times smaller); Core may run."""
    path = _db_file()

    async def run() -> tuple[int, int, int]:
        before = _footprint(path)
        conn = await open_connection(path)
        try:
            packed = await pack_stored_metadata(conn)
            if vacuum and packed:
                await conn.execute("VACUUM")
                await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await conn.close()
        return packed, before, _footprint(path)

    with clear_errors():
        packed, before, after = anyio.run(run)
    typer.echo(
        f"packed the metadata of {packed} asset(s); database {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB"
    )
