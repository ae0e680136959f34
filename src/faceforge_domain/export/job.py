"""The ``core.export`` job: the library as plain files, JSON Lines and sidecars, for leaving or integrating.

Order is what keeps an export honest: the old manifest goes first, then the files (each written
aside and renamed once complete, checked against its hash), their sidecars, the record files, a sweep
of what an earlier export left that no longer belongs, and the manifest last, atomically. A re-run
into the same folder finds the files already there with the right size and hash and does not write
them again, which is how an interrupted export resumes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.backup.workers import side_by_side
from faceforge_domain.clock import Clock
from faceforge_domain.errors import DomainError, InsufficientStorage
from faceforge_domain.export.layout import Placed, place_files
from faceforge_domain.export.models import (
    ASSETS,
    DESCRIPTORS,
    ENTITIES,
    FIELDS,
    JOB_TYPE,
    RELATIONSHIPS,
    ExportCounts,
    ExportedAsset,
    ExportInput,
    ExportManifest,
    ExportSidecar,
    LinkRecord,
    SidecarDescriptor,
)
from faceforge_domain.export.ports import ExportTarget, ExportTargets
from faceforge_domain.ids import ContentHasher
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter
from faceforge_domain.jobs.registry import JobRegistry
from faceforge_domain.models import Asset, Descriptor, Entity, FieldDefinition, Relationship
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.queries import EntityQuery, RelationshipQuery
from faceforge_domain.services.assets import AssetService
from faceforge_domain.timefmt import format_timestamp

WRITE_WORKERS = 4
READ_PAGE = 500
LINES_PER_CHUNK = 1000
REMOVED_EXAMPLES = 20  # paths a log entry names of the files a re-run removed; the rest are counted


class ExportIncomplete(DomainError):
    """Some files could not be read from the store: the export was not published."""

    code = "damaged"


@dataclass(slots=True)
class Library:
    """The live records, read in one snapshot."""

    fields: list[FieldDefinition] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    descriptors: list[Descriptor] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    assets: list[tuple[Asset, list[LinkRecord]]] = field(default_factory=list)


@dataclass(slots=True)
class Tally:
    files_total: int
    bytes_total: int
    files_done: int = 0
    bytes_done: int = 0
    written: int = 0
    already_there: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


async def read_library(units: UnitOfWorkFactory) -> Library:
    """Every field definition; every live entity, descriptor, relationship and asset (previews left
    out: Core makes them again), and each asset's links to live entities. Descriptors and
    relationships of entities that are not exported (soft-deleted ones) are left out with them."""
    library = Library()
    async with units.read() as uow:
        library.fields = await uow.field_defs.all()
        library.entities = await _all(lambda o: uow.entities.search(EntityQuery(), limit=READ_PAGE, offset=o))
        live = {e.entity_id: e for e in library.entities}
        descriptors = await _all(lambda o: uow.descriptors.select(None, limit=READ_PAGE, offset=o))
        library.descriptors = [d for d in descriptors if d.entity_id in live]
        relationships = await _all(
            lambda o: uow.relationships.search(RelationshipQuery(), limit=READ_PAGE, offset=o)
        )
        library.relationships = [
            r for r in relationships if r.src_entity_id in live and r.dst_entity_id in live
        ]
        for asset in await _all(lambda o: uow.assets.find(AssetQuery(), limit=READ_PAGE, offset=o)):
            linked = await _all(
                lambda o, a=asset.asset_id: uow.assets.linked_entities(
                    a, include_deleted=False, limit=READ_PAGE, offset=o
                )
            )
            links = [
                LinkRecord(entity_id=e.entity.entity_id, display_name=e.entity.display_name, role=e.role)
                for e in linked
            ]
            library.assets.append((asset, links))
    return library


async def _all(page: Any) -> list[Any]:
    """Every row of an offset-paged read."""
    rows: list[Any] = []
    while batch := await page(len(rows)):
        rows.extend(batch)
        if len(batch) < READ_PAGE:
            break
    return rows


def exported(placed: Placed) -> ExportedAsset:
    asset = placed.asset
    return ExportedAsset(
        asset_id=asset.asset_id,
        kind=asset.kind,
        mime_type=asset.mime_type,
        size_bytes=asset.size_bytes,
        filename=asset.filename,
        filenames=asset.filenames,
        owner=asset.owner,
        user_metadata=asset.user_metadata,
        created_at=asset.created_at,
        updated_at=asset.updated_at,
        path=placed.path,
        links=placed.links,
    )


def sidecar_of(record: ExportedAsset, descriptors: dict[str, list[Descriptor]]) -> ExportSidecar:
    tags = record.user_metadata.get("tags")
    return ExportSidecar(
        asset=record,
        tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        descriptors=[
            SidecarDescriptor(
                descriptor_id=d.descriptor_id, entity_id=d.entity_id, field_key=d.field_key, value=d.value
            )
            for link in record.links
            for d in descriptors.get(link.entity_id, [])
        ],
    )


async def json_lines(records: Iterable[msgspec.Struct]) -> AsyncIterator[bytes]:
    """Records as JSON Lines, ``LINES_PER_CHUNK`` to a chunk."""
    encoder, buffer, count = msgspec.json.Encoder(), bytearray(), 0
    for record in records:
        encoder.encode_into(record, buffer, len(buffer))
        buffer += b"\n"
        count += 1
        if count == LINES_PER_CHUNK:
            yield bytes(buffer)
            buffer, count = bytearray(), 0
    if buffer:
        yield bytes(buffer)


def content_hash(data: bytes) -> str:
    hasher = ContentHasher()
    hasher.update(data)
    return hasher.hexdigest()


async def one_piece(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def write_records(target: ExportTarget, library: Library, assets: list[ExportedAsset]) -> list[str]:
    """The ``.jsonl`` files, returning their names."""
    await target.put(FIELDS, json_lines(library.fields))
    await target.put(ENTITIES, json_lines(library.entities))
    await target.put(DESCRIPTORS, json_lines(library.descriptors))
    await target.put(RELATIONSHIPS, json_lines(library.relationships))
    await target.put(ASSETS, json_lines(assets))
    return [FIELDS, ENTITIES, DESCRIPTORS, RELATIONSHIPS, ASSETS]


class Export:
    """Runs export jobs (the ``JobHandler``)."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        assets: AssetService,
        targets: ExportTargets,
        clock: Clock,
        *,
        version: str,
        workers: int = WRITE_WORKERS,
    ) -> None:
        self._units = units
        self._assets = assets
        self._targets = targets
        self._clock = clock
        self._version = version
        self._workers = workers

    async def validate(self, raw: JsonObject) -> JsonObject:
        options = convert_job_input(raw, ExportInput)
        self._targets.check(options.target)
        return msgspec.to_builtins(options)  # type: ignore[no-any-return]

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = convert_job_input(job.input, ExportInput)
        async with self._targets.for_writing(options.target) as target:
            if await target.unpublish():
                ctx.log("info", "bringing an earlier export up to date", {"target": target.where})
            ctx.progress(step="reading records")
            library = await read_library(self._units)
            placed = place_files(library.entities, library.assets)
            tally = Tally(files_total=len(placed), bytes_total=sum(p.asset.size_bytes for p in placed))
            ctx.progress(
                step="writing files",
                current=0,
                total=tally.files_total,
                bytes_current=0,
                bytes_total=tally.bytes_total,
            )
            records = [exported(p) for p in placed]
            by_entity: dict[str, list[Descriptor]] = {}
            for descriptor in library.descriptors:
                by_entity.setdefault(descriptor.entity_id, []).append(descriptor)
            await side_by_side(
                zip(placed, records, strict=True),
                self._workers,
                lambda pair: self._write_file(target, pair[0], sidecar_of(pair[1], by_entity), tally, ctx),
            )
            if tally.failures:
                raise ExportIncomplete(
                    f"{len(tally.failures)} file(s) could not be exported; the export was not published "
                    f"(first: asset {tally.failures[0][0]}: {tally.failures[0][1]})",
                    {"failures": [{"asset_id": a, "error": e} for a, e in tally.failures]},
                )
            ctx.progress(step="writing records")
            files = await write_records(target, library, records)
            files += [name for p in placed for name in (p.path, p.sidecar)]
            removed = await target.sweep(files)
            if removed:
                ctx.log(
                    "info",
                    f"removed {len(removed)} file(s) an earlier export left",
                    {"removed": removed[:REMOVED_EXAMPLES], "count": len(removed)},
                )
            counts = ExportCounts(
                fields=len(library.fields),
                entities=len(library.entities),
                descriptors=len(library.descriptors),
                relationships=len(library.relationships),
                assets=len(placed),
                bytes=tally.bytes_total,
            )
            manifest = ExportManifest(
                faceforge_version=self._version,
                created_at=format_timestamp(self._clock.now()),
                counts=counts,
            )
            await target.publish(msgspec.json.format(msgspec.json.encode(manifest), indent=1))
        ctx.progress(step="done")
        return {
            "target": target.where,
            **msgspec.to_builtins(counts),
            "written": tally.written,
            "already_there": tally.already_there,
            "removed": len(removed),
        }

    async def _write_file(
        self, target: ExportTarget, placed: Placed, sidecar: ExportSidecar, tally: Tally, ctx: JobReporter
    ) -> None:
        await ctx.checkpoint()
        asset = placed.asset
        there = await target.holds(placed.path, asset.asset_id, asset.size_bytes)
        if there:
            tally.already_there += 1
        else:
            try:
                await target.put(placed.path, self._watched(asset, ctx), sha256=asset.asset_id)
            except InsufficientStorage:
                raise  # the target is full: nothing more can be written
            except (DomainError, OSError) as exc:
                tally.failures.append((asset.asset_id, str(exc)))
                ctx.log(
                    "error",
                    f"{placed.path}: not exported: {exc}",
                    {"asset_id": asset.asset_id, "path": placed.path, "error": str(exc)},
                )
                return
            tally.written += 1
        document = msgspec.json.format(msgspec.json.encode(sidecar), indent=1)
        digest = content_hash(document)
        if not (there and await target.holds(placed.sidecar, digest, len(document))):
            await target.put(placed.sidecar, one_piece(document), sha256=digest)
        tally.files_done += 1
        tally.bytes_done += asset.size_bytes
        ctx.progress(current=tally.files_done, bytes_current=tally.bytes_done)

    async def _watched(self, asset: Asset, ctx: JobReporter) -> AsyncIterator[bytes]:
        async for chunk in self._assets.read(asset):
            ctx.raise_if_canceled()  # cancel mid-file: the target drops the partial file
            yield chunk


def register_export(registry: JobRegistry, handler: Export) -> None:
    """Make ``core.export`` startable; a run the process lost is started again by recovery, and skips
    every file already written."""
    registry.register(
        JOB_TYPE,
        handler,
        validate=handler.validate,
        resumable=True,
        description="Export entities, records and files to a folder that faceforge import reads back.",
    )
