"""Domain records. Plain msgspec Structs: validated by the services that build them, not by magic."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from faceforge_domain.facts import AssetFacts

JsonObject = dict[str, Any]

MetadataStatus = Literal["pending", "done", "skipped", "failed"]


class Entity(msgspec.Struct, kw_only=True):
    """A person, character or creature that assets attach to."""

    entity_id: str
    display_name: str
    aliases: list[str] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    fields: JsonObject = msgspec.field(default_factory=dict)
    primary_thumbnail_asset_id: str | None = None
    # The main picture this entity lost when its file went to the trash, given back when the file is
    # restored (services/main_picture.py).
    trashed_thumbnail_asset_id: str | None = None
    external_ids: dict[str, str] = msgspec.field(default_factory=dict)
    plugin_data: JsonObject = msgspec.field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


FieldScope = Literal["entity", "descriptor"]
FieldType = Literal[
    "string", "text", "int", "float", "bool", "date", "datetime", "enum", "url", "email", "json"
]


class FieldDefinition(msgspec.Struct, kw_only=True):
    """An admin-defined field: the schema of entity ``fields`` or descriptor values, no migration needed."""

    field_def_id: str
    field_key: str
    scope: FieldScope
    field_type: FieldType
    required: bool = False
    regex: str | None = None
    options: list[str] | None = None
    min: float | None = None
    max: float | None = None
    multiple: bool = False
    label: str | None = None
    help: str | None = None
    order: int = 0
    created_at: datetime
    updated_at: datetime


class Descriptor(msgspec.Struct, kw_only=True):
    """A fact about an entity under a descriptor field key, optionally valid for a period."""

    descriptor_id: str
    entity_id: str
    field_key: str
    value: Any
    valid_from: str | None = None
    valid_to: str | None = None
    source: str | None = None
    note: str | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class Relationship(msgspec.Struct, kw_only=True):
    """A typed, directed link between two entities (``src`` is ``type`` of ``dst``)."""

    relationship_id: str
    src_entity_id: str
    dst_entity_id: str
    type: str
    fields: JsonObject = msgspec.field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class StorageLocation(msgspec.Struct, frozen=True, kw_only=True):
    """Where an asset's bytes really are: ``provider`` is ``fs`` or ``s3``."""

    provider: str
    key: str
    bucket: str | None = None


class Asset(msgspec.Struct, kw_only=True):
    """A file, identified by the SHA-256 of its bytes (``asset_id == content_hash``)."""

    asset_id: str
    kind: str
    mime_type: str
    size_bytes: int
    filename: str
    filenames: list[str] = msgspec.field(default_factory=list)
    storage: StorageLocation
    derived_from_asset_id: str | None = None
    owner: str | None = None
    extracted_metadata: list[JsonObject] = msgspec.field(default_factory=list)
    metadata_status: MetadataStatus = "pending"
    metadata_reason: str | None = None
    user_metadata: JsonObject = msgspec.field(default_factory=dict)
    plugin_data: JsonObject = msgspec.field(default_factory=dict)
    facts: AssetFacts = msgspec.field(default_factory=AssetFacts)
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        return self.asset_id


class LinkedEntity(msgspec.Struct, kw_only=True):
    """An entity an asset is linked to, with the role the link gives it."""

    entity: Entity
    role: str | None = None


class StoredBlob(msgspec.Struct, frozen=True, kw_only=True):
    """What a BlobStore reports after it durably stored a stream."""

    location: StorageLocation
    size_bytes: int
    sha256: str


class Payload(msgspec.Struct, frozen=True):
    """A small file's bytes, whole in memory, and the kind it will have (a routing store may use it)."""

    data: bytes
    kind: str | None = None


class LocalFile(msgspec.Struct, frozen=True, kw_only=True):
    """Complete, fsynced bytes in a local file whose digest is already known (a finished upload)."""

    path: str
    sha256: str
    size: int
    head: bytes  # the first bytes, to tell the file type without opening it again
