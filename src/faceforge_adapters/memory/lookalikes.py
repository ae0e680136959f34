"""InMemoryLookalikeRepository: the hash fake, a plain dict searched in full (the model the SQLite
band index is checked against)."""

from __future__ import annotations

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.lookalikes import check_hash, nearest
from faceforge_domain.previews import PREVIEW_KIND


class InMemoryLookalikeRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def put(self, asset_id: str, phash: int) -> None:
        if asset_id not in self._state.assets:
            raise KeyError(asset_id)  # the database's foreign key refuses it too
        self._state.lookalikes[asset_id] = check_hash(phash)

    async def remove(self, asset_id: str) -> bool:
        return self._state.lookalikes.pop(asset_id, None) is not None

    async def get(self, asset_id: str) -> int | None:
        return self._state.lookalikes.get(asset_id)

    async def near(
        self, phash: int, max_distance: int, limit: int, exclude_asset_id: str | None = None
    ) -> list[tuple[str, int]]:
        others = ((a, h) for a, h in self._live() if a != exclude_asset_id)
        return nearest(check_hash(phash), others, max_distance)[:limit]

    async def page(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        return sorted((a, h) for a, h in self._live() if a > (after or ""))[:limit]

    async def count(self) -> int:
        return len(self._live())

    def _live(self) -> list[tuple[str, int]]:
        assets = self._state.assets
        return [
            (asset_id, phash)
            for asset_id, phash in self._state.lookalikes.items()
            if assets[asset_id].deleted_at is None and assets[asset_id].kind != PREVIEW_KIND
        ]
