"""Bulk-import input and the facts a folder walk reports."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from faceforge_domain.export.models import ExportedAsset
from faceforge_domain.filetypes import KIND_PATTERN, MAX_KIND
from faceforge_domain.ids import ID_PATTERN

JOB_TYPE = "core.assets.bulk_import"
# Files in flight at once (``import.file_workers``): each waits mostly on its fsyncs, which a disk may
# serve better side by side, and records arriving together share a transaction.
FILE_WORKERS = 64
# Files larger than this stream through the store in pieces (several MiB of buffers each), so only
# LARGE_FILES_AT_ONCE of them are in flight whatever ``file_workers`` says: memory stays bounded.
LARGE_FILE_BYTES = 1024 * 1024
LARGE_FILES_AT_ONCE = 4
# Small files travel in batches of up to this many files and bytes: read in one worker-thread trip,
# stored in another, recorded together, so the event loop hands work to threads once per batch
# instead of twice per file; the byte cap bounds the memory a batch holds.
SMALL_BATCH_FILES = 16
SMALL_BATCH_BYTES = 4 * 1024 * 1024
Glob = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Globs = Annotated[list[Glob], msgspec.Meta(max_length=100)]
Kind = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KIND, pattern=KIND_PATTERN.pattern)]
EntityId = Annotated[str, msgspec.Meta(pattern=ID_PATTERN.pattern)]


class BulkImportInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A folder to import; globs match the path relative to it (or, without a slash, the file name).

    The one definition of a bulk import's input: the HTTP body, the CLI and the job all take it.
    Hidden files and folders (``.ssh``, ``.env``) are left out unless ``include_hidden`` asks for them.
    """

    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    recursive: bool = True
    kind: Kind | None = None
    entity_id: EntityId | None = None
    include: Globs = msgspec.field(default_factory=list)
    exclude: Globs = msgspec.field(default_factory=list)
    follow_symlinks: bool = False
    include_hidden: bool = False


class FoundFile(msgspec.Struct, frozen=True, kw_only=True):
    """A regular file seen by the walk: its name in its folder and its size."""

    name: str
    size: int


class Skip(msgspec.Struct, frozen=True, kw_only=True):
    """Something the walk or the plan left out on purpose (``path`` is relative to the root)."""

    path: str
    reason: str


class WalkProblem(msgspec.Struct, frozen=True, kw_only=True):
    """Something the walk could not read (a folder without permission, a file that vanished)."""

    path: str
    message: str


class FolderListing(msgspec.Struct, frozen=True, kw_only=True):
    """One folder of the walk: ``folder`` is relative to the root in POSIX form (``""`` for the root)."""

    folder: str
    files: list[FoundFile]
    skipped: list[Skip] = msgspec.field(default_factory=list)
    problems: list[WalkProblem] = msgspec.field(default_factory=list)


class SidecarMeta(msgspec.Struct, kw_only=True):
    """What sidecars say about one file: the merged object and its recognised keys; ``exported``: the
    record an export sidecar carries (then it alone applies)."""

    user_metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    kind: str | None = None
    entity_ids: list[str] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    sources: list[str] = msgspec.field(default_factory=list)
    exported: ExportedAsset | None = None


class PlannedFile(msgspec.Struct, kw_only=True):
    """A file to import: relative POSIX path, size and the sidecar metadata that applies."""

    path: str
    name: str
    size: int
    meta: SidecarMeta


class ImportResult(msgspec.Struct, kw_only=True):
    """The job's result: every non-sidecar file found is counted once in one of the outcomes;
    ``skipped_by_reason`` splits ``skipped`` by why (a skipped folder counts once, not its files)."""

    scanned: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    sidecars: int = 0
    warnings: int = 0
    skipped_by_reason: dict[str, int] = msgspec.field(default_factory=dict)
