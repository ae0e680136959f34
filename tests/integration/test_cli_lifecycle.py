"""A one-shot command builds Core and starts nothing beside it; a command that needs a service names it.

The home is set up so that every background service would leave a trace: an asset waiting for its
metadata (a real ExifTool is configured), a job a dead process left running, a plugin not yet scanned,
a dead process's tmp folder, and SeaweedFS enabled. ExifTool and weed are reached through wrappers
that note each start and then run the real program, so a started child process cannot go unseen.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from test_cli import ok, ok_json, query

from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import fixed_paths
from faceforge_adapters.tools import find_weed
from faceforge_domain.jobs.storage_migrate import JOB_TYPE as MIGRATE_JOB
from faceforge_domain.services.assets import IngestOptions
from seaweed_fixtures import free_seaweed_ports

pytestmark = [
    pytest.mark.slow,  # console-script starts, and one real weed
    pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed"),
    pytest.mark.skipif(sys.platform.startswith("win"), reason="the start-recording wrappers are sh scripts"),
]

SAMPLE_JPEG = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples" / "Apple.jpg"
HELLO_PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
DEAD_OWNER = "core-4242-0123456789ab"  # no lock held: the process is gone


@dataclass(frozen=True)
class Prepared:
    home: Path
    env: dict[str, str]
    tools: Path
    pending_asset: str
    orphaned_job: str

    def started(self, program: str) -> bool:
        return (self.tools / f"{program}.started").exists()

    def metadata_status(self) -> str:
        ((status,),) = query(
            self.home, "SELECT metadata_status FROM assets WHERE asset_id = ?", self.pending_asset
        )
        return str(status)

    def job_status(self) -> str:
        ((status,),) = query(self.home, "SELECT status FROM jobs WHERE job_id = ?", self.orphaned_job)
        return str(status)

    def plugins_registered(self) -> int:
        ((count,),) = query(self.home, "SELECT count(*) FROM plugin_registry")
        return int(count)


def recording_wrapper(tools: Path, program: str, real: Path) -> Path:
    """An executable named ``program`` that notes its start in ``tools/`` and then runs ``real``."""
    script = tools / program
    script.write_text(f'#!/bin/sh\necho $$ >> "{tools / program}.started"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return script


async def leave_work_behind(home: Path, env: dict[str, str]) -> tuple[str, str]:
    """An asset still waiting for metadata, and a job this process claims and never finishes."""
    async with build_core(home=home, env=env) as core:
        stored = await core.assets.ingest(_chunks(SAMPLE_JPEG.read_bytes()), IngestOptions(filename="a.jpg"))
        job = await core.jobs.create(MIGRATE_JOB, {"to": "fs"}, created_by="test")
        claimed = await core.jobs.claim_next()
        assert claimed is not None
        assert claimed.job_id == job.job_id
    return stored.asset.asset_id, job.job_id  # leaving build_core released the lock: its owner is dead


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
def prepared(tmp_path: Path) -> Prepared:
    home, tools = tmp_path / "ffhome", tmp_path / "tools"
    tools.mkdir()
    real_exiftool, real_weed = shutil.which("exiftool"), find_weed(CoreConfig(), fixed_paths(tmp_path))
    assert real_exiftool is not None
    assert real_weed is not None
    ports = free_seaweed_ports()
    env = {
        "FACEFORGE_HOME": str(home),
        "FACEFORGE_TOOLS__EXIFTOOL_PATH": str(recording_wrapper(tools, "exiftool", Path(real_exiftool))),
        "FACEFORGE_SEAWEED__ENABLED": "true",
        "FACEFORGE_SEAWEED__WEED_PATH": str(recording_wrapper(tools, "weed", real_weed)),
        "FACEFORGE_SEAWEED__MASTER_PORT": str(ports.master),
        "FACEFORGE_SEAWEED__VOLUME_PORT": str(ports.volume),
        "FACEFORGE_SEAWEED__FILER_PORT": str(ports.filer),
        "FACEFORGE_NETWORK__SEAWEED_S3_PORT": str(ports.s3),
    }
    asset_id, job_id = anyio.run(leave_work_behind, home, env)
    shutil.copytree(HELLO_PLUGIN, home / "plugins" / "hello")
    (home / "tmp" / DEAD_OWNER).mkdir(parents=True)
    (home / "tmp" / DEAD_OWNER / "upload-0.part").write_bytes(b"half an upload")
    ready = Prepared(home, env, tools, asset_id, job_id)
    assert (ready.metadata_status(), ready.job_status(), ready.plugins_registered()) == (
        "pending",
        "running",
        0,
    )
    return ready


def test_one_shot_commands_start_no_background_work_and_no_child_process(prepared: Prepared) -> None:
    home, env = prepared.home, prepared.env
    created = ok_json(home, "entity", "create", "Ada", "--json", extra_env=env)
    assert "deleted" in ok(home, "entity", "delete", created["entity_id"], extra_env=env)
    assert query(home, "SELECT deleted_at IS NOT NULL FROM entities") == [(1,)]
    assert not prepared.started("exiftool")
    assert not prepared.started("weed")
    assert prepared.metadata_status() == "pending"  # not re-queued
    assert prepared.job_status() == "running"  # not recovered
    assert prepared.plugins_registered() == 0  # not scanned
    assert (home / "tmp" / DEAD_OWNER / "upload-0.part").exists()  # not swept
    assert list((home / "run" / "jobs").iterdir()) == []  # and its own lock is gone


def test_a_command_starts_the_services_it_names_and_no_other(prepared: Prepared) -> None:
    home, env = prepared.home, prepared.env
    ok(home, "job", "list", extra_env=env)  # job commands settle what dead processes left running
    assert prepared.job_status() == "queued"  # re-queued: a storage migration resumes
    assert prepared.plugins_registered() == 0
    ok(home, "plugin", "list", extra_env=env)  # plugin commands scan the plugins folder
    assert prepared.plugins_registered() == 1
    assert not prepared.started("exiftool")
    assert not prepared.started("weed")

    other = home.parent / "b.txt"
    other.write_text("another file")
    added = ok_json(home, "asset", "add", str(other), "--json", extra_env=env)  # metadata and SeaweedFS
    assert added["metadata_status"] == "done"
    assert prepared.metadata_status() == "done"  # the waiting asset went first
    assert prepared.started("exiftool")
    assert prepared.started("weed")
    assert (home / "tmp" / DEAD_OWNER).exists()  # sweeping is the server's
