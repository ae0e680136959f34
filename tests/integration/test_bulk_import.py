"""Bulk import on real folders with the real Core: SQLite, the filesystem store and ExifTool."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.errors import Forbidden
from faceforge_domain.imports.models import JOB_TYPE
from faceforge_domain.jobs.models import Job

pytestmark = pytest.mark.anyio
# The shared ExifTool samples (the folder tests/conftest.py names); copied into tmp, never into the repo.
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"


async def wait_for(core: Core, job_id: str, *statuses: str, limit_s: float = 60) -> Job:
    with anyio.fail_after(limit_s):
        while (job := await core.jobs.get(job_id)).status not in statuses:  # noqa: ASYNC110
            await anyio.sleep(0.02)
    return job


async def rows(core: Core, sql: str, *params: Any) -> list[Any]:
    async with core.database.read() as conn, conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def log_lines(core: Core, job_id: str) -> list[str]:
    lines: list[str] = []
    after = 0
    while True:
        page = await core.jobs.log(job_id, after_id=after, limit=1000)
        lines += [f"{e.level}: {e.message}" for e in page.items]
        if not page.items:
            return lines
        after = page.next_after_id


async def column(core: Core, sql: str, *params: Any) -> list[Any]:
    return [row[0] for row in await rows(core, sql, *params)]


def write_json(path: Path, value: object) -> None:
    path.write_bytes(msgspec.json.encode(value))


def files_under(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _dirs, names in os.walk(folder) for name in names]


async def test_the_sample_folder_imports_with_sidecar_and_exiftool_metadata(
    core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "samples"
    shutil.copytree(EXIFTOOL_SAMPLES, folder)
    samples = sorted(p for p in folder.iterdir() if p.is_file())
    unique = {hashlib.sha256(p.read_bytes()).hexdigest() for p in samples}
    ada = await core.entities.create("Ada")
    write_json(folder / "_directorymeta.json", {"source": "exiftool", "tags": ["sample"]})
    write_json(
        folder / "Apple.jpg_meta.json",
        {"tags": ["apple", "phone"], "rating": 5, "entity_ids": [ada.entity_id]},
    )
    write_json(folder / "Canon1DmkIII_meta.json", {"kind": "photo.camera"})
    (folder / "GPS.jpg_meta.json").write_text("{not json")

    job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
    done = await wait_for(core, job.job_id, "succeeded", "failed")
    assert done.status == "succeeded", done.error
    assert done.result is not None
    assert done.result["scanned"] == len(samples)
    assert done.result["imported"] == len(unique)
    assert done.result["duplicates"] == len(samples) - len(unique)
    assert (done.result["failed"], done.result["sidecars"], done.result["warnings"]) == (0, 4, 1)
    assert done.result["bytes"] == sum(p.stat().st_size for p in samples)

    apple = await core.assets.get(hashlib.sha256((folder / "Apple.jpg").read_bytes()).hexdigest())
    assert apple.user_metadata == {
        "source": "exiftool",
        "tags": ["apple", "phone"],
        "rating": 5,
        "entity_ids": [ada.entity_id],
    }
    assert apple.metadata_status == "done"
    assert any("Make" in str(entry) for entry in apple.extracted_metadata)
    links = await rows(core, "SELECT entity_id FROM entity_assets WHERE asset_id = ?", apple.asset_id)
    assert [r[0] for r in links] == [ada.entity_id]
    canon = await core.assets.get(hashlib.sha256((folder / "Canon1DmkIII.jpg").read_bytes()).hexdigest())
    assert canon.kind == "photo.camera"
    gps = await core.assets.get(hashlib.sha256((folder / "GPS.jpg").read_bytes()).hexdigest())
    assert gps.user_metadata == {"source": "exiftool", "tags": ["sample"]}
    assert await rows(core, "SELECT filename FROM assets WHERE filename LIKE '%meta.json'") == []

    lines = await log_lines(core, job.job_id)
    assert any(
        line.startswith("warning: GPS.jpg: sidecar GPS.jpg_meta.json is not valid JSON") for line in lines
    )
    assert any("Apple.jpg: metadata done" in line for line in lines)
    assert lines[-1] == "info: succeeded"


async def test_a_stored_file_is_a_copy_not_a_link(core: Core, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    original = folder / "note.txt"
    original.write_bytes(b"first version")
    job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
    assert (await wait_for(core, job.job_id, "succeeded")).status == "succeeded"
    asset = await core.assets.get(hashlib.sha256(b"first version").hexdigest())
    stored = core.paths.assets_dir / asset.storage.key
    assert stored.stat().st_ino != original.stat().st_ino
    assert stored.stat().st_nlink == 1
    original.write_bytes(b"edited later")
    assert stored.read_bytes() == b"first version"


async def test_cancel_on_a_large_folder_ends_canceled_within_two_seconds_leaving_nothing_half_written(
    core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(1500):
        (folder / f"small-{i:05d}.bin").write_bytes(i.to_bytes(4, "big") * 2048)
    for i in range(4):
        (folder / f"large-{i}.bin").write_bytes(os.urandom(1024) * 16 * 1024)
    job = await core.jobs.create(JOB_TYPE, {"path": str(folder), "include": ["*.bin"]})
    with anyio.fail_after(30):
        while not (await core.jobs.get(job.job_id)).progress.bytes_current:  # noqa: ASYNC110
            await anyio.sleep(0.02)
    asked = time.monotonic()
    await core.jobs.cancel(job.job_id)
    ended = await wait_for(core, job.job_id, "canceled", "succeeded", limit_s=10)
    latency = time.monotonic() - asked
    assert ended.status == "canceled"
    assert latency < 2, f"cancel took {latency:.2f}s"
    with anyio.fail_after(30):
        await core.metadata.wait_idle()  # ExifTool's own scratch copies go when it is done
    assert files_under(core.paths.tmp_dir) == []
    stored = await rows(core, "SELECT asset_id, storage_key, size_bytes FROM assets")
    assert len(stored) < 1504
    assert len(files_under(core.paths.assets_dir)) == len(stored)
    for asset_id, key, size in stored:
        data = (core.paths.assets_dir / key).read_bytes()
        assert len(data) == size
        assert hashlib.sha256(data).hexdigest() == asset_id


async def test_an_import_interrupted_by_a_stop_resumes_and_stores_nothing_twice(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(600):
        (folder / f"f{i:04d}.txt").write_bytes(f"file number {i}".encode() * 50)
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env) as first:
        job = await first.jobs.create(JOB_TYPE, {"path": str(folder)})
        with anyio.fail_after(30):  # stop as soon as the first file is stored
            while not (await rows(first, "SELECT count(*) FROM assets"))[0][0]:  # noqa: ASYNC110
                await anyio.sleep(0.005)
    async with bootstrap(home=home, env=env) as second:
        requeued = await second.jobs.get(job.job_id)
        assert requeued.status in ("queued", "running", "succeeded")
        done = await wait_for(second, job.job_id, "succeeded", "failed")
        assert done.status == "succeeded"
        assert done.result is not None
        assert done.result["imported"] + done.result["duplicates"] == 600
        count = await rows(second, "SELECT count(*) FROM assets")
        assert count[0][0] == 600
        lines = await log_lines(second, job.job_id)
        # Re-queued by the clean stop, or (when the stop landed between two steps) by start-up recovery.
        assert any("re-queued" in line for line in lines)


# -- what an import must never reach ---------------------------------------------------------------


async def nothing_stored(core: Core) -> None:
    """No asset row, no blob, no job, and nothing left in tmp/."""
    assert await column(core, "SELECT asset_id FROM assets") == []
    assert files_under(core.paths.assets_dir) == []
    assert files_under(core.paths.tmp_dir) == []


async def test_importing_the_filesystem_root_is_refused_and_stores_nothing(core: Core) -> None:
    with pytest.raises(Forbidden, match="contains system folders"):
        await core.jobs.create(JOB_TYPE, {"path": "/", "include": ["etc/shadow", "proc/version"]})
    assert await column(core, "SELECT job_id FROM jobs") == []
    await nothing_stored(core)


async def test_a_link_to_the_root_reaches_no_system_file_and_skips_are_not_logged_one_by_one(
    core: Core, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "root").symlink_to("/")
    (folder / "shadow").symlink_to("/etc/shadow")
    (folder / "environ").symlink_to("/proc/self/environ")
    (folder / "keep.txt").write_bytes(b"the one file to import")
    for n in range(2000):
        (folder / f"other-{n:04d}.txt").write_bytes(b"left out")
    job = await core.jobs.create(
        JOB_TYPE,
        {
            "path": str(folder),
            "follow_symlinks": True,
            "include": ["root/etc/shadow", "root/proc/version", "shadow", "environ", "keep.txt"],
        },
    )
    done = await wait_for(core, job.job_id, "succeeded", "failed")
    assert done.status == "succeeded", done.error
    assert done.result is not None
    assert (done.result["imported"], done.result["skipped"]) == (1, 2003)
    assert done.result["skipped_by_reason"] == {
        "symbolic link that leads into a system folder": 2,
        "symbolic link that leads outside the import folder": 1,
        "excluded by the include/exclude patterns": 2000,
    }
    assert done.progress.skipped == 2003
    stored = await column(core, "SELECT asset_id FROM assets")
    assert stored == [hashlib.sha256(b"the one file to import").hexdigest()]
    [log_rows] = await column(core, "SELECT count(*) FROM job_logs WHERE job_id = ?", job.job_id)
    assert log_rows < 15  # per reason, not per skipped file


async def test_faceforge_home_and_its_config_folder_are_refused(core: Core) -> None:
    for folder in (core.paths.home, core.paths.config_dir, core.paths.db_dir):
        with pytest.raises(Forbidden, match="FaceForge's own folder"):
            await core.jobs.create(JOB_TYPE, {"path": str(folder)})
    assert await column(core, "SELECT job_id FROM jobs") == []
    await nothing_stored(core)


async def test_a_parent_of_the_home_is_imported_without_anything_from_inside_the_home(
    core: Core, tmp_path: Path
) -> None:
    assert core.paths.home.parent == tmp_path
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"\xff\xd8\xff a photo")
    job = await core.jobs.create(JOB_TYPE, {"path": str(tmp_path)})
    done = await wait_for(core, job.job_id, "succeeded", "failed")
    assert done.status == "succeeded", done.error
    assert done.result is not None
    assert done.result["skipped_by_reason"] == {"FaceForge's own folder": 1}
    assert await column(core, "SELECT filename FROM assets") == ["a.jpg"]


async def test_a_configured_folder_outside_the_home_is_refused_too(home: Path, tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    (home / "config").mkdir(parents=True)
    write_json(home / "config" / "core.json", {"paths": {"assets_dir": str(blobs)}})
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        assert core.paths.assets_dir == blobs
        with pytest.raises(Forbidden, match="FaceForge's own folder"):
            await core.jobs.create(JOB_TYPE, {"path": str(blobs)})
        assert await column(core, "SELECT job_id FROM jobs") == []


async def test_hidden_files_and_folders_are_imported_only_when_asked_for(core: Core, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / ".ssh").mkdir(parents=True)
    (folder / ".ssh" / "id_ed25519").write_bytes(b"private key")
    (folder / ".env").write_bytes(b"TOKEN=secret")
    (folder / "a.txt").write_bytes(b"visible")
    job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
    done = await wait_for(core, job.job_id, "succeeded", "failed")
    assert done.result is not None
    assert done.result["skipped_by_reason"] == {"hidden (include_hidden is off)": 2}
    assert await column(core, "SELECT filename FROM assets") == ["a.txt"]
    job = await core.jobs.create(JOB_TYPE, {"path": str(folder), "include_hidden": True})
    done = await wait_for(core, job.job_id, "succeeded", "failed")
    assert done.result is not None
    assert (done.result["imported"], done.result["duplicates"], done.result["skipped"]) == (2, 1, 0)
    names = await column(core, "SELECT filename FROM assets ORDER BY filename")
    assert names == [".env", "a.txt", "id_ed25519"]


async def test_cancelling_an_import_mid_metadata_leaves_no_exiftool_staging(
    home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    jpegs = sorted(EXIFTOOL_SAMPLES.glob("*.jpg"))
    for n in range(600):  # distinct bytes: each one a new asset for ExifTool
        sample = jpegs[n % len(jpegs)]
        (folder / f"{n:04d}-{sample.name}").write_bytes(sample.read_bytes() + n.to_bytes(4, "big"))
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}) as core:
        job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
        with anyio.fail_after(60):  # cancel once ExifTool is at work on staged files (in tmp/core-*/)
            while not list(core.paths.tmp_dir.glob("core-*/exiftool/*")):  # noqa: ASYNC110
                await anyio.sleep(0.005)
        await core.jobs.cancel(job.job_id)
        assert (await wait_for(core, job.job_id, "canceled", "succeeded")).status == "canceled"
        await core.metadata.wait_idle()
        await scratch_empties(core)  # while Core still runs
    assert files_under(core.paths.tmp_dir) == []


async def scratch_empties(core: Core, limit_s: float = 30) -> None:
    """Wait for a moment with nothing in tmp/. The previews service keeps making the imported photos'
    previews after the cancel, and each one it stores has a staging file in tmp/ for a moment; a file
    the import left behind would stay there for good, and fails this."""
    deadline = time.monotonic() + limit_s
    while left := files_under(core.paths.tmp_dir):
        assert time.monotonic() < deadline, f"left in tmp/: {left}"
        await anyio.sleep(0.005)
