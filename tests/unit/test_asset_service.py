"""AssetService and MetadataRunner against the in-memory fakes: ingest, dedupe, lists, links, purge."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import anyio
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.clock import FixedClock
from faceforge_domain.errors import Conflict, Invalid, NotFound
from faceforge_domain.events import EventFilter
from faceforge_domain.filetypes import MAX_FILENAME_CHARS
from faceforge_domain.metadata import MetadataError, MetadataState, exiftool_entry, skip_reason
from faceforge_domain.models import Asset, Entity
from faceforge_domain.paging import PageRequest
from faceforge_domain.services.assets import AssetPatch, AssetService, IngestOptions, IngestResult
from faceforge_domain.services.metadata import MetadataRunner

pytestmark = pytest.mark.anyio


class FakeExtractor:
    """Answers with canned output per file name; records what it was asked."""

    def __init__(self, outputs: dict[str, bytes | Exception], unavailable: str | None = None) -> None:
        self.outputs = outputs
        self.unavailable_reason = unavailable
        self.seen: list[str] = []
        self.warm_ups = 0

    async def warm_up(self) -> None:
        self.warm_ups += 1

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        self.seen += [asset.filename for asset in assets]
        return [self.outputs[asset.filename] for asset in assets]


class World:
    def __init__(self, extractor: FakeExtractor | None = None) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.store = InMemoryBlobStore()
        self.clock = FixedClock()
        self.metadata = MetadataRunner(self.uow, extractor, self.clock, workers=2)
        self.assets = AssetService(self.uow, self.store, self.clock, self.metadata)

    async def entity(self, name: str = "Ada") -> Entity:
        now = self.clock.now()
        entity = Entity(
            entity_id=hashlib.sha256(name.encode()).hexdigest(),
            display_name=name,
            created_at=now,
            updated_at=now,
        )
        async with self.uow.write() as uow:
            await uow.entities.add(entity)
            await uow.commit()
        return entity

    async def events(self) -> list[str]:
        """The types of every event recorded so far, oldest first."""
        async with self.uow.read() as uow:
            return [event.type for event in await uow.events.after(0, EventFilter(), limit=1000)]

    async def add(self, data: bytes, name: str = "a.jpg", **options: object) -> Asset:
        self.clock.advance(timedelta(milliseconds=5))
        result = await self.assets.ingest(chunks(data), IngestOptions(filename=name, **options))  # type: ignore[arg-type]
        return result.asset


async def chunks(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_ingest_records_hash_name_kind_and_mime() -> None:
    world = World()
    asset = await world.add(b"\x89PNG\r\n\x1a\n rest", "C:\\pics\\cat.png")
    assert asset.asset_id == hashlib.sha256(b"\x89PNG\r\n\x1a\n rest").hexdigest()
    assert (asset.filename, asset.kind, asset.mime_type) == ("cat.png", "image.original", "image/png")
    assert world.store.blobs[asset.asset_id] == b"\x89PNG\r\n\x1a\n rest"


async def test_same_bytes_twice_is_one_asset_with_both_names_and_merged_metadata() -> None:
    world = World()
    entity = await world.entity()
    first = await world.assets.ingest(
        chunks(b"same"), IngestOptions(filename="a.bin", user_metadata={"x": 1})
    )
    second = await world.assets.ingest(
        chunks(b"same"),
        IngestOptions(filename="b.bin", user_metadata={"y": 2}, entity_id=entity.entity_id, role="ref"),
    )
    assert (first.deduplicated, second.deduplicated) == (False, True)
    assert second.asset.filenames == ["a.bin", "b.bin"]
    assert second.asset.user_metadata == {"x": 1, "y": 2}
    assert world.uow.state.links == {(entity.entity_id, second.asset.asset_id): "ref"}
    assert len(world.store.blobs) == 1


async def test_records_written_together_keep_their_own_outcomes() -> None:
    world = World()
    ada = await world.entity("Ada")
    results: dict[str, IngestResult | Exception] = {}

    async def ingest(name: str, data: bytes, **options: str) -> None:
        try:
            results[name] = await world.assets.ingest(chunks(data), IngestOptions(filename=name, **options))
        except NotFound as exc:
            results[name] = exc

    # The writer is held while the ingests queue up (the task group's exit waits for them).
    async with anyio.create_task_group() as group, world.uow.write() as uow:
        for name, data, options in (
            ("first.jpg", b"first", {}),  # takes the next turn alone; the other three wait together
            ("linked.jpg", b"linked", {"entity_id": ada.entity_id}),
            ("same.jpg", b"same bytes", {}),
            ("again.jpg", b"same bytes", {}),
        ):
            group.start_soon(functools.partial(ingest, name, data, **options))
        await anyio.sleep(0.05)
        gone = await uow.entities.get(ada.entity_id)
        assert gone is not None
        gone.deleted_at = world.clock.now()  # the entity goes while their bytes were streaming
        await uow.entities.update(gone)
        await uow.commit()
    assert isinstance(results["first.jpg"], IngestResult)
    assert isinstance(results["linked.jpg"], NotFound)
    assert hashlib.sha256(b"linked").hexdigest() not in world.store.blobs  # its bytes were dropped
    same, again = results["same.jpg"], results["again.jpg"]
    assert isinstance(same, IngestResult)
    assert isinstance(again, IngestResult)
    assert same.asset.asset_id == again.asset.asset_id  # one asset, even within one transaction
    stored = await world.assets.get(same.asset.asset_id)
    assert sorted(stored.filenames) == ["again.jpg", "same.jpg"]
    assert sorted((same.deduplicated, again.deduplicated)) == [False, True]


async def test_reuploading_a_deleted_asset_restores_it() -> None:
    world = World()
    asset = await world.add(b"phoenix")
    await world.assets.delete(asset.asset_id)
    with pytest.raises(NotFound):
        await world.assets.get(asset.asset_id)
    await world.add(b"phoenix", "again.bin")
    assert (await world.assets.get(asset.asset_id)).deleted_at is None


async def test_options_resolved_after_the_stream_are_checked_before_publishing() -> None:
    world = World()

    def late() -> IngestOptions:
        return IngestOptions(filename="x.bin", entity_id="f" * 64)

    with pytest.raises(NotFound):
        await world.assets.ingest(chunks(b"never stored"), late)
    assert world.store.blobs == {}
    assert world.uow.state.assets == {}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "Bad Kind"}, "kind"),
        ({"entity_id": "nope"}, "entity_id"),
        ({"derived_from_asset_id": "nope"}, "derived_from_asset_id"),
        ({"role": "r" * 65}, "role"),
    ],
)
async def test_invalid_options_store_nothing(options: dict[str, str], field: str) -> None:
    world = World()
    with pytest.raises(Invalid) as caught:
        await world.add(b"data", **options)
    assert [e.field for e in caught.value.errors] == [field]
    assert world.store.blobs == {}


async def test_find_filters_and_pages_with_a_cursor() -> None:
    world = World()
    entity = await world.entity()
    await world.add(b"1", "one.jpg", kind="image.original")
    two = await world.add(b"2", "Two.PDF", entity_id=entity.entity_id)
    await world.add(b"3", "three.safetensors")
    await world.add(b"4", "four.jpg", kind="image.original")

    async def ids(**query: object) -> list[str]:
        page = await world.assets.find(AssetQuery.build(**query), PageRequest(limit=10))  # type: ignore[arg-type]
        return [a.filename for a in page.items]

    assert await ids(kind="image.original") == ["one.jpg", "four.jpg"]
    assert await ids(entity_id=entity.entity_id) == [two.filename]
    assert await ids(q="two") == ["Two.PDF"]
    assert await ids(kind="model.lora") == ["three.safetensors"]
    first = await world.assets.find(AssetQuery(), PageRequest(limit=3))
    assert first.total == 4
    assert first.next_cursor is not None
    rest = await world.assets.find(AssetQuery(), PageRequest(limit=3, cursor=first.next_cursor))
    assert [a.filename for a in first.items + rest.items] == [
        "one.jpg",
        "Two.PDF",
        "three.safetensors",
        "four.jpg",
    ]
    assert rest.next_cursor is None
    with pytest.raises(NotFound):
        await world.assets.find(AssetQuery.build(entity_id="e" * 64), PageRequest())


async def test_link_and_unlink_are_idempotent_and_check_ids() -> None:
    world = World()
    entity = await world.entity()
    asset = await world.add(b"linked")
    assert await world.assets.link(entity.entity_id, asset.asset_id, "avatar") is True
    assert await world.assets.link(entity.entity_id, asset.asset_id) is False
    assert await world.assets.unlink(entity.entity_id, asset.asset_id) is True
    assert await world.assets.unlink(entity.entity_id, asset.asset_id) is False
    with pytest.raises(NotFound):
        await world.assets.link("0" * 64, asset.asset_id)
    with pytest.raises(NotFound):
        await world.assets.unlink(entity.entity_id, "0" * 64)


async def test_purge_removes_only_deleted_unlinked_assets_and_their_bytes() -> None:
    world = World()
    entity = await world.entity()
    kept = await world.add(b"kept")
    linked = await world.add(b"linked", entity_id=entity.entity_id)
    gone = await world.add(b"gone")
    derived = await world.add(b"derived", derived_from_asset_id=gone.asset_id)
    for asset in (linked, gone):
        await world.assets.delete(asset.asset_id)
    report = await world.assets.purge()
    assert report.asset_ids == [gone.asset_id]
    assert report.bytes_freed == len(b"gone")
    assert set(world.store.blobs) == {kept.asset_id, linked.asset_id, derived.asset_id}
    assert (await world.assets.get(derived.asset_id)).derived_from_asset_id is None
    assert (await world.assets.purge()).asset_ids == []


async def test_patch_moves_updated_at_only_on_change() -> None:
    world = World()
    asset = await world.add(b"patch me")
    world.clock.advance()
    same = await world.assets.patch(asset.asset_id, AssetPatch(filename="a.jpg", owner=None))
    assert same.updated_at == asset.updated_at
    changed = await world.assets.patch(asset.asset_id, AssetPatch(owner="me"))
    assert changed.updated_at > asset.updated_at
    assert changed.owner == "me"
    assert await world.events() == ["asset.created", "asset.updated"]


async def test_patch_cleans_the_filename_and_keeps_every_name_once() -> None:
    world = World()
    asset = await world.add(b"renamed", "first.jpg")
    renamed = await world.assets.patch(asset.asset_id, AssetPatch(filename="C:\\photos\\second.jpg"))
    assert renamed.filename == "second.jpg"
    back = await world.assets.patch(asset.asset_id, AssetPatch(filename="first.jpg"))
    assert (back.filename, back.filenames) == ("first.jpg", ["first.jpg", "second.jpg"])
    assert (await world.assets.get(asset.asset_id)).filenames == ["first.jpg", "second.jpg"]


async def test_patch_merges_user_metadata_and_null_empties_it() -> None:
    world = World()
    asset = await world.add(b"meta", user_metadata={"a": 1, "b": {"c": 2, "d": 3}})
    merged = await world.assets.patch(
        asset.asset_id, AssetPatch(user_metadata={"a": None, "b": {"c": 5}, "e": "new"})
    )
    assert merged.user_metadata == {"b": {"c": 5, "d": 3}, "e": "new"}
    cleared = await world.assets.patch(asset.asset_id, AssetPatch(user_metadata=None, owner="x"))
    assert (cleared.user_metadata, cleared.owner) == ({}, "x")


async def test_patch_refuses_a_bad_kind_and_a_long_name_together_and_changes_nothing() -> None:
    world = World()
    asset = await world.add(b"strict")
    with pytest.raises(Invalid) as caught:
        await world.assets.patch(
            asset.asset_id, AssetPatch(kind="NOT OK", filename="x" * (MAX_FILENAME_CHARS + 1))
        )
    assert [e.field for e in caught.value.errors] == ["kind", "filename"]
    assert "lowercase words" in caught.value.errors[0].message
    assert await world.assets.get(asset.asset_id) == asset
    assert await world.events() == ["asset.created"]


async def test_patch_of_an_unknown_or_deleted_asset_is_not_found() -> None:
    world = World()
    asset = await world.add(b"gone soon")
    await world.assets.delete(asset.asset_id)
    for asset_id in (asset.asset_id, "0" * 64):
        with pytest.raises(NotFound):
            await world.assets.patch(asset_id, AssetPatch(owner="me"))


EXIF_OUT = msgspec.json.encode(
    [
        {
            "SourceFile": "/t/a.jpg",
            "System:FileName": "a.jpg",
            "File:FileType": "JPEG",
            "ExifTool:ExifToolVersion": 12.5,
        }
    ]
)


async def test_ingest_many_stores_each_file_and_refuses_only_the_bad_ones() -> None:
    """A bulk import's batch: each file is checked, stored and recorded as ``ingest`` would; a refused
    file leaves no bytes behind and does not stop the others."""
    world = World(FakeExtractor({"1.jpg": EXIF_OUT}))
    ada = await world.entity()
    first, bad_kind, again, no_entity = await world.assets.ingest_many(
        [
            (b"one", IngestOptions(filename="1.jpg", entity_id=ada.entity_id)),
            (b"two", IngestOptions(filename="2.jpg", kind="Not A Kind")),
            (b"one", IngestOptions(filename="1-again.jpg")),
            (b"three", IngestOptions(filename="3.jpg", entity_id="f" * 64)),
        ]
    )
    assert isinstance(first, IngestResult)
    assert isinstance(again, IngestResult)
    assert (first.deduplicated, again.deduplicated) == (False, True)
    assert again.asset.filenames == ["1.jpg", "1-again.jpg"]
    assert isinstance(bad_kind, Invalid)
    assert isinstance(no_entity, NotFound)
    assert set(world.store.blobs) == {first.asset.asset_id}
    assert world.uow.state.links == {(ada.entity_id, first.asset.asset_id): None}
    async with Running(world):
        await world.metadata.wait_idle()
    assert (await world.assets.get(first.asset.asset_id)).metadata_status == "done"


async def test_runner_records_done_failed_and_skipped() -> None:
    extractor = FakeExtractor({"a.jpg": EXIF_OUT, "b.jpg": MetadataError("exiftool took longer than 30 s")})
    world = World(extractor)
    async with Running(world):
        done = await world.add(b"a", "a.jpg")
        failed = await world.add(b"b", "b.jpg")
        skipped = await world.add(b"c", "c_meta.json")
        await world.metadata.wait_idle()
    done_asset = await world.assets.get(done.asset_id)
    assert done_asset.metadata_status == "done"
    assert done_asset.extracted_metadata == [
        {
            "Source": "ExifTool",
            "Type": "JsonMetadata",
            "Name": None,
            "NameHashes": None,
            "Data": {"SourceFile": "/t/a.jpg", "File:FileType": "JPEG"},
        }
    ]
    failed_asset = await world.assets.get(failed.asset_id)
    assert (failed_asset.metadata_status, failed_asset.metadata_reason) == (
        "failed",
        "exiftool took longer than 30 s",
    )
    assert (await world.assets.get(skipped.asset_id)).metadata_status == "skipped"
    assert sorted(extractor.seen) == ["a.jpg", "b.jpg"]  # the skipped name never reached the tool


async def test_runner_records_a_batch_in_one_go_leaving_out_what_needs_nothing() -> None:
    extractor = FakeExtractor({"a.jpg": EXIF_OUT, "b.jpg": MetadataError("exiftool stopped unexpectedly")})
    world = World(extractor)
    done = await world.add(b"a", "a.jpg")
    failed = await world.add(b"b", "b.jpg")
    skipped = await world.add(b"c", "c_meta.json")
    missing = "f" * 64
    statuses = await world.metadata.process([done.asset_id, missing, failed.asset_id, skipped.asset_id])
    assert statuses == {done.asset_id: "done", failed.asset_id: "failed", skipped.asset_id: "skipped"}
    assert (await world.assets.get(failed.asset_id)).metadata_reason == "exiftool stopped unexpectedly"
    assert await world.metadata.process([done.asset_id]) == {}  # no longer pending: nothing to do
    assert sorted(extractor.seen) == ["a.jpg", "b.jpg"]


async def test_listeners_hear_every_asset_the_runner_settles_with_its_recorded_outcome() -> None:
    """What was recorded comes with its status and reason; what was not (gone, no longer pending) as
    None, for the listener to look up; nothing reaches a listener once its block has ended."""
    world = World(FakeExtractor({"a.jpg": EXIF_OUT, "b.jpg": MetadataError("exiftool stopped unexpectedly")}))
    done = await world.add(b"a", "a.jpg")
    failed = await world.add(b"b", "b.jpg")
    missing = "f" * 64
    with world.metadata.listen() as feed:
        await world.metadata.process([done.asset_id, missing, failed.asset_id])
        await world.metadata.process([done.asset_id])  # no longer pending: settled, nothing recorded
        first, second = await feed.next(timeout_s=1), await feed.next(timeout_s=1)
        assert await feed.next(timeout_s=0.01) == {}  # nothing more was settled
    assert first == {
        done.asset_id: MetadataState("done", None),
        missing: None,
        failed.asset_id: MetadataState("failed", "exiftool stopped unexpectedly"),
    }
    assert second == {done.asset_id: None}
    later = await world.add(b"c", "c_meta.json")
    assert await world.metadata.process([later.asset_id]) == {later.asset_id: "skipped"}  # no one listens


async def test_an_asset_service_without_a_runner_offers_a_feed_that_stays_silent() -> None:
    assets = AssetService(InMemoryUnitOfWorkFactory(), InMemoryBlobStore(), FixedClock())
    with assets.metadata_outcomes() as feed:
        assert await feed.next(timeout_s=0.01) == {}


async def test_an_unexpected_crash_leaves_that_asset_pending_and_the_batch_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World(FakeExtractor({"a.jpg": EXIF_OUT, "bug.jpg": RuntimeError("a bug")}))
    done = await world.add(b"a", "a.jpg")
    bug = await world.add(b"b", "bug.jpg")
    statuses = await world.metadata.process([done.asset_id, bug.asset_id])
    assert statuses == {done.asset_id: "done"}
    assert (await world.assets.get(bug.asset_id)).metadata_status == "pending"  # retried at the next start
    crashed = [r for r in caplog.records if r.__dict__.get("event") == "metadata.error"]
    assert [r.__dict__["asset_id"] for r in crashed] == [bug.asset_id]


async def test_only_a_usable_extractor_is_warmed_up() -> None:
    usable, unusable = FakeExtractor({}), FakeExtractor({}, unavailable="exiftool is disabled")
    for extractor in (usable, unusable):
        await World(extractor).assets.warm_up_metadata()
    assert (usable.warm_ups, unusable.warm_ups) == (1, 0)
    await World().assets.warm_up_metadata()  # no extractor at all: nothing to ready


async def test_runner_without_a_usable_extractor_skips_with_its_reason() -> None:
    world = World(FakeExtractor({}, unavailable="exiftool is disabled"))
    async with Running(world):
        asset = await world.add(b"z", "z.jpg")
        await world.metadata.wait_idle()
    stored = await world.assets.get(asset.asset_id)
    assert (stored.metadata_status, stored.metadata_reason) == ("skipped", "exiftool is disabled")


class BatchRecorder(FakeExtractor):
    """Also records the size of every batch it is asked for."""

    def __init__(self) -> None:
        super().__init__({})
        self.batches: list[int] = []

    async def extract_many(self, assets: Sequence[Asset]) -> list[bytes | Exception]:
        self.batches.append(len(assets))
        return [EXIF_OUT for _ in assets]


async def test_assets_arriving_one_by_one_are_gathered_into_one_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Files trickling in (a bulk import) fill one batch, not one batch per idle consumer; the start and
    the finish of the batch are each one structured event naming every asset."""
    extractor = BatchRecorder()
    world = World()
    world.metadata = MetadataRunner(world.uow, extractor, world.clock, workers=2, batch=8, gather_s=0.5)
    world.assets = AssetService(world.uow, world.store, world.clock, world.metadata)
    caplog.set_level("INFO", "faceforge.metadata")
    async with Running(world):
        added = []
        for n in range(11):
            added.append(await world.add(bytes([n]), f"{n}.jpg"))
            await anyio.sleep(0.001)
        await world.metadata.wait_idle()
    assert extractor.batches == [8, 3]  # full at 8; the rest once the gathering time ran out
    ids = [asset.asset_id for asset in added]
    events = {r.__dict__["event"]: r.__dict__ for r in caplog.records if "event" in r.__dict__}
    started = [r.__dict__["asset_ids"] for r in caplog.records if r.__dict__.get("event") == "metadata.start"]
    done = [r.__dict__["asset_ids"] for r in caplog.records if r.__dict__.get("event") == "metadata.done"]
    assert started == done == [ids[:8], ids[8:]]
    assert isinstance(events["metadata.done"]["duration_ms"], float)


class Running:
    """Runs the world's metadata runner for the block."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def __aenter__(self) -> None:
        self.group = anyio.create_task_group()
        await self.group.__aenter__()
        await self.group.start(self.world.metadata.run)

    async def __aexit__(self, *exc: object) -> None:
        self.group.cancel_scope.cancel()
        await self.group.__aexit__(None, None, None)


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (b"", "printed nothing"),
        (b"not json", "invalid JSON"),
        (b"[1, 2]", "one JSON object"),
        (b'[{"SourceFile": "x", "System:FileName": "x"}]', "no metadata"),
    ],
)
def test_exiftool_entry_rejects_unusable_output(output: bytes, reason: str) -> None:
    with pytest.raises(MetadataError, match=reason):
        exiftool_entry(output)


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        ("a_meta.json", True),
        ("A_DirectoryMeta.Json", True),
        ("meta.json", False),
        ("video.cover", True),
        ("x.thumbnail", True),
        ("x.thumbs", True),
        ("x.thumbdb", True),
        ("x.thumbindex", True),
        ("thumbs.db", True),
        ("Thumb.db", True),
        ("mythumbs.db", False),
        ("thumbnail.jpg", False),
        ("photo.jpg", False),
    ],
)
def test_skip_patterns(name: str, skipped: bool) -> None:
    assert (skip_reason(name) is not None) is skipped


@settings(max_examples=50)
@given(st.binary(max_size=300), st.integers(1, 64))
async def test_any_chunking_gives_the_same_asset(data: bytes, size: int) -> None:
    world = World()
    result = await world.assets.ingest(chunks(data, size), IngestOptions(filename="h.bin"))
    assert result.asset.asset_id == hashlib.sha256(data).hexdigest()
    assert result.asset.size_bytes == len(data)


async def test_delete_forever_unlinks_a_trashed_asset_and_removes_record_and_bytes() -> None:
    world = World()
    entity = await world.entity()
    asset = await world.add(b"forever", "f.bin")
    await world.assets.link(entity.entity_id, asset.asset_id)
    with pytest.raises(Conflict):  # not in the trash yet: refused, nothing changed
        await world.assets.delete_forever(asset.asset_id)
    assert world.store.blobs[asset.asset_id] == b"forever"
    await world.assets.delete(asset.asset_id)
    report = await world.assets.delete_forever(asset.asset_id)
    assert (report.asset_ids, report.bytes_freed) == ([asset.asset_id], len(b"forever"))
    assert asset.asset_id not in world.store.blobs
    assert world.uow.state.links == {}
    assert asset.asset_id not in world.uow.state.assets
    assert (await world.events())[-2:] == ["asset.unlinked", "asset.purged"]
    with pytest.raises(NotFound):
        await world.assets.delete_forever(asset.asset_id)
