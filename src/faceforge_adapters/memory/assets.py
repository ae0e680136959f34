"""InMemoryAssetRepository: the asset fake."""

from __future__ import annotations

import copy

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.models import Asset


class InMemoryAssetRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, asset: Asset) -> None:
        if asset.asset_id in self._state.assets:
            raise KeyError(asset.asset_id)
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def update(self, asset: Asset) -> None:
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None:
        asset = self._state.assets.get(asset_id)
        if asset is None or (asset.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(asset)

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        if (entity_id, asset_id) in self._state.links:
            return False
        self._state.links[(entity_id, asset_id)] = role
        return True
