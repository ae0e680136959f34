"""A backup taken while uploads and a bulk import are running is a consistent restore point: every
record it holds has its bytes, nothing stored before it began is missing, and nothing half-made is in it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import anyio
import pytest
from backup_support import BACKUP_JOB, blob_hashes, one_chunk
from test_cli import ff, ok_json

from faceforge_adapters.bootstrap import bootstrap
from faceforge_domain.imports.models import JOB_TYPE as IMPORT_JOB
from faceforge_domain.services.assets import IngestOptions

pytestmark = pytest.mark.anyio
ENV = {"FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}


def table(db: Path, sql: str) -> set[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {tuple(row) for row in conn.execute(sql)}


async def test_a_backup_during_uploads_and_an_import_restores_a_consistent_library(tmp_path: Path) -> None:
    home, target, restored = tmp_path / "home", tmp_path / "disk" / "backup", tmp_path / "restored"
    folder = tmp_path / "to-import"
    folder.mkdir()
    for n in range(400):
        (folder / f"scan {n:03d}.bin").write_bytes(os.urandom(2000) + n.to_bytes(4, "big"))
    env = {"FACEFORGE_HOME": str(home), **ENV}

    async with bootstrap(home=home, env=env) as core:
        ada = await core.entities.create("Ada Lovelace")
        before = []
        for n in range(5):
            stored = await core.assets.ingest(
                one_chunk(os.urandom(3000)), IngestOptions(filename=f"old {n}.bin")
            )
            before.append(stored.asset)

        async def keep_uploading() -> None:
            for n in range(60):
                options = IngestOptions(filename=f"new {n}.bin", entity_id=ada.entity_id)
                data = os.urandom(20_000 + n)
                await core.assets.ingest(one_chunk(data), options)
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as group:
            group.start_soon(keep_uploading)
            importing = await core.jobs.create(IMPORT_JOB, {"path": str(folder), "entity_id": ada.entity_id})
            with anyio.fail_after(60):
                while ((await core.jobs.get(importing.job_id)).progress.current or 0) < 20:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
            backup = await core.jobs.create(BACKUP_JOB, {"target": str(target)})
            with anyio.fail_after(120):
                async for update in core.jobs.follow(backup.job_id):
                    finished = update.job
            assert finished.status == "succeeded", finished.error
            assert (await core.jobs.get(importing.job_id)).status in ("queued", "running")  # it overlapped
        with anyio.fail_after(120):
            async for update in core.jobs.follow(importing.job_id):
                imported = update.job
        assert imported.status == "succeeded", imported.error

    assert ok_json(home, "backup", "verify", str(target), "--deep", "--json")["ok"] is True
    done = ff(home, "backup", "restore", str(target), "--home", str(restored), extra_env=ENV)
    assert done.returncode == 0, done.stderr

    now_db, restored_db = home / "db" / "core.sqlite3", restored / "db" / "core.sqlite3"
    kept = {row[0] for row in table(restored_db, "SELECT asset_id FROM assets")}
    assert {a.asset_id for a in before} <= kept  # stored before the backup began
    assert kept <= {row[0] for row in table(now_db, "SELECT asset_id FROM assets")}
    assert 5 < len(kept) < 5 + 60 + 400  # it caught the library part way, as it was running
    assert blob_hashes(restored) == {a: a for a in kept}
    links = "SELECT entity_id, asset_id FROM entity_assets"
    assert table(restored_db, links) <= table(now_db, links)
    assert {row[1] for row in table(restored_db, links)} <= kept  # no link without its file
    assert ok_json(restored, "backup", "list", str(target), "--json")  # the restored home reads it too
