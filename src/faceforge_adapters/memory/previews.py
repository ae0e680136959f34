"""InMemoryPreviewRepository: the preview records fake."""

from __future__ import annotations

from collections.abc import Collection

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Asset
from faceforge_domain.previews import PreviewRecord, is_preview


def _is_original(asset: Asset) -> bool:
    return asset.deleted_at is None and not is_preview(asset)


class InMemoryPreviewRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def put(self, record: PreviewRecord) -> None:
        self._state.previews[record.asset_id] = record

    async def forget_unmade(self, asset_id: str) -> bool:
        record = self._state.previews.get(asset_id)
        if record is None or record.status == "done":
            return False
        del self._state.previews[asset_id]
        return True

    async def get(self, asset_id: str) -> PreviewRecord | None:
        return self._state.previews.get(asset_id)

    async def get_many(self, asset_ids: Collection[str]) -> dict[str, PreviewRecord]:
        return {key: self._state.previews[key] for key in asset_ids if key in self._state.previews}

    async def missing(self, after: str | None, limit: int) -> list[str]:
        ids = sorted(
            key
            for key, asset in self._state.assets.items()
            if _is_original(asset) and key not in self._state.previews and key > (after or "")
        )
        return ids[:limit]

    async def failed(self, after: str | None, limit: int) -> list[str]:
        ids = sorted(
            key
            for key, record in self._state.previews.items()
            if record.status == "failed" and _is_original(self._state.assets[key]) and key > (after or "")
        )
        return ids[:limit]

    async def count_missing(self) -> int:
        return len(await self.missing(None, len(self._state.assets)))

    async def count_failed(self) -> int:
        return len(await self.failed(None, len(self._state.previews)))

    async def pictures_in_use(self, picture_ids: Collection[str]) -> set[str]:
        named = {
            key
            for record in self._state.previews.values()
            for key in (record.small_asset_id, record.large_asset_id)
        }
        return set(picture_ids) & named
