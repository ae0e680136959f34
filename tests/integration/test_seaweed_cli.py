"""``faceforge seaweed start|status|stop``, ``faceforge storage migrate`` and doctor, on a real weed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import psutil
import pytest
from typer.testing import CliRunner

from faceforge_adapters.bootstrap import bootstrap
from faceforge_adapters.config import load_config
from faceforge_adapters.seaweed.process import running_weed, settings_for
from faceforge_cli.main import app
from faceforge_domain.services.assets import IngestOptions
from seaweed_fixtures import free_seaweed_ports

runner = CliRunner()


@pytest.fixture
def seaweed_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    ports = free_seaweed_ports()
    for name, value in {
        "FACEFORGE_SEAWEED__ENABLED": "true",
        "FACEFORGE_SEAWEED__MASTER_PORT": ports.master,
        "FACEFORGE_SEAWEED__VOLUME_PORT": ports.volume,
        "FACEFORGE_SEAWEED__FILER_PORT": ports.filer,
        "FACEFORGE_NETWORK__SEAWEED_S3_PORT": ports.s3,
        "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false",
    }.items():
        monkeypatch.setenv(name, str(value))
    yield home
    if not (home / "config" / "core.json").exists():
        return
    loaded = load_config(home, create=False)
    found = running_weed(settings_for(loaded.config, loaded.paths))
    if found is not None:
        found[0].kill()


@pytest.mark.slow
def test_start_status_stop(seaweed_home: Path) -> None:
    started = runner.invoke(app, ["seaweed", "start"])
    assert started.exit_code == 0, started.output
    assert "SeaweedFS started" in started.output

    status = runner.invoke(app, ["seaweed", "status", "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert report["running"] is True
    assert report["healthy"] is True
    assert report["supervised_by"] is None
    assert report["data_dir"] == str(seaweed_home / "s3" / "seaweedfs")
    core_json = json.loads((seaweed_home / "config" / "core.json").read_text())
    assert core_json["storage"]["s3"]["access_key"]
    assert core_json["storage"]["s3"]["secret_key"]

    again = runner.invoke(app, ["seaweed", "start"])
    assert "already running" in again.output

    doctor = json.loads(runner.invoke(app, ["doctor", "--json"]).output)
    assert doctor["seaweedfs"]["healthy"] is True
    assert doctor["seaweedfs"]["ok"] is True

    stopped = runner.invoke(app, ["seaweed", "stop"])
    assert stopped.exit_code == 0, stopped.output
    assert "stopped" in stopped.output
    assert not (seaweed_home / "run" / "seaweedfs.pid").exists()
    after = json.loads(runner.invoke(app, ["seaweed", "status", "--json"]).output)
    assert after["running"] is False


def test_doctor_reports_seaweed_disabled_by_default(home: Path) -> None:
    doctor = json.loads(runner.invoke(app, ["doctor", "--json"]).output)
    assert doctor["seaweedfs"] == {"ok": True, "enabled": False, "note": "seaweed.enabled is false"}


def test_migrate_to_an_unknown_provider_is_a_usage_error(home: Path) -> None:
    result = runner.invoke(app, ["storage", "migrate", "--to", "tape"])
    assert result.exit_code == 2
    assert "--to must be s3 or fs" in result.output


def test_migrate_to_s3_without_s3_names_the_missing_provider(home: Path) -> None:
    result = runner.invoke(app, ["storage", "migrate", "--to", "s3"])
    assert result.exit_code == 2
    assert "'s3' is not available" in result.output


@pytest.mark.slow
@pytest.mark.anyio
async def test_run_in_the_foreground_is_adopted_by_core_and_stops_on_sigterm(seaweed_home: Path) -> None:
    faceforge = Path(sys.executable).parent / "faceforge"
    launcher = await anyio.open_process([str(faceforge), "seaweed", "run"], stderr=subprocess.STDOUT)
    try:
        assert launcher.stdout is not None
        with anyio.fail_after(90):
            line = (await launcher.stdout.receive()).decode()
        assert "SeaweedFS running" in line, line
        async with bootstrap(home=seaweed_home, run_jobs=False) as core:
            assert core.seaweed is not None
            assert core.seaweed.adopted
            result = await core.assets.ingest(
                chunks(b"through the launcher's weed"),
                IngestOptions(filename="a.txt", kind="note"),
            )
            assert result.asset.storage.provider == "fs"  # routing default: the filesystem
            weed_pid = core.seaweed.pid
        assert weed_pid is not None
        assert psutil.pid_exists(weed_pid)  # Core leaves an adopted weed running
        launcher.send_signal(signal.SIGTERM)
        with anyio.fail_after(60):
            assert await launcher.wait() == 0
        assert not psutil.pid_exists(weed_pid) or psutil.Process(weed_pid).status() == psutil.STATUS_ZOMBIE
        assert not (seaweed_home / "run" / "seaweedfs.pid").exists()
    finally:
        if launcher.returncode is None:
            launcher.kill()
            await launcher.wait()


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data
