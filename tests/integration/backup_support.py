"""A library worth backing up, and the means to compare two homes record by record, blob by blob."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio

from faceforge_adapters.bootstrap import build_core
from faceforge_domain.services.assets import IngestOptions

BACKUP_JOB = "core.backups.create"


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def populate(home: Path, *, files: int = 6, size: int = 3000) -> list[str]:
    """``fill_library`` from synchronous code."""
    return anyio.run(lambda: fill_library(home, files=files, size=size))


async def fill_library(home: Path, *, files: int = 6, size: int = 3000) -> list[str]:
    """Entities, assets (linked, unlinked, soft-deleted), a descriptor, a relationship and a finished
    job with its log; returns the asset ids."""
    env = {"FACEFORGE_HOME": str(home), "FACEFORGE_TOOLS__EXIFTOOL_ENABLED": "false"}
    async with build_core(home=home, env=env) as core:
        ada = await core.entities.create("Ada Lovelace", aliases=["Ada"], tags=["math"])
        babbage = await core.entities.create("Charles Babbage")
        await core.field_defs.create(
            {"field_key": "eye_color", "field_type": "string", "scope": "descriptor"}
        )
        await core.descriptors.create(ada.entity_id, {"field_key": "eye_color", "value": "brown"})
        await core.relationships.create(
            {"src_entity_id": ada.entity_id, "dst_entity_id": babbage.entity_id, "type": "colleague"}
        )
        ids = []
        for n in range(files):
            data = os.urandom(size) + n.to_bytes(4, "big")
            options = IngestOptions(filename=f"file {n}.bin", entity_id=ada.entity_id if n % 2 else None)
            ids.append((await core.assets.ingest(one_chunk(data), options)).asset.asset_id)
        await core.assets.delete(ids[-1])  # soft-deleted: its bytes are kept, and backed up
        async with core.lifecycle.running(("jobs", "metadata")):
            job = await core.jobs.create("core.storage.migrate", {"to": "fs"})
            async for _ in core.jobs.follow(job.job_id):
                pass
            await core.metadata.wait_idle()  # settled now, not while a backup runs
        return ids


def db_rows(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, without the backups' own jobs (a snapshot leaves its job out)."""
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as conn:
        backups = {
            row[0] for row in conn.execute("SELECT job_id FROM jobs WHERE job_type = ?", (BACKUP_JOB,))
        }
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if row[0] != "sqlite_sequence"  # counters: the backups' own log lines moved them on
        ]
        found = {}
        for table in tables:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608  (names from the schema)
            if table in ("jobs", "job_logs"):
                rows = [r for r in rows if r[columns.index("job_id")] not in backups]
            if table == "events":
                rows = [r for r in rows if r[columns.index("subject_id")] not in backups]
            found[table] = sorted(rows, key=repr)
    return found


def blob_hashes(home: Path) -> dict[str, str]:
    """Each stored file of the home's filesystem store: its name and the SHA-256 of its bytes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (home / "assets").rglob("*")
        if p.is_file()
    }
