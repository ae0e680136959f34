"""What an export folder holds: the records as JSON Lines, one sidecar per file, and the manifest.

Layout (``docs/export.md``)::

    TARGET/manifest.json                     written last, atomically: the export is complete
    TARGET/fields.jsonl                      one FieldDefinition record a line
    TARGET/entities.jsonl                    one Entity record a line
    TARGET/descriptors.jsonl                 one Descriptor record a line
    TARGET/relationships.jsonl               one Relationship record a line
    TARGET/assets.jsonl                      one ExportedAsset a line (with its ``path`` in the folder)
    TARGET/<entity display name>/<file name>                 a file, under the oldest entity it is linked to
    TARGET/<entity display name>/<file name>.faceforge.json  its sidecar (ExportSidecar)
    TARGET/_unlinked/<file name>             a file linked to no entity (and its sidecar)
    TARGET/.faceforge-export                 marks the folder as an export while one is written
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from faceforge_domain.jobs.models import JsonObject

JOB_TYPE = "core.export"
FORMAT: Literal["faceforge-export"] = "faceforge-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MARKER = ".faceforge-export"
SIDECAR_SUFFIX = ".faceforge.json"
UNLINKED = "_unlinked"
RECORD_FILES = ("fields.jsonl", "entities.jsonl", "descriptors.jsonl", "relationships.jsonl", "assets.jsonl")
FIELDS, ENTITIES, DESCRIPTORS, RELATIONSHIPS, ASSETS = RECORD_FILES
# Names at the top of an export that are not entity folders.
TOP_NAMES = (MANIFEST, MARKER, UNLINKED, *RECORD_FILES)


class ExportInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``target``: the export folder (absolute), new, empty, or an earlier export to bring up to date."""

    target: str


class LinkRecord(msgspec.Struct, kw_only=True):
    """One entity a file is linked to, named so a reader needs no other file."""

    entity_id: str
    display_name: str
    role: str | None = None


class ExportedAsset(msgspec.Struct, kw_only=True):
    """An asset as exported: its record without where Core kept the bytes, plus where the export has
    them (``path``, relative, POSIX) and its links. ``asset_id`` is the SHA-256 of the file."""

    asset_id: str
    kind: str
    mime_type: str
    size_bytes: int
    filename: str
    filenames: list[str] = msgspec.field(default_factory=list)
    owner: str | None = None
    user_metadata: JsonObject = msgspec.field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    path: str
    links: list[LinkRecord] = msgspec.field(default_factory=list)


class SidecarDescriptor(msgspec.Struct, kw_only=True):
    """A descriptor of a linked entity, as a reader of one sidecar sees it (``descriptors.jsonl`` holds
    the full records)."""

    descriptor_id: str
    entity_id: str
    field_key: str
    value: Any


class ExportSidecar(msgspec.Struct, kw_only=True):
    """``<file>.faceforge.json``: the file's record, so the file carries its metadata wherever it goes,
    and ``faceforge import`` of the folder restores it. ``tags`` repeats ``user_metadata.tags``."""

    format: Literal["faceforge-export"] = FORMAT
    format_version: int = FORMAT_VERSION
    asset: ExportedAsset
    tags: list[str] = msgspec.field(default_factory=list)
    descriptors: list[SidecarDescriptor] = msgspec.field(default_factory=list)


class ExportCounts(msgspec.Struct, kw_only=True):
    fields: int = 0
    entities: int = 0
    descriptors: int = 0
    relationships: int = 0
    assets: int = 0
    bytes: int = 0


class ExportManifest(msgspec.Struct, kw_only=True):
    """``manifest.json``, written last: an export folder without it is unfinished."""

    format: Literal["faceforge-export"] = FORMAT
    format_version: int = FORMAT_VERSION
    faceforge_version: str
    created_at: str
    counts: ExportCounts
