"""What the plugin use cases need from the world: manifests on disk, a schema checker, the registry."""

from __future__ import annotations

from typing import Any, Protocol

from faceforge_domain.errors import FieldError
from faceforge_domain.events import EventLog
from faceforge_domain.jobs.ports import JobRepository
from faceforge_domain.plugins.models import ManifestSource, PluginRecord
from faceforge_domain.transaction import Transaction


class PluginSource(Protocol):
    """Where manifests come from: one ``ManifestSource`` per plugin folder (the plugins directory)."""

    async def scan(self) -> list[ManifestSource]: ...


class ConfigSchemas(Protocol):
    """JSON Schema (2020-12) for plugin configs: checking a schema, and a config against it."""

    def schema_problems(self, schema: dict[str, Any]) -> list[FieldError]:
        """Why ``schema`` is not a valid JSON Schema; ``field`` is a JSON pointer into it."""
        ...

    def apply(
        self, schema: dict[str, Any], config: dict[str, Any]
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """``config`` with the schema's defaults filled in, and one error per failing JSON pointer."""
        ...


class PluginRepository(Protocol):
    async def get(self, plugin_id: str) -> PluginRecord | None: ...

    async def all(self) -> list[PluginRecord]:
        """Every registered plugin, by id."""
        ...

    async def add(self, record: PluginRecord) -> None: ...

    async def update(self, record: PluginRecord) -> None: ...

    async def by_token_hash(self, token_hash: str) -> PluginRecord | None: ...


class PluginUnitOfWork(Transaction, Protocol):
    """The slice of a unit of work the plugin use cases touch."""

    @property
    def plugins(self) -> PluginRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def jobs(self) -> JobRepository: ...


class PluginUnitOfWorkFactory(Protocol):
    def write(self) -> PluginUnitOfWork: ...

    def read(self) -> PluginUnitOfWork: ...

    def plugin_registry_changes(self) -> int:
        """A number that grows with every committed change to the plugin registry, made by any
        process; cheap enough to read on every request (no transaction)."""
        ...


class ExternalJobTypes(Protocol):
    """The jobs registry, as far as plugins use it: their job types run out of process."""

    def register_external(self, job_type: str, *, description: str = "") -> object: ...

    def unregister(self, job_type: str) -> bool: ...
