"""Asset use cases: ingest a byte stream once, list, read, link, soft delete and purge.

Ingest streams the bytes into the store, hashing them in the same pass; the store makes them visible
only once complete and synced. The options (entity to link, sidecar metadata...) are checked before
the bytes are published, so a bad upload leaves nothing behind.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, NamedTuple

import anyio
import msgspec

from faceforge_domain.asset_query import LINKED_ENTITIES_SORT, TOTAL_CAP, AssetQuery, sort_value
from faceforge_domain.clock import Clock
from faceforge_domain.content_check import ContentAnswer, ContentClaim, answers, checked_claims
from faceforge_domain.errors import DomainError, FieldError, Invalid, NotFound
from faceforge_domain.events import record, record_many
from faceforge_domain.export.models import ExportedAsset
from faceforge_domain.filetypes import (
    KIND_PATTERN,
    KIND_RULE,
    MAX_KIND,
    SNIFF_BYTES,
    check_filename,
    clean_filename,
    infer_kind,
    sniff_mime,
)
from faceforge_domain.ids import is_id
from faceforge_domain.jsonlimits import check_json, require_json
from faceforge_domain.mergepatch import merge_patch
from faceforge_domain.metadata import MetadataState
from faceforge_domain.models import (
    Asset,
    JsonObject,
    LinkedEntity,
    LocalFile,
    Payload,
    StorageLocation,
    StoredBlob,
)
from faceforge_domain.paging import Cursor, PageRequest, PageResult, decode_cursor, page_of
from faceforge_domain.ports import BlobStore, StorageSpace, UnitOfWork, UnitOfWorkFactory
from faceforge_domain.previews import PREVIEW_KIND, PreviewQueue, PreviewRecord
from faceforge_domain.queries import KeysetPosition
from faceforge_domain.selection import MISSING_OR_TRASHED, Selection
from faceforge_domain.services import main_picture
from faceforge_domain.services.group_commit import GroupCommit
from faceforge_domain.services.metadata import MetadataRunner, OutcomeFeed, silent_feed
from faceforge_domain.services.soft_delete import SoftDelete
from faceforge_domain.timefmt import format_timestamp

log = logging.getLogger("faceforge.assets")

MAX_ROLE = 64


class IngestOptions(msgspec.Struct, kw_only=True):
    """What comes with the bytes: the name they were uploaded under and what to do with them."""

    filename: str
    kind: str | None = None
    entity_id: str | None = None
    role: str | None = None
    derived_from_asset_id: str | None = None
    user_metadata: JsonObject | None = None


class IngestResult:
    """The asset and whether its bytes were already known."""

    __slots__ = ("asset", "deduplicated")

    def __init__(self, asset: Asset, *, deduplicated: bool) -> None:
        self.asset = asset
        self.deduplicated = deduplicated


class _RecordRequest(NamedTuple):
    """A blob now durable in the store, waiting for its asset record."""

    blob: StoredBlob
    options: IngestOptions
    head: bytes


class _RecordBatch:
    """What one group commit writes: new assets, changed ones and their events, in request order.

    An asset seen twice in the batch (the same bytes uploaded side by side) is created once and
    gains the second name; each caller keeps its own snapshot of the record.
    """

    def __init__(self, stored: dict[str, Asset], now: datetime) -> None:
        self.assets = stored  # known before the batch, or added by it
        self.now = now
        self.added: dict[str, Asset] = {}
        self.changed: dict[str, Asset] = {}
        self.events: list[tuple[str, str | None, dict[str, Any] | None]] = []
        self._handed_out: set[str] = set()

    def record(self, request: _RecordRequest) -> IngestResult:
        blob, options, head = request
        existing = self.assets.get(blob.sha256)
        if existing is None:
            asset = self._new_asset(blob, options, head)
            self.events.append(
                (
                    "asset.created",
                    asset.asset_id,
                    {"kind": asset.kind, "size_bytes": asset.size_bytes, "filename": asset.filename},
                )
            )
        else:
            asset = self._own(existing)
            if _merge_upload(asset, options):
                asset.updated_at = self.now
                if asset.asset_id not in self.added:
                    self.changed[asset.asset_id] = asset
                self.events.append(("asset.updated", asset.asset_id, {"filename": options.filename}))
        self._handed_out.add(asset.asset_id)
        return IngestResult(asset, deduplicated=existing is not None)

    def _new_asset(self, blob: StoredBlob, options: IngestOptions, head: bytes) -> Asset:
        name = options.filename
        mime = sniff_mime(head, name)
        asset = Asset(
            asset_id=blob.sha256,
            kind=options.kind or infer_kind(mime, name),
            mime_type=mime,
            size_bytes=blob.size_bytes,
            filename=name,
            filenames=[name],
            storage=blob.location,
            derived_from_asset_id=options.derived_from_asset_id,
            user_metadata=options.user_metadata or {},
            created_at=self.now,
            updated_at=self.now,
        )
        self.assets[asset.asset_id] = self.added[asset.asset_id] = asset
        return asset

    def _own(self, asset: Asset) -> Asset:
        """The record to change: a copy when an earlier caller in the batch holds this one."""
        if asset.asset_id not in self._handed_out:
            return asset
        mine = copy.deepcopy(asset)
        self.assets[asset.asset_id] = mine
        for pending in (self.added, self.changed):
            if asset.asset_id in pending:
                pending[asset.asset_id] = mine
        return mine


def _merge_upload(asset: Asset, options: IngestOptions) -> bool:
    """Apply a new upload of the same bytes to their record; True when something changed."""
    before = msgspec.to_builtins(asset)
    if options.filename not in asset.filenames:
        asset.filenames.append(options.filename)
    if options.user_metadata:
        asset.user_metadata = {**asset.user_metadata, **options.user_metadata}
    if asset.derived_from_asset_id is None and options.derived_from_asset_id != asset.asset_id:
        asset.derived_from_asset_id = options.derived_from_asset_id
    asset.deleted_at = None  # uploading it again brings it back
    return bool(msgspec.to_builtins(asset) != before)


class AssetPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """JSON merge patch of an asset: only the keys sent change; ``null`` clears an optional one."""

    kind: str | msgspec.UnsetType = msgspec.UNSET
    filename: str | msgspec.UnsetType = msgspec.UNSET
    owner: str | msgspec.UnsetType | None = msgspec.UNSET
    user_metadata: JsonObject | msgspec.UnsetType | None = msgspec.UNSET


def _apply_patch(asset: Asset, changes: AssetPatch) -> None:
    """``changes`` (checked) applied to ``asset``: a new file name joins the names the asset was known
    by, and ``user_metadata`` merges key by key (``null`` empties it)."""
    if isinstance(changes.kind, str):
        asset.kind = changes.kind
    if isinstance(changes.filename, str):
        asset.filename = clean_filename(changes.filename)
        if asset.filename not in asset.filenames:
            asset.filenames.append(asset.filename)
    if not isinstance(changes.owner, msgspec.UnsetType):
        asset.owner = changes.owner
    if not isinstance(changes.user_metadata, msgspec.UnsetType):
        patch = changes.user_metadata
        asset.user_metadata = {} if patch is None else merge_patch(asset.user_metadata, patch)


class PurgeReport(msgspec.Struct, kw_only=True):
    asset_ids: list[str]
    bytes_freed: int

    @classmethod
    def of(cls, gone: Sequence[Asset]) -> PurgeReport:
        return cls(asset_ids=[a.asset_id for a in gone], bytes_freed=sum(a.size_bytes for a in gone))


def check_kind(kind: str, field: str = "kind") -> list[FieldError]:
    if len(kind) > MAX_KIND or not KIND_PATTERN.fullmatch(kind):
        return [FieldError(field, KIND_RULE)]
    return []


def described_problems(kind: str | None, user_metadata: JsonObject | None) -> list[FieldError]:
    """What the asset rules refuse in the values that describe a file (its kind and user metadata):
    a bulk import checks a sidecar's values with this before it ingests the file."""
    errors = [] if kind is None else check_kind(kind)
    check_json("meta", user_metadata, errors)
    return errors


def asset_soft_delete(units: UnitOfWorkFactory, clock: Clock) -> SoftDelete[Asset]:
    """The one soft delete of assets, with its events (the asset service and look-alikes use it)."""
    return SoftDelete(
        units,
        clock,
        "asset",
        lambda unit: unit.assets,
        deleted_event="asset.deleted",
        restored_event="asset.restored",
        after_hide=main_picture.set_aside,
        after_restore=main_picture.bring_back,
    )


class AssetService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        store: BlobStore,
        clock: Clock,
        metadata: MetadataRunner | None = None,
        space: StorageSpace | None = None,
        previews: PreviewQueue | None = None,
    ) -> None:
        self._uow = uow
        self._previews = previews
        self._store = store
        self._clock = clock
        self._metadata = metadata
        self._space = space
        self._records: GroupCommit[_RecordRequest, IngestResult] = GroupCommit(self._record_batch)
        self._soft_delete = asset_soft_delete(uow, clock)

    @property
    def store(self) -> BlobStore:
        return self._store

    async def check_room(self, size: int | None) -> None:
        """``InsufficientStorage`` when ``size`` announced bytes cannot fit (nothing known: no check)."""
        if size is not None and self._space is not None:
            await self._space.check_room(size)

    def previews_paused(self) -> AbstractContextManager[None]:
        """New previews wait until the block ends (see ``PreviewQueue``: a bulk import holds them)."""
        return nullcontext() if self._previews is None else self._previews.paused()

    async def warm_up_metadata(self) -> None:
        """Ready the metadata extractor for many new assets (see ``MetadataRunner.warm_up``)."""
        if self._metadata is not None:
            await self._metadata.warm_up()

    async def ingest(
        self,
        chunks: AsyncIterable[bytes],
        options: IngestOptions | Callable[[], IngestOptions],
        *,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        """Store a byte stream and record it; identical bytes become one asset with every name.

        ``options`` may be a callable: it is asked once the stream is exhausted, for uploads whose
        fields arrive after the file. Either way they are checked before the bytes are published, and
        so is ``expected_sha256`` (hex): bytes that hash otherwise raise ``DigestMismatch``. A
        ``size_hint`` that cannot fit on the disk is refused before any byte is written.
        """
        head = bytearray()
        checked: list[IngestOptions] = []
        if isinstance(options, IngestOptions):
            checked.append(await self.check_options(options))
        await self.check_room(size_hint)

        async def watched() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                if len(head) < SNIFF_BYTES:
                    head.extend(chunk[: SNIFF_BYTES - len(head)])
                yield chunk
            if not checked:
                assert callable(options)
                checked.append(await self.check_options(options()))

        hint = options.kind if isinstance(options, IngestOptions) else None
        blob = await self._store.put(
            watched(), kind=hint, size_hint=size_hint, expected_sha256=expected_sha256
        )
        return await self._record_one(blob, checked[0], bytes(head))

    async def ingest_local(self, local: LocalFile, options: IngestOptions) -> IngestResult:
        """``ingest`` for bytes already complete in a local file with a known digest (a finished
        resumable upload): the store takes the file over instead of reading and hashing it again."""
        checked = await self.check_options(options)
        blob = await self._store.put_local(local, kind=checked.kind)
        return await self._record_one(blob, checked, local.head[:SNIFF_BYTES])

    async def ingest_many(
        self, files: Sequence[tuple[bytes, IngestOptions]]
    ) -> list[IngestResult | Exception]:
        """``ingest`` for small files whole in memory (a bulk import's batch): stored in one go and
        recorded together. Each file gets its result, or the error ``ingest`` would have raised; a
        batch that cannot fit on the disk raises ``InsufficientStorage`` before any file is written."""
        await self.check_room(sum(len(data) for data, _ in files))
        outcomes: dict[int, IngestResult | Exception] = {}
        checked: list[tuple[int, bytes, IngestOptions]] = []
        for index, (data, options) in enumerate(files):
            try:
                checked.append((index, data, await self.check_options(options)))
            except DomainError as exc:
                outcomes[index] = exc
        payloads = [Payload(data, options.kind) for _, data, options in checked]
        with anyio.CancelScope(shield=True):  # a cancel must not lose the blobs stored: they are cleaned up
            blobs = await self._store.put_many(payloads)
        stored: list[tuple[int, _RecordRequest]] = []
        for (index, data, options), blob in zip(checked, blobs, strict=True):
            if isinstance(blob, Exception):
                outcomes[index] = blob
            else:
                stored.append((index, _RecordRequest(blob, options, data[:SNIFF_BYTES])))
        recorded = await self._record_stored([request for _, request in stored])
        outcomes.update((index, outcome) for (index, _), outcome in zip(stored, recorded, strict=True))
        return [outcomes[index] for index in range(len(files))]

    async def _record_one(self, blob: StoredBlob, options: IngestOptions, head: bytes) -> IngestResult:
        (outcome,) = await self._record_stored([_RecordRequest(blob, options, head)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _record_stored(self, requests: list[_RecordRequest]) -> list[IngestResult | Exception]:
        """Record stored bytes; bytes no record came to name are removed again, even when the caller
        is cancelled meanwhile (a failed bulk import stops its other workers), so a failed write (a
        full disk) leaves no blob without its record."""
        try:
            outcomes = await self._records.submit_many(requests)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._discard_unrecorded([request.blob for request in requests])
            raise
        unrecorded: list[StoredBlob] = []
        for request, outcome in zip(requests, outcomes, strict=True):
            if isinstance(outcome, Exception):
                unrecorded.append(request.blob)
            elif outcome.asset.storage != request.blob.location:
                unrecorded.append(request.blob)  # the record says where the bytes live; drop the copy
            elif not outcome.deduplicated:
                self._after_ingest(outcome.asset)
        with anyio.CancelScope(shield=True):
            await self._discard_unrecorded(unrecorded)
        return outcomes

    def _after_ingest(self, asset: Asset) -> None:
        """Queue a new file's background work: its metadata, and its previews (previews have none)."""
        if self._metadata is not None:
            self._metadata.submit(asset.asset_id)
        if self._previews is not None and asset.kind != PREVIEW_KIND:
            self._previews.submit(asset.asset_id)

    async def check_options(self, options: IngestOptions) -> IngestOptions:
        """The options cleaned, or ``Invalid``/``NotFound`` for what ingest would refuse."""
        errors = check_filename(options.filename) + described_problems(options.kind, options.user_metadata)
        if options.role is not None and len(options.role) > MAX_ROLE:
            errors.append(FieldError("role", f"must be at most {MAX_ROLE} characters"))
        for field, value in (
            ("entity_id", options.entity_id),
            ("derived_from_asset_id", options.derived_from_asset_id),
        ):
            if value is not None and not is_id(value):
                errors.append(FieldError(field, "must be a 64-character lowercase hex id"))
        if errors:
            raise Invalid(errors)
        if options.entity_id is not None or options.derived_from_asset_id is not None:
            async with self._uow.read() as uow:
                await self._require_refs(uow, options)
        return msgspec.structs.replace(options, filename=clean_filename(options.filename))

    @staticmethod
    async def _require_refs(
        uow: UnitOfWork, options: IngestOptions, found: set[tuple[str, str]] | None = None
    ) -> None:
        """``NotFound`` for an entity or source asset that does not exist; ``found`` holds the
        ``(kind, id)`` pairs already known to exist, and gains those looked up here."""
        known = set() if found is None else found
        entity_id, derived = options.entity_id, options.derived_from_asset_id
        if entity_id is not None and ("entity", entity_id) not in known:
            if await uow.entities.get(entity_id) is None:
                raise NotFound("entity", entity_id)
            known.add(("entity", entity_id))
        if derived is not None and ("asset", derived) not in known:
            if await uow.assets.get(derived) is None:
                raise NotFound("asset", derived)
            known.add(("asset", derived))

    async def _record_batch(self, requests: Sequence[_RecordRequest]) -> list[IngestResult | Exception]:
        """Record freshly stored blobs in one transaction (group commit: see ``group_commit``), with one
        lookup, one insert, one update and one event write for the whole batch."""
        outcomes: list[IngestResult | Exception] = []
        async with self._uow.write() as uow:
            known = await uow.assets.get_many({r.blob.sha256 for r in requests}, include_deleted=True)
            batch = _RecordBatch(known, self._clock.now())
            found = {("asset", a.asset_id) for a in known.values() if a.deleted_at is None}
            for request in requests:
                try:  # they may have gone while the bytes streamed
                    await self._require_refs(uow, request.options, found)
                except DomainError as exc:  # checked before any write for this blob: the others go on
                    outcomes.append(exc)
                else:
                    result = batch.record(request)
                    found.add(("asset", result.asset.asset_id))  # live now, for later requests' sources
                    outcomes.append(result)
            await uow.assets.add_many(list(batch.added.values()))
            await uow.assets.update_many(list(batch.changed.values()))
            await record_many(uow, self._clock, batch.events)
            for request, outcome in zip(requests, outcomes, strict=True):
                if isinstance(outcome, IngestResult) and request.options.entity_id is not None:
                    await self._link(
                        uow, request.options.entity_id, outcome.asset.asset_id, request.options.role
                    )
            await uow.commit()
        return outcomes

    async def _discard_unrecorded(self, blobs: Sequence[StoredBlob]) -> None:
        """Remove bytes that were published but that no record names: the record step failed, or the
        record points at another copy. Bytes an asset row names (the same bytes stored before, found
        by dedupe) are kept."""
        if not blobs:
            return
        async with self._uow.read() as uow:
            known = await uow.assets.get_many({blob.sha256 for blob in blobs}, include_deleted=True)
        removed: set[StorageLocation] = set()
        for blob in blobs:
            record = known.get(blob.sha256)
            if (record is not None and record.storage == blob.location) or blob.location in removed:
                continue
            log.warning("removing unrecorded bytes", extra={"asset_id": blob.sha256})
            await self._store.delete(blob.location)
            removed.add(blob.location)

    async def get(self, asset_id: str, *, include_deleted: bool = False) -> Asset:
        async with self._uow.read() as uow:
            asset = await uow.assets.get(asset_id, include_deleted=include_deleted)
        if asset is None:
            raise NotFound("asset", asset_id)
        return asset

    def metadata_outcomes(self) -> AbstractContextManager[OutcomeFeed]:
        """The metadata outcomes settled from now on (see ``MetadataRunner.listen``); without a runner
        nothing arrives, and ``metadata_states`` alone knows."""
        return silent_feed() if self._metadata is None else self._metadata.listen()

    async def metadata_states(self, asset_ids: Collection[str]) -> dict[str, MetadataState]:
        """Extraction status and reason of the live assets among ``asset_ids``: a cheap read."""
        async with self._uow.read() as uow:
            return await uow.assets.metadata_states(asset_ids)

    async def find(self, query: AssetQuery, page: PageRequest) -> PageResult[Asset]:
        after = None
        if page.cursor is not None:
            cursor = decode_cursor(page.cursor, query.cursor_sort)
            after = query.position(cursor.value, cursor.last_id)
        async with self._uow.read() as uow:
            if query.entity_id is not None and await uow.entities.get(query.entity_id) is None:
                raise NotFound("entity", query.entity_id)
            items = await uow.assets.find(query, limit=page.limit + 1, offset=page.offset, after=after)
            counted = await uow.assets.count(query, up_to=TOTAL_CAP + 1)
        # Past the cap, the total is a floor: the cap, or the rows up to this page's end when further.
        exact = counted <= TOTAL_CAP
        total = counted if exact else max(TOTAL_CAP, page.offset + min(len(items), page.limit))
        return page_of(
            items,
            total,
            page,
            lambda last: Cursor(query.cursor_sort, sort_value(last, query.sort_by), last.asset_id),
            total_exact=exact,
        )

    async def linked_entities(
        self, asset_id: str, page: PageRequest, *, include_deleted: bool = False
    ) -> PageResult[LinkedEntity]:
        """The entities an asset is linked to; soft-deleted ones (and a soft-deleted asset) on request."""
        after = KeysetPosition.from_cursor(page.cursor, LINKED_ENTITIES_SORT)
        async with self._uow.read() as uow:
            if await uow.assets.get(asset_id, include_deleted=include_deleted) is None:
                raise NotFound("asset", asset_id)
            items = await uow.assets.linked_entities(
                asset_id,
                include_deleted=include_deleted,
                limit=page.limit + 1,
                offset=page.offset,
                after=after,
            )
            total = await uow.assets.count_linked_entities(asset_id, include_deleted=include_deleted)
        return page_of(
            items,
            total,
            page,
            lambda last: Cursor(
                LINKED_ENTITIES_SORT, format_timestamp(last.entity.created_at), last.entity.entity_id
            ),
        )

    async def check_content(self, claims: Sequence[ContentClaim]) -> list[ContentAnswer]:
        """Which claimed files are already stored (see ``content_check``), in one lookup for the batch."""
        checked = checked_claims(claims)
        async with self._uow.read() as uow:
            sizes = await uow.assets.live_sizes({claim.sha256 for claim in checked})
        return answers(checked, sizes)

    async def patch(self, asset_id: str, changes: AssetPatch) -> Asset:
        """Apply a merge patch to a live asset; one it does not really change keeps its ``updated_at``."""
        errors = check_kind(changes.kind) if isinstance(changes.kind, str) else []
        if isinstance(changes.filename, str):
            errors += check_filename(changes.filename)
        if errors:
            raise Invalid(errors)
        async with self._uow.write() as uow:
            asset = await uow.assets.get(asset_id)
            if asset is None:
                raise NotFound("asset", asset_id)
            before: Any = msgspec.to_builtins(asset)
            _apply_patch(asset, changes)
            require_json("user_metadata", asset.user_metadata)
            if msgspec.to_builtins(asset) != before:
                asset.updated_at = self._clock.now()
                await uow.assets.update(asset)
                await record(uow, self._clock, "asset.updated", asset_id)
                await uow.commit()
        return asset

    async def adopt_exported(self, exported: ExportedAsset, *, created_here: bool) -> Asset:
        """Give an asset imported from an export the record it had there: when this import
        ``created_here`` it, its file name, names and times; an asset that was already stored keeps
        its own and gains the exported names. The owner is taken when the asset has none."""
        async with self._uow.write() as uow:
            asset = await uow.assets.get(exported.asset_id)
            if asset is None:
                raise NotFound("asset", exported.asset_id)
            before: Any = msgspec.to_builtins(asset)
            if created_here:
                asset.filename = exported.filename
                asset.filenames = list(exported.filenames) or [exported.filename]
                asset.created_at, asset.updated_at = exported.created_at, exported.updated_at
            else:
                asset.filenames += [n for n in exported.filenames if n not in asset.filenames]
            if asset.owner is None:
                asset.owner = exported.owner
            if msgspec.to_builtins(asset) != before:
                await uow.assets.update(asset)
                await record(uow, self._clock, "asset.updated", asset.asset_id)
                await uow.commit()
        return asset

    async def delete(self, asset_id: str) -> None:
        """Soft delete: hidden from lists, bytes kept until ``purge``."""
        await self._soft_delete.delete(asset_id)

    async def restore(self, asset_id: str) -> Asset:
        """Undo a soft delete (a live asset is returned unchanged)."""
        return await self._soft_delete.restore(asset_id)

    async def delete_many(self, asset_ids: Sequence[str]) -> None:
        """Soft-delete several assets at once: all of them, or none when one id is not a live asset."""
        await self._soft_delete.delete_many(Selection.of(asset_ids, "asset_ids"))

    async def restore_many(self, asset_ids: Sequence[str]) -> list[Asset]:
        """Undo the soft delete of several assets at once (live ones are returned unchanged): all of
        them, or none when one id names no asset."""
        return await self._soft_delete.restore_many(Selection.of(asset_ids, "asset_ids"))

    async def link(self, entity_id: str, asset_id: str, role: str | None = None) -> bool:
        """Link (idempotent): True when the link is new. Unknown ids are ``NotFound``."""
        if role is not None and len(role) > MAX_ROLE:
            raise Invalid.one("role", f"must be at most {MAX_ROLE} characters")
        async with self._uow.write() as uow:
            await self._require_pair(uow, entity_id, asset_id)
            created = await self._link(uow, entity_id, asset_id, role)
            await uow.commit()
        return created

    async def unlink(self, entity_id: str, asset_id: str) -> bool:
        """Unlink (idempotent): True when a link was removed."""
        async with self._uow.write() as uow:
            await self._require_pair(uow, entity_id, asset_id)
            removed = await self._unlink(uow, entity_id, asset_id)
            await uow.commit()
        return removed

    async def unlink_many(self, entity_id: str, asset_ids: Sequence[str]) -> int:
        """Unlink several files from one entity at once; how many links were removed. All of them or,
        when the entity or one file is unknown, none."""
        chosen = Selection.of(asset_ids, "asset_ids")
        async with self._uow.write() as uow:
            if await uow.entities.get(entity_id) is None:
                raise NotFound("entity", entity_id)
            await chosen.records(uow.assets.get, MISSING_OR_TRASHED)
            removed = [await self._unlink(uow, entity_id, asset_id) for asset_id in chosen.ids]
            await uow.commit()
        return sum(removed)

    async def _unlink(self, uow: UnitOfWork, entity_id: str, asset_id: str) -> bool:
        removed = await uow.assets.unlink(entity_id, asset_id)
        if removed:
            await record(uow, self._clock, "asset.unlinked", asset_id, {"entity_id": entity_id})
        await main_picture.drop_for(uow, self._clock, entity_id, asset_id)
        return removed

    async def _link(self, uow: UnitOfWork, entity_id: str, asset_id: str, role: str | None) -> bool:
        created = await uow.assets.link(entity_id, asset_id, role)
        if created:
            await record(uow, self._clock, "asset.linked", asset_id, {"entity_id": entity_id, "role": role})
        return created

    @staticmethod
    async def _require_pair(uow: UnitOfWork, entity_id: str, asset_id: str) -> None:
        if await uow.entities.get(entity_id) is None:
            raise NotFound("entity", entity_id)
        if await uow.assets.get(asset_id) is None:
            raise NotFound("asset", asset_id)

    def read(self, asset: Asset, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The asset's bytes ``start..end`` inclusive, streamed from wherever they are stored."""
        return self._store.open_range(asset.storage, start, end)

    async def purge(self) -> PurgeReport:
        """Remove the bytes and records of soft-deleted assets no entity links to."""
        gone: list[Asset] = []
        async with self._uow.read() as uow:
            candidates = await uow.assets.purgeable()
        for candidate in candidates:
            async with self._uow.write() as uow:
                removed = await self._remove_record(uow, candidate)  # empty: restored or linked meanwhile
                await uow.commit()
            gone += await self._remove_bytes(removed)
        return PurgeReport.of(gone)

    async def delete_forever(self, asset_id: str) -> PurgeReport:
        """Remove an asset in the trash for good, bytes and all, unlinking it from every entity first;
        an asset not in the trash is a ``Conflict``."""
        async with self._uow.write() as uow:
            asset = await self._soft_delete.trashed(uow, asset_id)
            while links := await uow.assets.linked_entities(asset_id, include_deleted=True, limit=1000):
                for link in links:
                    entity_id = link.entity.entity_id
                    await uow.assets.unlink(entity_id, asset_id)
                    await record(uow, self._clock, "asset.unlinked", asset_id, {"entity_id": entity_id})
                    await main_picture.drop_for(uow, self._clock, entity_id, asset_id)
            removed = await self._remove_record(uow, asset)
            await uow.commit()
        return PurgeReport.of(await self._remove_bytes(removed))

    async def _remove_record(self, uow: UnitOfWork, asset: Asset) -> list[Asset]:
        """Delete a purgeable asset's record and its unshared previews; what went (nothing when the
        asset is no longer purgeable)."""
        previews = await uow.previews.get(asset.asset_id)
        if not await uow.assets.remove_if_purgeable(asset.asset_id):
            return []
        gone = [asset, *await self._drop_previews(uow, previews)]
        await main_picture.forget(uow, self._clock, [a.asset_id for a in gone])
        for removed in gone:
            data = {"size_bytes": removed.size_bytes}
            await record(uow, self._clock, "asset.purged", removed.asset_id, data)
        return gone

    async def _remove_bytes(self, gone: list[Asset]) -> list[Asset]:
        """The records went first (committed): never a row without bytes."""
        for asset in gone:
            await self._store.delete(asset.storage)
            log.info("asset purged", extra={"asset_id": asset.asset_id, "size_bytes": asset.size_bytes})
        return gone

    async def _drop_previews(self, uow: UnitOfWork, previews: PreviewRecord | None) -> list[Asset]:
        """The preview pictures of a purged original that no other original shares, removed too."""
        if previews is None:
            return []
        pictures = {key for key in (previews.small_asset_id, previews.large_asset_id) if key is not None}
        unshared = pictures - await uow.previews.pictures_in_use(pictures)
        removed: list[Asset] = []
        for picture in (await uow.assets.get_many(unshared, include_deleted=True)).values():
            picture.deleted_at = picture.deleted_at or self._clock.now()
            await uow.assets.update(picture)
            if await uow.assets.remove_if_purgeable(picture.asset_id):
                removed.append(picture)
        return removed
