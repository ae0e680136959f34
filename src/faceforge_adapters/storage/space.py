"""Free space on the disks Core writes to: the room check before an upload, and the health report.

Core keeps ``storage.min_free_bytes`` free on every disk it writes to, so a full disk never stops the
database, the logs or the system itself: an upload whose announced size would eat into that margin is
refused (507) before its first byte is written, and ``/healthz`` reports a disk under it as degraded.
Folders are grouped by the volume that holds them, so a home on one disk is checked once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection, Mapping
from pathlib import Path

import anyio
import msgspec

from faceforge_adapters.sizes import human_bytes
from faceforge_domain.errors import InsufficientStorage

# The folders new bytes land in: an upload is staged in tmp/ and published under assets/.
RECEIVING = ("assets", "tmp")


class Volume(msgspec.Struct, kw_only=True):
    """One disk: which of Core's folders it holds and how much room it has."""

    holds: list[str]
    free_bytes: int
    total_bytes: int
    low: bool  # full: no more free than the margin kept free


class SpaceReport(msgspec.Struct, kw_only=True):
    ok: bool
    reason: str | None
    volumes: list[Volume]


def _existing(path: Path) -> Path:
    """``path``, or its nearest existing parent (a folder not made yet lives where it will be made)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


class DiskSpace:
    """``StorageSpace`` over the real disks holding ``folders`` (a role name for each)."""

    def __init__(
        self,
        folders: Mapping[str, Path],
        *,
        min_free_bytes: int,
        receiving: Collection[str] = RECEIVING,
    ) -> None:
        self.folders = dict(folders)
        self.min_free_bytes = min_free_bytes
        self.receiving = frozenset(receiving)

    def volumes(self) -> list[Volume]:
        """Each disk once, with the folders it holds, in the order the folders were given."""
        grouped: dict[int, tuple[list[str], Path]] = {}
        for role, folder in self.folders.items():
            where = _existing(folder)
            grouped.setdefault(os.stat(where).st_dev, ([], where))[0].append(role)
        volumes = []
        for holds, where in grouped.values():
            usage = shutil.disk_usage(where)
            volumes.append(
                Volume(
                    holds=holds,
                    free_bytes=usage.free,
                    total_bytes=usage.total,
                    low=usage.free <= self.min_free_bytes,
                )
            )
        return volumes

    def _kept(self) -> str:
        return f"{human_bytes(self.min_free_bytes)} kept free (storage.min_free_bytes)"

    async def check_room(self, size: int) -> None:
        for volume in await anyio.to_thread.run_sync(self.volumes):
            if self.receiving.isdisjoint(volume.holds):
                continue
            if volume.free_bytes - size < self.min_free_bytes:
                raise InsufficientStorage(
                    f"not enough disk space for {human_bytes(size)}: the disk holding "
                    f"{', '.join(volume.holds)} has {human_bytes(volume.free_bytes)} free, with "
                    f"{self._kept()}; nothing was stored",
                    {
                        "needed_bytes": size,
                        "free_bytes": volume.free_bytes,
                        "min_free_bytes": self.min_free_bytes,
                        "holds": volume.holds,
                    },
                )

    def report(self) -> SpaceReport:
        """Every disk, and in plain words which are full (no more free than the margin)."""
        volumes = self.volumes()
        low = [
            f"the disk holding {', '.join(v.holds)} is full: {human_bytes(v.free_bytes)} free, "
            f"with {self._kept()}"
            for v in volumes
            if v.low
        ]
        reason = "; ".join(low) if low else None
        return SpaceReport(ok=not low, reason=reason, volumes=volumes)
