"""Planning a bulk import, without I/O: which files to import and which sidecar metadata applies.

Sidecars: for a file ``X``, ``X_meta.json`` is its companion, and when that is absent
``<stem>_meta.json`` (``photo.jpg`` -> ``photo_meta.json``). ``_directorymeta.json`` applies to every
file of its folder; where both speak, file-level keys win. ``X.faceforge.json``, written by
``faceforge export``, carries the file's whole exported record and wins over the others (see
``docs/export.md``). Sidecars are never imported as assets, nor are an export's own files at its top
(``manifest.json`` and the ``*.jsonl`` records), which the import reads instead.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from faceforge_domain.export.models import (
    MANIFEST,
    RECORD_FILES,
    ExportSidecar,
)
from faceforge_domain.export.models import (
    SIDECAR_SUFFIX as EXPORT_SIDECAR_SUFFIX,
)
from faceforge_domain.ids import is_id
from faceforge_domain.imports.models import (
    LARGE_FILE_BYTES,
    SMALL_BATCH_BYTES,
    SMALL_BATCH_FILES,
    BulkImportInput,
    FolderListing,
    PlannedFile,
    SidecarMeta,
    Skip,
)

SIDECAR_SUFFIX = "_meta.json"
DIRECTORY_SIDECAR = "_directorymeta.json"
MAX_SIDECAR_BYTES = 1024 * 1024
MAX_TAGS = 200


class SidecarError(ValueError):
    """A sidecar that cannot be used; the message says why in plain words."""


def is_sidecar(name: str) -> bool:
    return name == DIRECTORY_SIDECAR or name.endswith((SIDECAR_SUFFIX, EXPORT_SIDECAR_SUFFIX))


def is_export_sidecar(name: str) -> bool:
    return name.endswith(EXPORT_SIDECAR_SUFFIX)


EXPORT_FILES = frozenset((MANIFEST, *RECORD_FILES))  # at the top of an export: read, never imported
Sidecar = dict[str, Any] | ExportSidecar | SidecarError  # a sidecar as read: usable, or why not


HIDDEN = "hidden (include_hidden is off)"  # the skip reason


def is_hidden(name: str) -> bool:
    """A hidden file or folder by its name (``.ssh``, ``.env``): left out unless asked for."""
    return name.startswith(".")


def companion_names(name: str) -> tuple[str, ...]:
    """Sidecar names for a file, in order of preference."""
    stem, dot, _ext = name.rpartition(".")
    names = [name + EXPORT_SIDECAR_SUFFIX, name + SIDECAR_SUFFIX]
    if dot and stem:
        names.append(stem + SIDECAR_SUFFIX)
    return tuple(names)


def glob_matches(path: str, pattern: str) -> bool:
    """Case-insensitive glob: a pattern with ``/`` matches the relative path, else the file name."""
    target = path if "/" in pattern else posixpath.basename(path)
    return fnmatch.fnmatchcase(target.casefold(), pattern.casefold())


def selected(path: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Kept when it matches an include (or there are none) and no exclude (excludes win)."""
    if include and not any(glob_matches(path, p) for p in include):
        return False
    return not any(glob_matches(path, p) for p in exclude)


def parse_sidecar(raw: bytes) -> dict[str, Any]:
    """A sidecar's JSON object, with its recognised keys checked; ``SidecarError`` otherwise."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise SidecarError(f"is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise SidecarError("must hold a JSON object")
    kind = value.get("kind")
    if kind is not None and (not isinstance(kind, str) or not kind.strip() or len(kind) > 64):
        raise SidecarError("'kind' must be a non-empty string of at most 64 characters")
    ids = value.get("entity_ids")
    if ids is not None and (
        not isinstance(ids, list) or not all(isinstance(i, str) and is_id(i) for i in ids)
    ):
        raise SidecarError("'entity_ids' must be a list of entity ids (64 lowercase hex characters)")
    tags = value.get("tags")
    if tags is not None and (
        not isinstance(tags, list)
        or len(tags) > MAX_TAGS
        or not all(isinstance(t, str) and t.strip() for t in tags)
    ):
        raise SidecarError(f"'tags' must be a list of at most {MAX_TAGS} non-empty strings")
    return value


def parse_export_sidecar(raw: bytes) -> ExportSidecar:
    """An export's sidecar (``X.faceforge.json``); ``SidecarError`` when it is not one."""
    try:
        return msgspec.json.decode(raw, type=ExportSidecar)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SidecarError(f"is not a FaceForge export sidecar ({exc})") from None


def exported_meta(source: str, sidecar: ExportSidecar) -> SidecarMeta:
    """What an export sidecar says: the exported record, whole (folder sidecars do not apply)."""
    record = sidecar.asset
    return SidecarMeta(
        user_metadata=record.user_metadata,
        kind=record.kind,
        entity_ids=[link.entity_id for link in record.links],
        tags=sidecar.tags,
        sources=[source],
        exported=record,
    )


def effective_meta(layers: Sequence[tuple[str, Mapping[str, Any]]]) -> SidecarMeta:
    """Merge sidecar objects, outermost first (folder, then file): later layers' keys win."""
    merged: dict[str, Any] = {}
    for _source, layer in layers:
        merged.update(layer)
    kind = merged.get("kind")
    tags: list[str] = []
    for tag in merged.get("tags") or []:
        clean = tag.strip()
        if clean not in tags:
            tags.append(clean)
    if "tags" in merged:
        merged["tags"] = tags
    return SidecarMeta(
        user_metadata=merged,
        kind=kind.strip() if isinstance(kind, str) else None,
        entity_ids=list(dict.fromkeys(merged.get("entity_ids") or [])),
        tags=tags,
        sources=[source for source, _layer in layers],
    )


@dataclass
class FolderPlan:
    """The outcome of planning one folder."""

    files: list[PlannedFile] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[Skip] = field(default_factory=list)
    sidecars: int = 0


def plan_folder(
    listing: FolderListing,
    options: BulkImportInput,
    sidecars: Mapping[str, Sidecar],
    *,
    export_top: bool = False,
) -> FolderPlan:
    """Plan one folder from its listing and its parsed sidecars (by file name).

    An invalid sidecar becomes a warning on each file it would have described (and on itself when it
    describes none); the files are still imported, with whatever valid layers remain. ``export_top``:
    this is the top folder of an export, whose manifest and record files are not files to import.
    """
    plan = FolderPlan(skipped=list(listing.skipped))

    def rel(name: str) -> str:
        return f"{listing.folder}/{name}" if listing.folder else name

    names = {f.name for f in listing.files}
    used: set[str] = set()
    folder_layer: list[tuple[str, dict[str, Any]]] = []
    if DIRECTORY_SIDECAR in names:
        used.add(DIRECTORY_SIDECAR)
        doc = sidecars.get(DIRECTORY_SIDECAR)
        if isinstance(doc, dict):
            folder_layer.append((rel(DIRECTORY_SIDECAR), doc))
        elif isinstance(doc, SidecarError):
            plan.warnings.append(Skip(path=rel(DIRECTORY_SIDECAR), reason=f"sidecar {doc}; ignored"))

    for found in sorted(listing.files, key=lambda f: f.name):
        if is_sidecar(found.name) or (export_top and found.name in EXPORT_FILES):
            plan.sidecars += 1
            continue
        path = rel(found.name)
        companion = next((n for n in companion_names(found.name) if n in names), None)
        if companion is not None:
            used.add(companion)
        if not selected(path, options.include, options.exclude):
            plan.skipped.append(Skip(path=path, reason="excluded by the include/exclude patterns"))
            continue
        layers = list(folder_layer)
        if companion is not None:
            doc = sidecars.get(companion)
            if isinstance(doc, ExportSidecar):
                meta = exported_meta(rel(companion), doc)
                plan.files.append(PlannedFile(path=path, name=found.name, size=found.size, meta=meta))
                continue
            if isinstance(doc, dict):
                layers.append((rel(companion), doc))
            elif isinstance(doc, SidecarError):
                plan.warnings.append(Skip(path=path, reason=f"sidecar {rel(companion)} {doc}; ignored"))
        plan.files.append(
            PlannedFile(path=path, name=found.name, size=found.size, meta=effective_meta(layers))
        )

    for name in sorted(names - used):
        if is_sidecar(name):
            plan.skipped.append(Skip(path=rel(name), reason="sidecar without a companion file"))
            plan.sidecars -= 1
    return plan


def batches(files: Sequence[PlannedFile], most: int = SMALL_BATCH_FILES) -> Iterator[list[PlannedFile]]:
    """Files in import order: consecutive small ones in batches of up to ``most`` files and
    ``SMALL_BATCH_BYTES`` bytes, each one over ``LARGE_FILE_BYTES`` alone (it streams)."""
    batch: list[PlannedFile] = []
    held = 0
    for item in files:
        if item.size > LARGE_FILE_BYTES:
            if batch:
                yield batch
                batch, held = [], 0
            yield [item]
            continue
        if batch and (len(batch) >= most or held + item.size > SMALL_BATCH_BYTES):
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += item.size
    if batch:
        yield batch
