"""A full disk below the HTTP layer, on a real one (a small tmpfs): partial uploads keep their last
persisted offset, SQLite says ``InsufficientStorage``, a bulk import leaves no blob without its record,
and the low-space margin refuses what would eat into it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from disk_support import files_under, fill, small_disk
from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.storage.filesystem import content_key
from faceforge_adapters.storage.partial_uploads import FilesystemPartialUploads
from faceforge_adapters.storage.space import DiskSpace
from faceforge_adapters.storage.spool import WRITE_BATCH
from faceforge_domain.errors import InsufficientStorage
from faceforge_domain.ids import new_id
from faceforge_domain.imports.models import JOB_TYPE
from faceforge_domain.uploads.model import UploadRecord

pytestmark = pytest.mark.anyio

KIB = 1024
MIB = 1024 * KIB
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_full_disk_mid_append_keeps_the_last_persisted_offset_and_nothing_past_it(
    tmp_path: Path,
) -> None:
    data = os.urandom(3 * WRITE_BATCH)
    with small_disk(tmp_path / "disk", "10m") as disk:
        store = FilesystemPartialUploads(disk / "uploads", persist_every=1)  # persist after each batch
        record = UploadRecord(
            upload_id=new_id(), length=len(data), created_at=NOW, expires_at=NOW + timedelta(days=1)
        )
        await store.create(record)
        with pytest.raises(InsufficientStorage):
            await store.append(record, pieces(data, 256 * KIB), chunk_sha256=None)
        loaded = await store.load(record.upload_id)
        assert loaded is not None
        assert loaded.offset == 2 * WRITE_BATCH
        assert (disk / "uploads" / record.upload_id / "data").stat().st_size == loaded.offset
        assert await store.sha256(loaded) == hashlib.sha256(data[: loaded.offset]).hexdigest()
        assert files_under(disk / "uploads") == [f"{record.upload_id}/data", f"{record.upload_id}/state.json"]


async def write_a_megabyte(core: Core) -> None:
    async with core.database.write() as conn:
        await conn.execute("CREATE TABLE ballast (x BLOB)")
        await conn.execute("INSERT INTO ballast VALUES (zeroblob(1048576))")


async def test_sqlite_full_is_insufficient_storage_and_the_writer_goes_on_after(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        env = {"FACEFORGE_HOME": str(disk / "home")}
        overrides = {"paths.logs_dir": str(tmp_path / "logs"), "tools.exiftool_enabled": False}
        async with bootstrap(home=disk / "home", env=env, overrides=overrides, run_jobs=False) as core:
            filler = fill(disk, leave=64 * KIB)  # a megabyte into 64 KiB of room
            with pytest.raises(InsufficientStorage, match="database is full"):
                await write_a_megabyte(core)
            filler.unlink()
            ada = await core.entities.create("Ada")  # the writer connection is not stuck in a transaction
            assert (await core.entities.get(ada.entity_id)).display_name == "Ada"
            async with core.database.read() as conn, conn.execute("PRAGMA table_list") as cursor:
                assert "ballast" not in {row["name"] for row in await cursor.fetchall()}


async def assets_and_rows(core: Core) -> tuple[set[str], set[str]]:
    blobs = {p.name for p in core.paths.assets_dir.rglob("*") if p.is_file()}
    async with core.database.read() as conn, conn.execute("SELECT asset_id FROM assets") as cursor:
        rows = {row[0] for row in await cursor.fetchall()}
    return blobs, rows


async def test_a_bulk_import_that_fills_the_disk_fails_clearly_and_leaves_no_blob_without_its_record(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(300):  # 9.4 MiB of distinct files into a 6 MiB home
        (folder / f"{index:03}.bin").write_bytes(os.urandom(32 * KIB))
    with small_disk(tmp_path / "disk", "6m") as disk:
        home = disk / "home"
        overrides = {
            "paths.logs_dir": str(tmp_path / "logs"),
            "tools.exiftool_enabled": False,
            "storage.min_free_bytes": 0,
        }
        async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, overrides=overrides) as core:
            job = await core.jobs.create(JOB_TYPE, {"path": str(folder)})
            with anyio.fail_after(60):
                while (done := await core.jobs.get(job.job_id)).status not in ("succeeded", "failed"):  # noqa: ASYNC110
                    await anyio.sleep(0.05)
            assert done.status == "failed"
            assert done.error is not None
            assert "disk" in done.error.message
            blobs, rows = await assets_and_rows(core)
            assert blobs == rows
            assert all((core.paths.assets_dir / content_key(sha)).is_file() for sha in rows)
            assert [p for p in files_under(core.paths.tmp_dir) if not p.startswith("uploads/")] == []


async def test_the_margin_kept_free_refuses_uploads_and_degrades_health(home: Path) -> None:
    overrides = {"storage.min_free_bytes": 2**62}  # more than any disk: every disk is "full"
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, overrides=overrides) as core:
        with pytest.raises(InsufficientStorage, match=r"storage\.min_free_bytes") as refused:
            await core.assets.check_room(1)
        assert refused.value.details is not None
        report = await core.disk_space()
        assert not report.ok
        assert report.reason is not None
        assert "storage.min_free_bytes" in report.reason
        assert all(volume.low for volume in report.volumes)


async def test_each_disk_is_reported_once_and_only_receiving_ones_refuse(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        space = DiskSpace(
            {
                "db": tmp_path / "db",
                "assets": disk / "assets",
                "tmp": disk / "tmp",
                "logs": tmp_path / "logs",
            },
            min_free_bytes=MIB,
        )
        small, large = sorted(space.volumes(), key=lambda volume: volume.total_bytes)
        assert (small.holds, large.holds) == (
            ["assets", "tmp"],
            ["db", "logs"],
        )  # folders not made yet count where they will be
        assert small.total_bytes == 4 * MIB
        await space.check_room(2 * MIB)
        with pytest.raises(InsufficientStorage, match="the disk holding assets, tmp"):
            await space.check_room(3 * MIB + 1)
        fill(disk, leave=MIB // 2)
        report = space.report()
        assert not report.ok
        assert report.reason is not None
        assert report.reason.startswith("the disk holding assets, tmp is full")
        assert "db" not in report.reason
        receiving_elsewhere = DiskSpace({"db": disk / "db", "tmp": tmp_path / "tmp"}, min_free_bytes=MIB)
        await receiving_elsewhere.check_room(MIB)  # the full disk holds only the database: no refusal
