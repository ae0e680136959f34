"""Shared helpers for the plugin tests: manifests as dicts, and a service over in-memory fakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from faceforge_adapters.memory.plugins import InMemoryPluginSource
from faceforge_adapters.memory.uow import InMemoryUnitOfWorkFactory
from faceforge_adapters.plugins.schemas import JsonSchemaConfigs
from faceforge_domain.clock import FixedClock
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.plugins.service import PluginService

HELLO_DIR = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "hello"
HELLO: dict[str, Any] = json.loads((HELLO_DIR / "plugin.json").read_text())
HELLO_GRANT = ["assets:read", "assets:write", "jobs:run"]


def manifest(**changes: Any) -> dict[str, Any]:
    """The hello manifest with some fields changed (``None`` removes a field)."""
    data = copy.deepcopy(HELLO)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def encode(data: Any) -> bytes:
    return json.dumps(data).encode()


class Rig:
    """A plugin service over in-memory fakes, with the pieces a test pokes at."""

    def __init__(self, *, core_version: str = "0.1.0") -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.source = InMemoryPluginSource()
        self.clock = FixedClock()
        self.registry = JobRegistry()
        self.service = self.build(core_version)

    def build(self, core_version: str = "0.1.0") -> PluginService:
        """A fresh service on the same state: what a restart of Core looks like."""
        return PluginService(
            self.uow,
            self.source,
            JsonSchemaConfigs(),
            self.clock,
            core_version=core_version,
            job_types=self.registry,
        )

    def put(self, folder: str, data: Any) -> None:
        self.source.folders[folder] = data if isinstance(data, bytes) else encode(data)

    def event_types(self) -> list[str]:
        return [e.type for e in self.uow.state.events]
