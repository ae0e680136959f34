"""The ``faceforge`` command: run Core and administer it, with or without the server running."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import typer
import uvicorn

from faceforge_adapters.bootstrap import Core, bootstrap, core_version, prepare_home
from faceforge_adapters.config import LoadedConfig, load_config
from faceforge_adapters.crash import crash_files, crash_reports_for_process, reporting_crashes
from faceforge_adapters.home import HomePaths, resolve_home
from faceforge_adapters.joblease import LockFileLiveness
from faceforge_adapters.previews.engines import engines
from faceforge_adapters.resources import frozen_folder
from faceforge_adapters.scratch import leftover_usage
from faceforge_adapters.storage.partial_uploads import partial_usage
from faceforge_adapters.tools import exiftool_info, weed_info
from faceforge_cli import (
    assets,
    backups,
    config_cmds,
    db_cmds,
    descriptors,
    duplicates,
    entities,
    exports,
    fielddefs,
    imports,
    integrity,
    jobs,
    plugins,
    previews,
    relationships,
    seaweed,
    signin,
)
from faceforge_cli.common import clear_errors, command_group, print_json
from faceforge_http.app import create_app

app = typer.Typer(
    name="faceforge",
    help="FaceForge Core: entities and their files, local-first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help for every command (the root's mode applies to all): Typer's boxed help (0.29) shows
    # each flag as if it took a value, `--json <bool>`.
    rich_markup_mode=None,
)
# One vocabulary: a singular noun, then a verb (`faceforge entity create`, `faceforge job list`).
GROUPS = {
    "config": config_cmds.config_app,
    "token": config_cmds.token_app,
    "db": db_cmds.db_app,
    "entity": entities.entity_app,
    "field": fielddefs.field_app,
    "descriptor": descriptors.descriptor_app,
    "relationship": relationships.relationship_app,
    "asset": assets.asset_app,
    "job": jobs.job_app,
    "plugin": plugins.plugin_app,
    "seaweed": seaweed.seaweed_app,
    "storage": seaweed.storage_app,
    "duplicate": duplicates.duplicates_app,
    "preview": previews.previews_app,
    "backup": backups.backup_app,
}
# The names of the release before, still working (hidden from the help) until the next one.
OLD_NAMES = {
    "assets": "asset",
    "field-def": "field",
    "jobs": "job",
    "plugins": "plugin",
    "rel": "relationship",
}


def old_name(old: str, new: str) -> typer.Typer:
    """``faceforge OLD ...`` runs ``faceforge NEW ...``, with a note on stderr."""
    alias = command_group(f"The old name of `faceforge {new}`.")

    @alias.callback()
    def note() -> None:
        typer.echo(
            f"note: `faceforge {old}` is now `faceforge {new}` (the old name goes in a later release)",
            err=True,
        )

    alias.add_typer(GROUPS[new])
    return alias


for name, group in GROUPS.items():
    app.add_typer(group, name=name)
for old, new in OLD_NAMES.items():
    app.add_typer(old_name(old, new), name=old, hidden=True)
app.command("import")(imports.import_folder)
app.command("export")(exports.export_folder)


def show_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"faceforge {core_version()}")
        raise typer.Exit


@app.callback()
def faceforge(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=show_version, help="Print the version and exit."
    ),
) -> None:
    """FaceForge Core: entities and their files, local-first."""


LOOPBACK = ("127.0.0.1", "::1", "localhost")
log = logging.getLogger("faceforge.cli")


def _loaded(overrides: dict[str, object] | None = None) -> LoadedConfig:
    with clear_errors():
        return load_config(resolve_home(), overrides=overrides)


def _stopped(signum: int, frame: object) -> None:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: exit 0, not -15."""
    raise SystemExit(0)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 43210)."),
) -> None:
    """Start Core: the HTTP API, docs and UI on one port; print a sign-in link for the UI."""
    _run_server(host, port, open_browser=False)


@app.command("open")
def open_ui(
    host: str | None = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 43210)."),
) -> None:
    """Start Core like `serve` and open the web UI in the default browser, already signed in."""
    _run_server(host, port, open_browser=True)


def _run_server(host: str | None, port: int | None, *, open_browser: bool) -> None:
    overrides = {"network.bind_host": host, "network.core_port": port}
    with clear_errors():
        loaded = prepare_home(None, None, overrides, log_to_console=True)
    network = loaded.config.network
    if network.bind_host not in LOOPBACK:
        log.warning(
            "binding %s: other machines can reach FaceForge; anyone with the token has full access",
            network.bind_host,
        )
    url_host = f"[{network.bind_host}]" if ":" in network.bind_host else network.bind_host
    typer.echo(f"FaceForge {core_version()} on http://{url_host}:{network.core_port}/")
    typer.echo(f"Home: {loaded.paths.home}")
    typer.echo(f"Install token: in {loaded.paths.core_json} (or run `faceforge token show`)")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stopped)

    @asynccontextmanager
    async def start_core() -> AsyncIterator[Core]:
        started = bootstrap(home=loaded.paths.home, overrides=overrides, log_to_console=True)
        async with reporting_crashes(started) as core:
            link, lifetime = await signin.new_link(core)
            signin.announce(link, lifetime)
            if open_browser:
                signin.open_when_listening(link, network)
            yield core

    uvicorn.run(
        create_app(start_core=start_core),
        host=network.bind_host,
        port=network.core_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )


@app.command()
def home(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the resolved home, its folders and the config file."""
    loaded = _loaded()
    p = loaded.paths
    info = {
        "home": str(p.home),
        "config_file": str(p.core_json),
        "ports_file": str(p.ports_json),
        "database": str(p.db_file),
        "assets_dir": str(p.assets_dir),
        "s3_dir": str(p.s3_dir),
        "logs_dir": str(p.logs_dir),
        "plugins_dir": str(p.plugins_dir),
        "run_dir": str(p.run_dir),
        "tmp_dir": str(p.tmp_dir),
        "tools_dir": str(p.tools_dir),
    }
    if as_json:
        print_json(info)
        return
    for key, value in info.items():
        typer.echo(f"{key:12} {value}")


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _crash_report(paths: HomePaths) -> dict[str, object]:
    """How many crash reports ``logs/crash/`` holds and the newest one (attach it to a bug report)."""
    found = crash_files(paths.logs_dir)
    return {"ok": True, "count": len(found), "newest": str(found[-1]) if found else None}


def _leftovers_report(paths: HomePaths) -> dict[str, object]:
    """Temporary files of processes no longer running (a killed Core): the server's ``tmp_sweep``
    removes them when it next starts."""
    found = leftover_usage(paths.tmp_dir, LockFileLiveness(paths.run_dir).alive)
    note = "removed when the server next starts" if found.entries else None
    return {"ok": found.entries == 0, **msgspec.to_builtins(found), "note": note}


def _preview_engines_report() -> dict[str, object]:
    """Each preview engine's version (``None`` and a note when its library does not load)."""
    found = engines()
    notes = [f"{engine.name} {engine.note}" for engine in found if engine.note]
    versions = {engine.name: engine.version for engine in found}
    return {"ok": all(engine.found for engine in found), **versions, "note": "; ".join(notes) or None}


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    deep: bool = typer.Option(
        False, "--deep", help="Also re-hash every stored file (the integrity scan); exit 1 on damage."
    ),
    repair: bool = typer.Option(
        False, "--repair", help="With --deep: restore bad files from backups, remove old orphans."
    ),
    from_targets: list[str] = typer.Option(
        [],
        "--from",
        help="With --repair: a backup (a folder or s3://bucket/prefix) to restore from "
        "(default: backup.targets).",
    ),
) -> None:
    """Check Python, the database, ExifTool, SeaweedFS, the preview engines and the ports; count partial
    uploads and what stopped processes left in tmp/ (the server removes them when it next starts).
    With --deep, re-hash every stored file and report missing, damaged and orphan files."""
    from faceforge_cli.db_cmds import database_report

    if (repair or from_targets) and not deep:
        raise typer.BadParameter("--repair and --from need --deep")

    loaded = _loaded()
    config, paths = loaded.config, loaded.paths
    host = config.network.bind_host
    checks: dict[str, object] = {
        "python": {
            "ok": sys.version_info >= (3, 11),
            "version": sys.version.split()[0],
            "executable": sys.executable,
            "frozen": frozen_folder() is not None,
        },
        "faceforge": {"ok": True, "version": core_version()},
        "home": {"ok": paths.home.exists(), "path": str(paths.home)},
        "database": database_report(paths.db_file),
        "partial_uploads": {"ok": True, **msgspec.to_builtins(partial_usage(paths.uploads_dir))},
        "tmp_leftovers": _leftovers_report(paths),
    }
    for tool in (exiftool_info(config, paths), weed_info(config, paths)):
        checks[tool.name] = {
            "ok": tool.found,
            "path": str(tool.path) if tool.path else None,
            "source": tool.source,
            "version": tool.version,
            "note": tool.note,
        }
    checks["preview_engines"] = _preview_engines_report()
    for name, port in (
        ("core_port", config.network.core_port),
        ("seaweed_s3_port", config.network.seaweed_s3_port),
    ):
        free = _port_free(host, port)
        checks[name] = {"ok": free, "port": port, "free": free}
    checks["seaweedfs"] = seaweed.seaweed_report(config, paths)
    checks["crash_reports"] = _crash_report(paths)
    scan = integrity.deep_scan(repair=repair, from_targets=from_targets) if deep else None
    if as_json:
        print_json({**checks, "integrity": scan} if scan is not None else checks)
    else:
        for name, result in checks.items():
            assert isinstance(result, dict)
            mark = "ok  " if result.get("ok") else "WARN"
            rest = ", ".join(f"{k}={v}" for k, v in result.items() if k != "ok" and v is not None)
            typer.echo(f"[{mark}] {name:16} {rest}")
        if scan is not None:
            integrity.print_scan(scan)
    if scan is not None and scan["damaged"]:
        raise typer.Exit(1)


def main() -> None:
    with crash_reports_for_process():
        app()
