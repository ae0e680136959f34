"""What unfinished uploads left in a real home, as the integrity scan finds and removes it: resumable
uploads past their expiry (not those still running) and what stopped processes left in ``tmp/`` (never
a live process's folder)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faceforge_adapters.integrity.leftovers import HomeLeftovers
from faceforge_adapters.storage.partial_uploads import FilesystemPartialUploads
from faceforge_domain.clock import FixedClock
from faceforge_domain.ids import new_id
from faceforge_domain.integrity.models import Leftover
from faceforge_domain.uploads.model import UploadRecord

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def record(expires_in: timedelta) -> UploadRecord:
    return UploadRecord(upload_id=new_id(), length=100, created_at=NOW, expires_at=NOW + expires_in)


async def test_expired_uploads_and_dead_processes_tmp_are_found_and_removed(tmp_path: Path) -> None:
    partials = FilesystemPartialUploads(tmp_path / "uploads")
    expired, running = record(timedelta(hours=-1)), record(timedelta(hours=5))
    for r in (expired, running):
        await partials.create(r)
    tmp = tmp_path / "tmp"
    (tmp / "core-1-dead").mkdir(parents=True)
    (tmp / "core-1-dead" / "upload-x.part").write_bytes(b"12345")
    (tmp / "core-2-alive").mkdir()
    leftovers = HomeLeftovers(partials, FixedClock(NOW), tmp, alive=lambda owner: owner == "core-2-alive")

    found = await leftovers.find()

    assert found == [
        Leftover(kind="expired_upload", name=expired.upload_id, size_bytes=0),
        Leftover(kind="stale_tmp", name="core-1-dead", size_bytes=5),
    ]
    for leftover in found:
        await leftovers.remove(leftover)
    assert await leftovers.find() == []
    assert [r.upload_id for r in await partials.all()] == [running.upload_id]
    assert sorted(p.name for p in tmp.iterdir()) == ["core-2-alive"]


async def test_a_tmp_folder_whose_process_came_alive_is_left_alone(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    (tmp / "core-3").mkdir(parents=True)
    owners_alive: set[str] = set()
    leftovers = HomeLeftovers(
        FilesystemPartialUploads(tmp_path / "uploads"), FixedClock(NOW), tmp, alive=owners_alive.__contains__
    )
    [found] = await leftovers.find()
    owners_alive.add("core-3")
    await leftovers.remove(found)
    assert (tmp / "core-3").is_dir()
