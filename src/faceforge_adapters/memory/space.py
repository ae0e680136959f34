"""InMemoryStorageSpace: a disk with a set number of free bytes, for domain tests."""

from __future__ import annotations

from faceforge_domain.errors import InsufficientStorage


class InMemoryStorageSpace:
    def __init__(self, free_bytes: int) -> None:
        self.free_bytes = free_bytes

    async def check_room(self, size: int) -> None:
        if size > self.free_bytes:
            raise InsufficientStorage(
                f"not enough disk space for {size} bytes ({self.free_bytes} free)",
                {"needed_bytes": size, "free_bytes": self.free_bytes},
            )
