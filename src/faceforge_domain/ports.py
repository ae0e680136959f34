"""Ports: what the domain needs from the world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from faceforge_domain.asset_query import AssetPosition, AssetQuery
from faceforge_domain.events import EventLog
from faceforge_domain.facts import AssetFacts
from faceforge_domain.metadata import MetadataOutcome, MetadataState
from faceforge_domain.models import (
    Asset,
    Descriptor,
    Entity,
    FieldDefinition,
    FieldScope,
    LinkedEntity,
    LocalFile,
    Payload,
    Relationship,
    StorageLocation,
    StoredBlob,
)
from faceforge_domain.queries import EntityQuery, KeysetPosition, RelationshipQuery
from faceforge_domain.transaction import Transaction

if TYPE_CHECKING:  # the jobs package builds on these ports; it is only named here
    from faceforge_domain.jobs.ports import JobRepository
    from faceforge_domain.lookalikes import DuplicateGroupRepository, LookalikeRepository
    from faceforge_domain.plugins.ports import PluginRepository
    from faceforge_domain.previews import PreviewRepository
    from faceforge_domain.sessions import SessionRepository


class EntityRepository(Protocol):
    async def add(self, entity: Entity) -> None: ...

    async def add_many(self, entities: Sequence[Entity]) -> None:
        """Insert a batch of new entities (the fast path for seeding and imports)."""
        ...

    async def update(self, entity: Entity) -> None:
        """Store every attribute of an existing entity (tags, external ids, search text follow)."""
        ...

    async def get(self, entity_id: str, *, include_deleted: bool = False) -> Entity | None: ...

    async def remove(self, entity_id: str) -> bool:
        """Delete the entity for good, with its links to files, descriptors, relationships (both
        ends), tags and external ids; the files stay. False when there was none."""
        ...

    async def count(self, *, include_deleted: bool = False) -> int: ...

    async def find_by_external_id(self, source: str, external_id: str) -> str | None:
        """The id of the entity (deleted ones included) holding ``source``/``external_id``."""
        ...

    async def search(
        self, query: EntityQuery, *, limit: int, offset: int = 0, after: KeysetPosition | None = None
    ) -> list[Entity]:
        """One page in the query's order; ``after`` starts right behind a row a client saw."""
        ...

    async def count_matching(self, query: EntityQuery) -> int: ...

    async def tag_counts(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Tags of live entities starting with ``prefix`` (case-blind as tags compare), each with how
        many live entities hold it: the most used first, then by name."""
        ...

    async def with_fields(self, field_key: str | None) -> list[tuple[str, dict[str, Any]]]:
        """(entity_id, fields) of live entities; only those holding ``field_key`` when given."""
        ...

    async def showing_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        """Ids of the entities (deleted ones included) whose primary thumbnail is one of ``asset_ids``."""
        ...

    async def keeping_trashed_thumbnail(self, asset_ids: Collection[str]) -> list[str]:
        """Ids of the entities (deleted ones included) that lost one of ``asset_ids`` as their primary
        thumbnail when it went to the trash."""
        ...


class FieldDefinitionRepository(Protocol):
    async def add(self, definition: FieldDefinition) -> None: ...

    async def update(self, definition: FieldDefinition) -> None: ...

    async def get(self, scope: FieldScope, field_key: str) -> FieldDefinition | None: ...

    async def all(self, scope: FieldScope | None = None) -> list[FieldDefinition]:
        """Definitions ordered by ``order`` then key."""
        ...

    async def delete(self, scope: FieldScope, field_key: str) -> bool: ...


class DescriptorRepository(Protocol):
    async def add(self, descriptor: Descriptor) -> None: ...

    async def update(self, descriptor: Descriptor) -> None: ...

    async def get(self, descriptor_id: str, *, include_deleted: bool = False) -> Descriptor | None: ...

    async def remove(self, descriptor_id: str) -> bool:
        """Delete the descriptor for good; False when there was none."""
        ...

    async def select(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Descriptor]:
        """Oldest first; ``entity_id=None`` lists across entities (violation reports, the trash);
        ``in_trash``: only soft-deleted ones."""
        ...

    async def count(
        self,
        entity_id: str | None,
        *,
        field_key: str | None = None,
        include_deleted: bool = False,
        in_trash: bool = False,
    ) -> int: ...


class RelationshipRepository(Protocol):
    async def add(self, relationship: Relationship) -> None: ...

    async def update(self, relationship: Relationship) -> None: ...

    async def get(self, relationship_id: str, *, include_deleted: bool = False) -> Relationship | None: ...

    async def remove(self, relationship_id: str) -> bool:
        """Delete the relationship for good; False when there was none."""
        ...

    async def find(self, src_entity_id: str, dst_entity_id: str, type_: str) -> Relationship | None:
        """The live relationship with exactly these ends and type, if any."""
        ...

    async def search(
        self, query: RelationshipQuery, *, limit: int, offset: int = 0
    ) -> list[Relationship]: ...

    async def count(self, query: RelationshipQuery) -> int: ...

    async def type_counts(self) -> list[tuple[str, int]]:
        """Every type in use by live relationships and how often, spelled as first used."""
        ...


class AssetRepository(Protocol):
    async def add(self, asset: Asset) -> None: ...

    async def add_many(self, assets: Sequence[Asset]) -> None:
        """``add`` for a batch, in one statement (a group commit of ingests)."""
        ...

    async def update(self, asset: Asset) -> None: ...

    async def update_many(self, assets: Sequence[Asset]) -> None: ...

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset | None: ...

    async def get_many(
        self, asset_ids: Collection[str], *, include_deleted: bool = False
    ) -> dict[str, Asset]:
        """The assets found among ``asset_ids``, by id (unknown ones are absent), in one query."""
        ...

    async def metadata_states(self, asset_ids: Collection[str]) -> dict[str, MetadataState]:
        """Extraction status and reason of each live asset among ``asset_ids`` (unknown and soft-deleted
        ones are absent), one query per few hundred ids: cheap to poll, no whole records decoded."""
        ...

    async def record_metadata(
        self, outcomes: Mapping[str, MetadataOutcome], updated_at: datetime
    ) -> list[str]:
        """Store extraction outcomes, changing only the metadata fields and ``updated_at``.

        An outcome's entry replaces the asset's entry of the same source and type (``replace_entry``);
        its other entries stay. Soft-deleted assets are recorded too; ids with no record (purged) are
        skipped. Returns the ids recorded, in ``outcomes`` order.
        """
        ...

    async def record_facts(self, facts: Mapping[str, AssetFacts]) -> list[str]:
        """Store derived facts, changing only the facts (they follow from the metadata already on record,
        so ``updated_at`` stays). Soft-deleted assets count; unknown ids are skipped. The ids stored."""
        ...

    async def link(self, entity_id: str, asset_id: str, role: str | None) -> bool:
        """Link an asset to an entity; False when the link already existed."""
        ...

    async def unlink(self, entity_id: str, asset_id: str) -> bool:
        """Remove a link; False when there was none."""
        ...

    async def find(
        self, query: AssetQuery, *, limit: int, offset: int = 0, after: AssetPosition | None = None
    ) -> list[Asset]:
        """Matching assets oldest first by ``(created_at, asset_id)``, after ``after`` when given."""
        ...

    async def count(self, query: AssetQuery, *, up_to: int) -> int:
        """How many assets match, counted no further than ``up_to``."""
        ...

    async def linked_entities(
        self,
        asset_id: str,
        *,
        include_deleted: bool,
        limit: int,
        offset: int = 0,
        after: KeysetPosition | None = None,
    ) -> list[LinkedEntity]:
        """Entities linked to the asset, oldest first by ``(created_at, entity_id)``, after ``after``."""
        ...

    async def count_linked_entities(self, asset_id: str, *, include_deleted: bool) -> int: ...

    async def live_sizes(self, asset_ids: Collection[str]) -> dict[str, int]:
        """``size_bytes`` of each live asset among ``asset_ids``; soft-deleted and unknown ones are absent."""
        ...

    async def purgeable(self) -> list[Asset]:
        """Soft-deleted assets that no entity (and no job) refers to any more: their bytes may go."""
        ...

    async def remove_if_purgeable(self, asset_id: str) -> bool:
        """Delete the record for good when it is still purgeable; assets derived from it forget it."""
        ...

    async def metadata_pending(self) -> list[str]:
        """Ids of live assets whose metadata extraction has not finished."""
        ...


class UnitOfWork(Transaction, Protocol):
    """One transaction: ``async with uow:`` rolls back unless ``await uow.commit()`` ran."""

    @property
    def entities(self) -> EntityRepository: ...

    @property
    def assets(self) -> AssetRepository: ...

    @property
    def field_defs(self) -> FieldDefinitionRepository: ...

    @property
    def descriptors(self) -> DescriptorRepository: ...

    @property
    def relationships(self) -> RelationshipRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def events(self) -> EventLog:
        """Append events here so they commit (or roll back) with the change they describe."""
        ...

    @property
    def plugins(self) -> PluginRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def previews(self) -> PreviewRepository: ...

    @property
    def lookalikes(self) -> LookalikeRepository:
        """Each picture's perceptual hash (stored by the preview pipeline)."""
        ...

    @property
    def duplicate_groups(self) -> DuplicateGroupRepository: ...


class UnitOfWorkFactory(Protocol):
    def write(self) -> UnitOfWork:
        """A read-write transaction (serialised with every other writer)."""
        ...

    def read(self) -> UnitOfWork:
        """A read-only snapshot, taken when the block starts, that never blocks writers; a write or
        a commit through it raises ``ReadOnlyTransaction``."""
        ...

    def plugin_registry_changes(self) -> int:
        """A number that grows with every committed change to the plugin registry, made by any
        process; cheap enough to read on every request (no transaction)."""
        ...


class BlobStore(Protocol):
    """Durable bytes. ``put`` makes the bytes visible only once they are complete and synced."""

    name: str

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        """Store the stream; the bytes become visible only once complete and durable.

        ``kind`` and ``size_hint`` (when the length is known up front) let a routing store choose
        where the bytes go; single-provider stores ignore them. With ``expected_sha256`` (hex), bytes
        that hash otherwise raise ``DigestMismatch`` and nothing becomes visible.
        """
        ...

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        """``put`` for many small files already in memory (a bulk import's batch), each stored as
        ``put`` would store it; the filesystem store does the whole batch in one worker-thread trip.

        Each payload gets its stored blob or the exception storing it raised, in order.
        """
        ...

    async def put_local(self, local: LocalFile, *, kind: str | None = None) -> StoredBlob:
        """Store a local file whose SHA-256 is known, without hashing it again.

        The filesystem store links it into place instead of copying; ``local.path`` is left for the
        caller to remove.
        """
        ...

    def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Yield bytes ``start..end`` inclusive (``end=None``: to the end)."""
        ...

    async def stat(self, location: StorageLocation) -> int | None:
        """Size in bytes, or None when the blob is absent."""
        ...

    async def delete(self, location: StorageLocation) -> None: ...


class StorageSpace(Protocol):
    """The room left on the disks that receive new bytes."""

    async def check_room(self, size: int) -> None:
        """``InsufficientStorage`` when ``size`` more bytes would not fit with the low-space margin
        kept free; asked before anything is written, so a file that cannot fit is refused at once."""
        ...


class MetadataExtractor(Protocol):
    """Reads a stored file's embedded metadata (ExifTool in production)."""

    @property
    def unavailable_reason(self) -> str | None:
        """Why extraction cannot run at all (tool disabled or missing), or None when it can."""
        ...

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        """The tool's raw JSON output for each asset's bytes, seen under its original file name.

        One answer per asset, in order: the output, or ``metadata.MetadataError`` with a reason when the
        tool times out, crashes or cannot read that file (any other exception is a bug, reported as is).
        A batch lets the adapter prepare and ask for many files in one go.
        """
        ...

    async def warm_up(self) -> None:
        """Get ready for a run of extractions (start the tool's workers), so the first files do not
        wait for the tool to load. Best effort: a tool that cannot start says so at its first file."""
        ...
