"""``asset add`` for big files: appended through the resumable-upload service, resumed when re-run.

The upload is found again by a fingerprint of the file (absolute path, size, modification time) kept
in its metadata, so a re-run after Ctrl+C or a kill carries on from the last persisted offset.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio

from faceforge_adapters.bootstrap import Core
from faceforge_domain.errors import Conflict
from faceforge_domain.uploads.model import FINGERPRINT_KEY, UploadRecord

# One append per chunk: an interruption costs at most the chunk in flight.
CHUNK = 16 * 1024 * 1024


def fingerprint(path: Path, stat: os.stat_result) -> str:
    return f"{path.absolute()}|{stat.st_size}|{stat.st_mtime_ns}"


async def _one(chunk: bytes) -> AsyncIterator[bytes]:
    yield chunk


async def add_resumable(
    core: Core, path: Path, metadata: dict[str, str], say: Callable[[str], None]
) -> UploadRecord:
    """Upload ``path`` in chunks, resuming an earlier interrupted run of the same file."""
    stat = await anyio.Path(path).stat()
    key = fingerprint(path, stat)
    record = await core.uploads.find_resumable(key)
    if record is None:
        record = await core.uploads.create(stat.st_size, {**metadata, FINGERPRINT_KEY: key})
    else:
        say(f"resumed {path.name} at byte {record.offset} of {record.length}")
    async with await anyio.open_file(path, "rb") as handle:
        await handle.seek(record.offset)
        while not record.complete:
            chunk = await handle.read(CHUNK)
            if not chunk and record.offset < record.length:
                raise Conflict(f"{path} became shorter while it was uploaded; run the command again")
            record = await core.uploads.append(record.upload_id, record.offset, _one(chunk))
    return record
