"""InMemoryAssetRepository: the asset fake, following the same contract as the SQLite repository."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.asset_query import AssetPosition, AssetQuery, sort_key, sort_value
from faceforge_domain.facts import AssetFacts
from faceforge_domain.metadata import MetadataOutcome, MetadataState, replace_entry
from faceforge_domain.models import Asset, LinkedEntity
from faceforge_domain.previews import is_preview
from faceforge_domain.queries import KeysetPosition
from faceforge_domain.timefmt import format_timestamp


class InMemoryAssetRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def add(self, asset: Asset) -> None:
        if asset.asset_id in self._state.assets:
            raise KeyError(asset.asset_id)
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def add_many(self, assets: Sequence[Asset]) -> None:
        for asset in assets:
            await self.add(asset)

    async def update(self, asset: Asset) -> None:
        self._state.assets[asset.asset_id] = copy.deepcopy(asset)

    async def update_many(self, assets: Sequence[Asset]) -> None:
        for asset in assets:
            await self.update(asset)

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None:
        asset = self._state.assets.get(asset_id)
        if asset is None or (asset.deleted_at is not None and not include_deleted):
            return None
        return copy.deepcopy(asset)

    async def get_many(
        self, asset_ids: Collection[str], *, include_deleted: bool = False
    ) -> dict[str, Asset]:
        found = {i: await self.get(i, include_deleted=include_deleted) for i in asset_ids}
        return {asset_id: asset for asset_id, asset in found.items() if asset is not None}

    async def metadata_states(self, asset_ids: Collection[str]) -> dict[str, MetadataState]:
        live = (self._state.assets.get(asset_id) for asset_id in asset_ids)
        return {
            a.asset_id: MetadataState(a.metadata_status, a.metadata_reason)
            for a in live
            if a is not None and a.deleted_at is None
        }

    async def record_metadata(
        self, outcomes: Mapping[str, MetadataOutcome], updated_at: datetime
    ) -> list[str]:
        recorded = [asset_id for asset_id in outcomes if asset_id in self._state.assets]
        for asset_id in recorded:
            asset, outcome = self._state.assets[asset_id], outcomes[asset_id]
            if outcome.entry is not None:
                entry = copy.deepcopy(outcome.entry)
                asset.extracted_metadata = replace_entry(asset.extracted_metadata, entry)
            if outcome.facts is not None:
                asset.facts = copy.deepcopy(outcome.facts)
            asset.metadata_status, asset.metadata_reason = outcome.status, outcome.reason
            asset.updated_at = updated_at
        return recorded

    async def record_facts(self, facts: Mapping[str, AssetFacts]) -> list[str]:
        recorded = [asset_id for asset_id in facts if asset_id in self._state.assets]
        for asset_id in recorded:
            self._state.assets[asset_id].facts = copy.deepcopy(facts[asset_id])
        return recorded

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        if (entity_id, asset_id) in self._state.links:
            return False
        self._state.links[(entity_id, asset_id)] = role
        return True

    async def unlink(self, entity_id: str, asset_id: str) -> bool:
        return self._state.links.pop((entity_id, asset_id), False) is not False

    def _matching(self, query: AssetQuery) -> list[Asset]:
        linked = {a for (e, a) in self._state.links if e == query.entity_id}
        found = [
            asset
            for asset in self._state.assets.values()
            if (query.include_deleted or asset.deleted_at is None)
            and (not query.in_trash or asset.deleted_at is not None)
            and not (query.hides_previews and is_preview(asset))
            and (query.kind is None or asset.kind == query.kind)
            and (query.mime_prefix is None or asset.mime_type.startswith(query.mime_prefix))
            and (query.entity_id is None or asset.asset_id in linked)
            and query.matches(asset)
        ]
        return sorted(found, key=lambda a: _key(query, a), reverse=query.sort_order == "desc")

    async def find(
        self, query: AssetQuery, *, limit: int, offset: int = 0, after: AssetPosition | None = None
    ) -> list[Asset]:
        found = self._matching(query)
        if after is not None:
            mark = sort_key(after.value, after.asset_id, query.sort_by)
            descending = query.sort_order == "desc"
            found = [a for a in found if (_key(query, a) < mark if descending else _key(query, a) > mark)]
        return copy.deepcopy(found[offset : offset + limit])

    async def count(self, query: AssetQuery, *, up_to: int) -> int:
        return min(len(self._matching(query)), up_to)

    def _linked(self, asset_id: str, *, include_deleted: bool) -> list[LinkedEntity]:
        found = [
            LinkedEntity(entity=self._state.entities[e], role=role)
            for (e, a), role in self._state.links.items()
            if a == asset_id and (include_deleted or self._state.entities[e].deleted_at is None)
        ]
        return sorted(found, key=_entity_position)

    async def linked_entities(
        self,
        asset_id: str,
        *,
        include_deleted: bool,
        limit: int,
        offset: int = 0,
        after: KeysetPosition | None = None,
    ) -> list[LinkedEntity]:
        found = self._linked(asset_id, include_deleted=include_deleted)
        if after is not None:
            found = [link for link in found if _entity_position(link) > (after.value, after.last_id)]
        return copy.deepcopy(found[offset : offset + limit])

    async def count_linked_entities(self, asset_id: str, *, include_deleted: bool) -> int:
        return len(self._linked(asset_id, include_deleted=include_deleted))

    async def live_sizes(self, asset_ids: Collection[str]) -> dict[str, int]:
        live = (self._state.assets.get(asset_id) for asset_id in asset_ids)
        return {a.asset_id: a.size_bytes for a in live if a is not None and a.deleted_at is None}

    def _is_purgeable(self, asset: Asset) -> bool:
        linked = {a for (_, a) in self._state.links}
        return asset.deleted_at is not None and asset.asset_id not in linked

    async def purgeable(self) -> list[Asset]:
        return copy.deepcopy([a for a in self._state.assets.values() if self._is_purgeable(a)])

    async def remove_if_purgeable(self, asset_id: str) -> bool:
        asset = self._state.assets.get(asset_id)
        if asset is None or not self._is_purgeable(asset):
            return False
        del self._state.assets[asset_id]
        self._state.forget_asset(asset_id)
        for other in self._state.assets.values():
            if other.derived_from_asset_id == asset_id:
                other.derived_from_asset_id = None
        return True

    async def metadata_pending(self) -> list[str]:
        return [
            a.asset_id
            for a in self._state.assets.values()
            if a.metadata_status == "pending" and a.deleted_at is None
        ]


def _entity_position(link: LinkedEntity) -> tuple[str, str]:
    return format_timestamp(link.entity.created_at), link.entity.entity_id


def _key(query: AssetQuery, asset: Asset) -> tuple[bool, str | int, str]:
    return sort_key(sort_value(asset, query.sort_by), asset.asset_id, query.sort_by)
