"""InMemoryDuplicateGroupRepository: the look-alike review list fake."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.lookalikes import DuplicateGroup, GroupStatus
from faceforge_domain.timefmt import format_timestamp


class InMemoryDuplicateGroupRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def replace_open(self, groups: Sequence[DuplicateGroup]) -> int:
        stored = self._state.duplicate_groups
        open_ids = [group_id for group_id, group in stored.items() if group.status == "open"]
        for group_id in open_ids:
            del stored[group_id]
        for group in groups:
            if group.group_id in stored or any(m.asset_id not in self._state.assets for m in group.members):
                raise KeyError(group.group_id)  # the database's keys refuse it too
            stored[group.group_id] = copy.deepcopy(group)
        return len(open_ids)

    async def get(self, group_id: str) -> DuplicateGroup | None:
        return copy.deepcopy(self._state.duplicate_groups.get(group_id))

    async def update(self, group: DuplicateGroup) -> None:
        stored = self._state.duplicate_groups.get(group.group_id)
        if stored is not None:
            stored.status, stored.kept_asset_id = group.status, group.kept_asset_id
            stored.resolved_at = group.resolved_at

    async def select(self, status: GroupStatus, *, limit: int, offset: int = 0) -> list[DuplicateGroup]:
        found = sorted(
            (g for g in self._state.duplicate_groups.values() if g.status == status),
            key=lambda g: (format_timestamp(g.created_at), g.group_id),
        )
        return copy.deepcopy(found[offset : offset + limit])

    async def count(self, status: GroupStatus) -> int:
        return sum(1 for g in self._state.duplicate_groups.values() if g.status == status)

    async def dismiss_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._state.dismissed_pairs.update(pairs)

    async def dismissed_pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset(self._state.dismissed_pairs)
