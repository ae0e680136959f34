"""Filling in the facts of assets whose metadata was recorded before facts were derived (or by older rules).

Facts follow from the ExifTool entry already stored with each asset, so nothing is read from the store
and ExifTool does not run again: each batch of assets is read, its facts derived again, and only those
that differ are written, in the same write transaction as the read (an extraction landing meanwhile
cannot be overwritten with stale facts). Re-running finds nothing left to change.
"""

from __future__ import annotations

from collections.abc import Sequence

from faceforge_domain.facts import facts_of_entries
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.services.asset_walk import every_asset


class AssetFactsBackfill:
    """Derives stored assets' facts again and records those that changed (the ``core.assets.facts`` job)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def asset_ids(self, only: Sequence[str] | None = None) -> list[str]:
        """The ids to check: ``only`` as given (in order, without repeats), else every asset, oldest first."""
        if only is not None:
            return list(dict.fromkeys(only))
        return [asset.asset_id async for asset in every_asset(self._uow)]

    async def refresh(self, asset_ids: Sequence[str]) -> list[str]:
        """Derive the facts of ``asset_ids`` again (soft-deleted ones too); the ids whose facts changed.
        Unknown ids are ignored."""
        async with self._uow.write() as uow:
            found = await uow.assets.get_many(asset_ids, include_deleted=True)
            derived = {i: facts_of_entries(asset.extracted_metadata) for i, asset in found.items()}
            changed = {i: facts for i, facts in derived.items() if facts != found[i].facts}
            recorded = await uow.assets.record_facts(changed)
            await uow.commit()
        return recorded
