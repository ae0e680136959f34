"""InMemoryPluginRepository: the plugin-registry fake."""

from __future__ import annotations

import copy

from faceforge_adapters.memory.state import MemoryState
from faceforge_domain.plugins.models import MANIFEST_FILE, ManifestSource, PluginRecord


class InMemoryPluginRepository:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def get(self, plugin_id: str) -> PluginRecord | None:
        found = self._state.plugins.get(plugin_id)
        return None if found is None else copy.deepcopy(found)

    async def all(self) -> list[PluginRecord]:
        return [copy.deepcopy(self._state.plugins[key]) for key in sorted(self._state.plugins)]

    async def add(self, record: PluginRecord) -> None:
        if record.plugin_id in self._state.plugins:
            raise KeyError(record.plugin_id)
        self._state.plugins[record.plugin_id] = copy.deepcopy(record)
        self._state.plugin_registry_changes += 1

    async def update(self, record: PluginRecord) -> None:
        if record.plugin_id not in self._state.plugins:
            raise KeyError(record.plugin_id)
        self._state.plugins[record.plugin_id] = copy.deepcopy(record)
        self._state.plugin_registry_changes += 1

    async def by_token_hash(self, token_hash: str) -> PluginRecord | None:
        for found in self._state.plugins.values():
            if found.token_hash == token_hash:
                return copy.deepcopy(found)
        return None


class InMemoryPluginSource:
    """A plugins folder in memory: ``folders`` maps a folder name to its ``plugin.json`` bytes."""

    def __init__(self, folders: dict[str, bytes] | None = None) -> None:
        self.folders: dict[str, bytes] = dict(folders or {})

    async def scan(self) -> list[ManifestSource]:
        return [
            ManifestSource(name=name, folder=name, file=f"{name}/{MANIFEST_FILE}", raw=raw)
            for name, raw in sorted(self.folders.items())
        ]
