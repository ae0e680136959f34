"""Reading an export back: the manifest that says a folder is one, and its records restored by id.

A bulk import of an export folder first restores the field definitions and the entities, then the
descriptors and the relationships, each with the id, values and times it had; a record the library
already holds (same id, or for a field definition the same scope and key) is left as it is, so
importing the same export twice changes nothing. A line that is not a record of its kind, or that
the library refuses (a descriptor of an entity it does not hold), is a warning naming the file and
line, and the rest goes on. Files come after, through the import itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TypeVar

import msgspec

from faceforge_domain.errors import DomainError
from faceforge_domain.export.models import (
    DESCRIPTORS,
    ENTITIES,
    FIELDS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    RELATIONSHIPS,
    ExportManifest,
)
from faceforge_domain.imports.ports import ImportSource
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.models import Descriptor, Entity, FieldDefinition, Relationship
from faceforge_domain.ports import UnitOfWorkFactory

MAX_MANIFEST_BYTES = 1024 * 1024
R = TypeVar("R", FieldDefinition, Entity, Descriptor, Relationship)


class NotAnExport(DomainError):
    """A ``manifest.json`` that claims a newer export format than this FaceForge reads."""

    code = "validation_error"


async def export_manifest(source: ImportSource, root: str) -> ExportManifest | None:
    """The export manifest at the top of ``root``, or None when the folder is not a finished export
    (no ``manifest.json``, or one of something else)."""
    try:
        raw = await source.read_small(root, MANIFEST, MAX_MANIFEST_BYTES, follow_symlinks=False)
    except (OSError, ValueError):
        return None
    try:
        head = msgspec.json.decode(raw, type=dict[str, object])
    except msgspec.DecodeError:
        return None
    if head.get("format") != FORMAT:
        return None
    version = head.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise NotAnExport(
            f"{MANIFEST} is export format {version}; this FaceForge reads up to {FORMAT_VERSION}"
        )
    try:
        return msgspec.json.decode(raw, type=ExportManifest)
    except msgspec.ValidationError:
        return None


@dataclass(slots=True)
class Restored:
    """Per kind of record: how many were added and how many the library held already."""

    added: int = 0
    present: int = 0
    refused: int = 0


async def lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The non-empty lines of a byte stream."""
    rest = b""
    async for chunk in chunks:
        *whole, rest = (rest + chunk).split(b"\n")
        for line in whole:
            if line.strip():
                yield line
    if rest.strip():
        yield rest


class ExportRecordsRestore:
    """Restores an export's records into the library, through one unit of work per record."""

    def __init__(self, units: UnitOfWorkFactory) -> None:
        self._units = units

    async def restore(self, source: ImportSource, root: str, ctx: JobReporter) -> dict[str, Restored]:
        return {
            FIELDS: await self._restore(source, root, FIELDS, FieldDefinition, ctx),
            ENTITIES: await self._restore(source, root, ENTITIES, Entity, ctx),
            DESCRIPTORS: await self._restore(source, root, DESCRIPTORS, Descriptor, ctx),
            RELATIONSHIPS: await self._restore(source, root, RELATIONSHIPS, Relationship, ctx),
        }

    async def _restore(
        self, source: ImportSource, root: str, name: str, kind: type[R], ctx: JobReporter
    ) -> Restored:
        done = Restored()
        decoder = msgspec.json.Decoder(kind)
        number = 0
        try:
            async for line in lines(source.open(root, name, follow_symlinks=False)):
                number += 1
                await ctx.checkpoint()
                try:
                    record = decoder.decode(line)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    done.refused += 1
                    ctx.log("warning", f"{name} line {number}: not a record ({exc}); skipped", {"path": name})
                    continue
                try:
                    added = await self._add(record)
                except DomainError as exc:
                    done.refused += 1
                    ctx.log("warning", f"{name} line {number}: refused ({exc}); skipped", {"path": name})
                    continue
                if added:
                    done.added += 1
                else:
                    done.present += 1
        except OSError as exc:
            ctx.log("error", f"{name}: could not be read ({exc.strerror or exc})", {"path": name})
        ctx.log(
            "info",
            f"{name}: {done.added} restored, {done.present} already there, {done.refused} refused",
            {"path": name, "added": done.added, "present": done.present, "refused": done.refused},
        )
        return done

    async def _add(self, record: FieldDefinition | Entity | Descriptor | Relationship) -> bool:
        """Add the record unless its id is taken; False when it was."""
        async with self._units.write() as uow:
            if isinstance(record, FieldDefinition):
                if await uow.field_defs.get(record.scope, record.field_key) is not None:
                    return False
                await uow.field_defs.add(record)
            elif isinstance(record, Entity):
                if await uow.entities.get(record.entity_id, include_deleted=True) is not None:
                    return False
                await uow.entities.add(record)
            elif isinstance(record, Descriptor):
                if await uow.descriptors.get(record.descriptor_id, include_deleted=True) is not None:
                    return False
                if await uow.entities.get(record.entity_id) is None:
                    raise DomainError(f"its entity {record.entity_id} is not in the library")
                await uow.descriptors.add(record)
            else:
                if await uow.relationships.get(record.relationship_id, include_deleted=True) is not None:
                    return False
                for end in (record.src_entity_id, record.dst_entity_id):
                    if await uow.entities.get(end) is None:
                        raise DomainError(f"its entity {end} is not in the library")
                await uow.relationships.add(record)
            await uow.commit()
        return True
