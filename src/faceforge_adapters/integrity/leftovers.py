"""What unfinished uploads left in the home, for the integrity scan (``UploadLeftovers``).

Two kinds: resumable uploads past their expiry (the server's expiry service removes them every 15
minutes; a scan run by the CLI, or while the server is down, finds them) and what stopped processes
left in ``tmp/`` (half-written uploads, S3 staging; the server removes them when it starts). A live
process's tmp folder is never touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio

from faceforge_adapters.scratch import Alive, entry_size, leftovers
from faceforge_domain.clock import Clock
from faceforge_domain.integrity.models import Leftover
from faceforge_domain.uploads.ports import PartialUploadStore


class HomeLeftovers:
    def __init__(self, partials: PartialUploadStore, clock: Clock, tmp_dir: Path, alive: Alive) -> None:
        self._partials = partials
        self._clock = clock
        self._tmp_dir = tmp_dir
        self._alive = alive

    async def find(self) -> list[Leftover]:
        now = self._clock.now()
        found = [
            Leftover(kind="expired_upload", name=record.upload_id, size_bytes=record.offset)
            for record in await self._partials.all()
            if record.expires_at <= now
        ]
        return found + await anyio.to_thread.run_sync(self._stale_tmp)

    def _stale_tmp(self) -> list[Leftover]:
        return [
            Leftover(kind="stale_tmp", name=path.name, size_bytes=entry_size(path))
            for path in leftovers(self._tmp_dir, self._alive)
        ]

    async def remove(self, leftover: Leftover) -> None:
        if leftover.kind == "expired_upload":
            await self._partials.remove(leftover.name)
            return
        await anyio.to_thread.run_sync(self._remove_tmp, self._tmp_dir / leftover.name)

    def _remove_tmp(self, path: Path) -> None:
        if path not in leftovers(self._tmp_dir, self._alive):  # came alive, or gone: leave it
            return
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
