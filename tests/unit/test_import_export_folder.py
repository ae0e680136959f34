"""A bulk import of an export folder against the fakes: the records are restored by id before the files,
bad lines are warnings, the export's own files are never assets, and each file gets its exported record."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
import pytest
from jobs_support import TickingClock, make_service

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_adapters.memory.imports import ROOT, InMemoryImportSource
from faceforge_domain.export.models import (
    ExportCounts,
    ExportedAsset,
    ExportManifest,
    ExportSidecar,
    LinkRecord,
)
from faceforge_domain.export.restore import ExportRecordsRestore
from faceforge_domain.imports.handler import BulkImport
from faceforge_domain.imports.models import JOB_TYPE
from faceforge_domain.jobs.executor import JobExecutor
from faceforge_domain.jobs.service import JobService
from faceforge_domain.models import Descriptor, Entity, Relationship
from faceforge_domain.services.assets import AssetService, IngestOptions
from faceforge_domain.services.entities import EntityService

pytestmark = pytest.mark.anyio
THEN = datetime(2020, 5, 4, 3, 2, 1, 123000, tzinfo=UTC)
ADA, BOB, NOBODY = "a" * 64, "b" * 64, "c" * 64
PHOTO = b"\xff\xd8\xff a photo"


def lines(*records: msgspec.Struct | bytes) -> bytes:
    return b"".join((r if isinstance(r, bytes) else msgspec.json.encode(r)) + b"\n" for r in records)


def export_folder(photo_id: str) -> dict[str, bytes]:
    ada = Entity(
        entity_id=ADA, display_name="Ada", aliases=["A"], tags=["math"], created_at=THEN, updated_at=THEN
    )
    bob = Entity(entity_id=BOB, display_name="Bob", created_at=THEN, updated_at=THEN)
    record = ExportedAsset(
        asset_id=photo_id,
        kind="photo.scan",
        mime_type="image/jpeg",
        size_bytes=len(PHOTO),
        filename="IMG?1.jpg",
        filenames=["IMG?1.jpg", "old.jpg"],
        owner="ada",
        user_metadata={"tags": ["beach"]},
        created_at=THEN,
        updated_at=THEN,
        path="Ada/IMG_1.jpg",
        links=[
            LinkRecord(entity_id=ADA, display_name="Ada", role="portrait"),
            LinkRecord(entity_id=BOB, display_name="Bob"),
        ],
    )
    manifest = ExportManifest(
        faceforge_version="1", created_at="2020-05-04T03:02:01.123Z", counts=ExportCounts()
    )
    return {
        "manifest.json": msgspec.json.encode(manifest),
        "fields.jsonl": b"",
        "entities.jsonl": lines(ada, b'{"not": "an entity"}', bob),
        "descriptors.jsonl": lines(
            Descriptor(
                descriptor_id="d" * 64,
                entity_id=ADA,
                field_key="eye",
                value="brown",
                created_at=THEN,
                updated_at=THEN,
            ),
            Descriptor(
                descriptor_id="e" * 64,
                entity_id=NOBODY,
                field_key="eye",
                value="x",
                created_at=THEN,
                updated_at=THEN,
            ),
        ),
        "relationships.jsonl": lines(
            Relationship(
                relationship_id="f" * 64,
                src_entity_id=ADA,
                dst_entity_id=BOB,
                type="knows",
                created_at=THEN,
                updated_at=THEN,
            )
        ),
        "assets.jsonl": lines(record),
        "Ada/IMG_1.jpg": PHOTO,
        "Ada/IMG_1.jpg.faceforge.json": msgspec.json.encode(ExportSidecar(asset=record, tags=["beach"])),
    }


@dataclass
class World:
    service: JobService
    units: InMemoryUnitOfWorkFactory
    assets: AssetService

    async def run(self) -> list[str]:
        job = await self.service.create(JOB_TYPE, {"path": ROOT})
        claimed = await self.service.claim_next()
        assert claimed is not None
        ended = await JobExecutor(self.service, 1).run_job(claimed)
        log = [f"{e.level}: {e.message}" for e in (await self.service.log(job.job_id, limit=1000)).items]
        assert ended.status == "succeeded", log
        assert ended.result is not None
        assert (ended.result["imported"] + ended.result["duplicates"], ended.result["failed"]) == (1, 0)
        assert ended.result["sidecars"] == 7  # the manifest, five record files, one sidecar: no asset
        return log


@pytest.fixture
def world() -> World:
    clock = TickingClock()
    service, units, _ = make_service()
    assets = AssetService(units, InMemoryBlobStore(), clock)
    source = InMemoryImportSource(export_folder(hashlib.sha256(PHOTO).hexdigest()))
    bulk = BulkImport(
        source,
        assets,
        EntityService(units, clock),
        clock,
        wait_for_metadata=False,
        export_records=ExportRecordsRestore(units),
    )
    service.registry.register(JOB_TYPE, bulk, validate=bulk.validate, resumable=True)
    return World(service, units, assets)


async def test_an_export_folder_restores_its_records_then_its_files_with_their_records(world: World) -> None:
    # the second time finds everything there and changes nothing
    logs = [await world.run(), await world.run()]

    state = world.units.state
    assert state.entities[ADA].aliases == ["A"]
    assert state.entities[ADA].created_at == THEN
    assert set(state.entities) == {ADA, BOB}
    assert set(state.descriptors) == {"d" * 64}
    assert set(state.relationships) == {"f" * 64}
    [asset] = state.assets.values()
    assert (asset.filename, asset.filenames, asset.kind, asset.owner) == (
        "IMG?1.jpg",
        ["IMG?1.jpg", "old.jpg"],
        "photo.scan",
        "ada",
    )
    assert asset.user_metadata == {"tags": ["beach"]}
    assert asset.created_at == THEN
    assert {(e, a): r for (e, a), r in state.links.items()} == {
        (ADA, asset.asset_id): "portrait",
        (BOB, asset.asset_id): None,
    }
    first, second = logs
    assert any(line.startswith("warning: entities.jsonl line 2: not a record") for line in first)
    assert any(line.startswith("warning: descriptors.jsonl line 2: refused") for line in first)
    assert "info: entities.jsonl: 2 restored, 0 already there, 1 refused" in first
    assert "info: entities.jsonl: 0 restored, 2 already there, 1 refused" in second


async def test_a_file_the_library_holds_already_keeps_its_record_and_gains_the_exported_names(
    world: World,
) -> None:
    async def photo() -> AsyncIterator[bytes]:
        yield PHOTO

    mine = (await world.assets.ingest(photo(), IngestOptions(filename="mine.jpg"))).asset

    await world.run()

    [asset] = world.units.state.assets.values()
    assert (asset.filename, asset.filenames) == ("mine.jpg", ["mine.jpg", "IMG?1.jpg", "old.jpg"])
    assert asset.created_at == mine.created_at != THEN
    assert asset.user_metadata == {"tags": ["beach"]}  # the export's metadata joins (none was there)
