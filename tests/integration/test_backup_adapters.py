"""The backup folder and the SQLite snapshot on real files and a real database; a full disk on a
real small one; a snapshot of an older schema restored and migrated."""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import msgspec
import pytest
from backup_support import db_rows, fill_library

from disk_support import files_under, small_disk
from faceforge_adapters.backup import files
from faceforge_adapters.backup.folder import BATCH_FILES, FolderBackupTarget, FolderBackupTargets
from faceforge_adapters.backup.layout import MANIFEST, MARKER
from faceforge_adapters.backup.restore import restore_home
from faceforge_adapters.backup.snapshot import SqliteSnapshots
from faceforge_adapters.bootstrap import build_core
from faceforge_adapters.sqlite.migrate import migrate, shipped_migrations
from faceforge_domain.backup.models import DatabaseCopy, Manifest
from faceforge_domain.backup.ports import Digest
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict, DigestMismatch, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.anyio
ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def manifest_for(snapshot_id: str, database: DatabaseCopy, schema_version: int = 1) -> Manifest:
    return Manifest(
        snapshot_id=snapshot_id,
        faceforge_version="1",
        schema_version=schema_version,
        created_at="2026-12-06T00:00:00.000Z",
        database=database,
        config={},
        blobs=[],
    )


async def test_a_blob_is_named_once_its_batch_is_synced_and_a_wrong_hash_leaves_nothing(
    tmp_path: Path,
) -> None:
    data = os.urandom(5000)
    sha = hashlib.sha256(data).hexdigest()
    async with FolderBackupTargets().for_writing(str(tmp_path / "b")) as target:
        await target.put_blob(sha, chunks(data))
        with pytest.raises(DigestMismatch):
            await target.put_blob("0" * 64, chunks(data))
        assert await target.blob_sizes() == {}  # written, waiting for its batch's sync
        database = await target.put_database("20261206T000000000Z", chunks(b"db"))
        await target.publish(manifest_for("20261206T000000000Z", database))

        assert (tmp_path / "b" / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == data
        assert await target.blob_sizes() == {sha: 5000}
        assert await target.blob_digest(sha) == Digest(sha, 5000)
        assert await target.blob_digest("0" * 64) is None
        assert files_under(tmp_path / "b" / "tmp") == []


async def test_what_was_written_but_never_named_is_removed_when_the_writer_stops(tmp_path: Path) -> None:
    data = os.urandom(5000)

    async def stopped_backup() -> None:
        async with FolderBackupTargets().for_writing(str(tmp_path / "b")) as target:
            await target.put_blob(hashlib.sha256(data).hexdigest(), chunks(data))
            raise RuntimeError("the backup stopped")

    with pytest.raises(RuntimeError):
        await stopped_backup()
    assert files_under(tmp_path / "b" / "tmp") == []
    assert files_under(tmp_path / "b" / "blobs") == []


async def test_a_full_batch_is_synced_and_named_without_waiting_for_the_manifest(tmp_path: Path) -> None:
    datas = [os.urandom(100) + n.to_bytes(2, "big") for n in range(BATCH_FILES)]
    async with FolderBackupTargets().for_writing(str(tmp_path / "b")) as target:
        for data in datas:
            await target.put_blob(hashlib.sha256(data).hexdigest(), chunks(data))
        assert len(await target.blob_sizes()) == BATCH_FILES


async def test_a_snapshot_is_listed_only_once_its_manifest_is_published(tmp_path: Path) -> None:
    where = str(tmp_path / "b")
    async with FolderBackupTargets().for_writing(where) as target:
        database = await target.put_database("20261206T000000000Z", chunks(b"db bytes"))
        assert database == DatabaseCopy(sha256=hashlib.sha256(b"db bytes").hexdigest(), size_bytes=8)
        assert await target.snapshots() == []
        await target.publish(manifest_for("20261206T000000000Z", database))
        await target.put_database("20261207T000000000Z", chunks(b"half"))  # never published

    async with FolderBackupTargets().for_reading(where) as reader:
        assert [m.snapshot_id for m in await reader.snapshots()] == ["20261206T000000000Z"]
        assert b"".join([c async for c in reader.read_database("20261206T000000000Z")]) == b"db bytes"
    async with FolderBackupTargets().for_writing(where) as target:
        assert await target.sweep_unfinished() == ["snapshots/20261207T000000000Z"]
        await target.remove_snapshot("20261206T000000000Z")
        assert await target.snapshots() == []
    assert files_under(tmp_path / "b" / "snapshots") == []


async def test_a_second_writer_on_the_same_folder_is_a_conflict(tmp_path: Path) -> None:
    targets = FolderBackupTargets()
    async with targets.for_writing(str(tmp_path / "b")):
        with pytest.raises(Conflict):
            async with targets.for_writing(str(tmp_path / "b")):
                pass
    async with targets.for_writing(str(tmp_path / "b")):  # free again once the first is done
        pass


async def test_bad_folders_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    targets = FolderBackupTargets([home])
    (tmp_path / "file").write_text("x")
    for where in ("relative/path", str(tmp_path / "file")):
        with pytest.raises(Invalid):
            targets.check(where)
    for where in (str(home / "backups"), str(tmp_path), "/", "/etc/backups", "/proc/x"):
        with pytest.raises(Forbidden):
            targets.check(where)
    with pytest.raises(NotFound):
        async with targets.for_reading(str(tmp_path / "nothing")):
            pass
    assert not (home / "backups").exists()


async def test_allowed_roots_fence_the_backup_folder(tmp_path: Path) -> None:
    allowed = tmp_path / "disks"
    targets = FolderBackupTargets([tmp_path / "home"], [str(allowed)])
    targets.check(str(allowed / "usb" / "backup"))
    with pytest.raises(Forbidden, match=r"backup\.allowed_roots"):
        targets.check(str(tmp_path / "elsewhere"))


async def test_a_manifest_of_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    root = tmp_path / "b"
    async with FolderBackupTargets().for_writing(str(root)):
        pass
    (root / "snapshots" / "20990101T000000000Z").mkdir()
    (root / "snapshots" / "20990101T000000000Z" / MANIFEST).write_bytes(
        msgspec.json.encode({"format_version": 99})
    )
    with pytest.raises(Invalid, match="backup format 99"):
        await FolderBackupTarget(root).snapshots()


async def test_the_snapshot_sees_committed_writes_only_and_leaves_the_backup_job_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ids = await fill_library(home, files=3)
    db_file = home / "db" / "core.sqlite3"
    with sqlite3.connect(db_file) as conn:
        job_id = conn.execute("SELECT job_id FROM jobs").fetchone()[0]
    writer = sqlite3.connect(db_file, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM entity_assets")  # in flight while the snapshot is taken
    try:
        async with SqliteSnapshots(db_file, tmp_path / "scratch").take(leave_out_job=job_id) as snapshot:
            assert sorted(b.asset_id for b in snapshot.blobs) == sorted(ids)
            assert sum(1 for b in snapshot.blobs if b.entity_ids) == 1  # file 1 is linked to Ada
            assert snapshot.schema_version == shipped_migrations()[-1].version
            copy = tmp_path / "copy.sqlite3"
            copy.write_bytes(b"".join([c async for c in snapshot.chunks()]))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    rows = db_rows(copy)
    assert rows["jobs"] == []
    assert rows["job_logs"] == []
    assert len(rows["entity_assets"]) == 1
    assert list((tmp_path / "scratch").iterdir()) == []


@pytest.mark.parametrize(
    ("files_in_library", "file_size"),
    [(12, 1024 * 1024), (1, files.DIRECT_FROM + 4 * 1024 * 1024)],
    ids=["through_the_page_cache", "past_the_page_cache"],
)
async def test_a_full_target_disk_fails_the_backup_cleanly_with_nothing_half_listed(
    tmp_path: Path, files_in_library: int, file_size: int
) -> None:
    home = tmp_path / "home"
    await fill_library(home, files=files_in_library, size=file_size)
    with small_disk(tmp_path / "disk", "6m") as disk:
        async with build_core(home=home, env=ENV) as core, core.lifecycle.running(("jobs",)):
            job = await core.jobs.create("core.backups.create", {"target": str(disk / "backup")})
            async for _ in core.jobs.follow(job.job_id, poll_s=0.05):
                pass
            ended = await core.jobs.get(job.job_id)
        assert ended.status == "failed"
        assert ended.error is not None
        assert ended.error.code == "insufficient_storage", ended.error
        assert files_under(disk / "backup" / "snapshots") == []
        assert files_under(disk / "backup" / "tmp") == []
        for blob in (disk / "backup" / "blobs").rglob("*/*/*"):
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name  # whatever is there is whole
        async with FolderBackupTargets().for_reading(str(disk / "backup")) as target:
            assert await target.snapshots() == []


async def test_a_snapshot_of_an_older_schema_is_restored_and_migrated(tmp_path: Path) -> None:
    old_db = tmp_path / "old.sqlite3"
    older = shipped_migrations()[:-1]
    async with aiosqlite.connect(old_db, isolation_level=None) as conn:
        await migrate(conn, FixedClock(), older)
    data = old_db.read_bytes()
    where = str(tmp_path / "b")
    async with FolderBackupTargets().for_writing(where) as target:
        database = await target.put_database("20261206T000000000Z", chunks(data))
        await target.publish(manifest_for("20261206T000000000Z", database, schema_version=older[-1].version))

    moved = {**ENV, "FACEFORGE_PATHS__DB_DIR": str(tmp_path / "elsewhere")}  # never moves a restored home
    manifest, result = await restore_home(where, None, tmp_path / "new", env=moved)

    assert (manifest.schema_version, result.files, result.problems) == (older[-1].version, 0, [])
    with sqlite3.connect(tmp_path / "new" / "db" / "core.sqlite3") as conn:
        assert (
            conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            == shipped_migrations()[-1].version
        )
    assert (tmp_path / "b" / MARKER).is_file()
    assert not (tmp_path / "elsewhere").exists()


async def assert_copied_whole(tmp_path: Path, data: bytes) -> None:
    """``data`` stored as a file, copied by ``copy_file``: the copy holds it and its hash is right."""
    source = tmp_path / "stored"
    source.write_bytes(data)
    writer = files.HashingWriter(tmp_path / "copy.part")
    await files.copy_file(source, writer)
    assert (tmp_path / "copy.part").read_bytes() == data
    assert (writer.hasher.hexdigest(), writer.hasher.size) == (hashlib.sha256(data).hexdigest(), len(data))


async def test_a_file_system_that_refuses_sendfile_gets_the_file_read_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not files.FILE_TO_FILE_SENDFILE:
        pytest.skip("only Linux's sendfile copies from file to file")
    data = os.urandom(files.ONE_TRIP + 12345)  # more than one trip: the refusal is remembered
    monkeypatch.setattr(files, "DIRECT_FROM", len(data) + 1)  # a file copied through the cache
    calls = []

    def refuse(*args: int | None) -> int:
        calls.append(args)
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(files.os, "sendfile", refuse)
    await assert_copied_whole(tmp_path, data)
    assert len(calls) == 1


async def test_a_file_system_that_cannot_map_files_gets_the_copy_hashed_by_reading_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not files.FILE_TO_FILE_SENDFILE:
        pytest.skip("the copy is made in the kernel, and read back, on Linux only")
    data = os.urandom(files.ONE_TRIP + files.READ_CHUNK + 12345)  # more than one trip and one buffer
    monkeypatch.setattr(files, "DIRECT_FROM", len(data) + 1)  # a file copied through the cache
    maps = []

    def cannot_map(*args: object, **kwargs: object) -> None:
        maps.append(args)
        raise OSError(errno.ENODEV, "No such device")

    monkeypatch.setattr(files.mmap, "mmap", cannot_map)
    await assert_copied_whole(tmp_path, data)
    assert len(maps) == 1


def goes_past_the_cache(fd: int) -> bool:
    import fcntl  # Linux only, like the tests that use this

    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & files.O_DIRECT)


def writes_noted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Every write the copy makes from now on: its length, and whether it went past the page cache."""
    writes: list[tuple[int, bool]] = []
    write = os.write

    def noting(fd: int, data: bytes | memoryview) -> int:
        writes.append((len(data), goes_past_the_cache(fd)))
        return write(fd, data)

    monkeypatch.setattr(files.os, "write", noting)
    return writes


def skip_without_direct_writes(folder: Path) -> None:
    if not files.O_DIRECT:
        pytest.skip("writing past the page cache is Linux's O_DIRECT")
    probe = folder / "probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT)
    try:
        if not files._set_direct(fd, True):
            pytest.skip(f"the file system of {folder} refuses O_DIRECT")
    finally:
        os.close(fd)
        probe.unlink()


async def test_a_large_file_is_written_past_the_page_cache_all_but_its_last_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_without_direct_writes(tmp_path)
    data = os.urandom(files.ONE_TRIP + files.READ_CHUNK + 12345)  # more than one trip, an uneven end
    writes = writes_noted(monkeypatch)
    await assert_copied_whole(tmp_path, data)
    assert writes[-1] == (12345, False)  # not a whole number of blocks: through the cache
    assert writes[:-1] == [(files.READ_CHUNK, True)] * ((len(data) - 12345) // files.READ_CHUNK)


async def test_a_small_file_goes_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_without_direct_writes(tmp_path)
    monkeypatch.setattr(files, "FILE_TO_FILE_SENDFILE", False)  # read and written, so its writes are seen
    writes = writes_noted(monkeypatch)
    await assert_copied_whole(tmp_path, os.urandom(files.DIRECT_FROM - files.DIRECT_ALIGN))
    assert writes
    assert not any(direct for _, direct in writes)


async def test_a_file_system_that_refuses_direct_writes_gets_them_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems take the O_DIRECT flag and then refuse the write (EINVAL): the copy goes on
    through the cache, and does not try past it again."""
    skip_without_direct_writes(tmp_path)
    write, refused = os.write, []

    def refusing(fd: int, data: bytes | memoryview) -> int:
        if goes_past_the_cache(fd):
            refused.append(len(data))
            raise OSError(errno.EINVAL, "Invalid argument")
        return write(fd, data)

    monkeypatch.setattr(files.os, "write", refusing)
    await assert_copied_whole(tmp_path, os.urandom(files.ONE_TRIP + files.READ_CHUNK))
    assert refused == [files.READ_CHUNK]


async def test_a_file_system_that_refuses_the_direct_flag_gets_the_file_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tmpfs and some network file systems refuse O_DIRECT when it is set (EINVAL)."""
    if not files.O_DIRECT:
        pytest.skip("writing past the page cache is Linux's O_DIRECT")
    import fcntl

    set_flags = fcntl.fcntl

    def refusing(fd: int, command: int, arg: int = 0) -> int:
        if command == fcntl.F_SETFL and arg & files.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return set_flags(fd, command, arg)

    monkeypatch.setattr(fcntl, "fcntl", refusing)
    monkeypatch.setattr(files, "FILE_TO_FILE_SENDFILE", False)  # read and written, so its writes are seen
    writes = writes_noted(monkeypatch)
    await assert_copied_whole(tmp_path, os.urandom(files.ONE_TRIP + 12345))
    assert writes
    assert not any(direct for _, direct in writes)
