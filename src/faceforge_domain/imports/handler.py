"""The bulk-import job: count and plan the folder, then stream each file through asset ingest.

Functional core, imperative shell: ``plan.py`` decides (pure), this module does the I/O through the
``ImportSource`` port and ``AssetService``, reporting through the job's reporter. A file is always
copied into the store (bytes are read and written), never linked, so editing the original later does
not change the stored asset.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence

import anyio
import msgspec

from faceforge_domain.clock import Clock
from faceforge_domain.errors import Invalid, NotFound
from faceforge_domain.export.models import ExportManifest
from faceforge_domain.export.restore import ExportRecordsRestore, export_manifest
from faceforge_domain.imports.models import (
    FILE_WORKERS,
    LARGE_FILE_BYTES,
    LARGE_FILES_AT_ONCE,
    SMALL_BATCH_FILES,
    BulkImportInput,
    ImportResult,
    PlannedFile,
    Skip,
)
from faceforge_domain.imports.plan import (
    MAX_SIDECAR_BYTES,
    Sidecar,
    SidecarError,
    batches,
    is_export_sidecar,
    is_sidecar,
    parse_export_sidecar,
    parse_sidecar,
    plan_folder,
)
from faceforge_domain.imports.ports import ImportSource
from faceforge_domain.inputs import convert_job_input
from faceforge_domain.jobs.models import Job, JsonObject, LogLevel
from faceforge_domain.jobs.ports import JobCanceled, JobReporter
from faceforge_domain.metadata import MetadataState
from faceforge_domain.services.assets import (
    AssetService,
    IngestOptions,
    IngestResult,
    check_kind,
    described_problems,
)
from faceforge_domain.services.entities import EntityService
from faceforge_domain.services.metadata import Settled

# Metadata outcomes come from the metadata runner as it records them. When it has said nothing of this
# import's assets for METADATA_RECHECK_S (outcomes recorded by another process, or before the wait began),
# the oldest METADATA_BATCH still awaited are read from the store; after METADATA_PATIENCE_S without any
# outcome the import stops waiting.
METADATA_RECHECK_S = 0.25
METADATA_PATIENCE_S = 120.0
METADATA_BATCH = 500
SKIP_EXAMPLES = 3  # paths the log names for each skip reason; the rest are only counted
IMPORTED, DUPLICATE = "imported", "duplicate"  # per-file outcomes in the log, read back on resume


class BulkImport:
    """Validates bulk-import input and runs bulk-import jobs (the ``JobHandler``)."""

    def __init__(
        self,
        source: ImportSource,
        assets: AssetService,
        entities: EntityService,
        clock: Clock,
        *,
        file_workers: int = FILE_WORKERS,
        wait_for_metadata: bool = True,
        export_records: ExportRecordsRestore | None = None,
    ) -> None:
        """``export_records`` restores the records of an export folder; without it such a folder is
        imported as files with their sidecars only."""
        self._source = source
        self._export_records = export_records
        self._assets = assets
        self._entities = entities
        self._clock = clock
        self._file_workers = file_workers
        self._wait_for_metadata = wait_for_metadata

    async def validate(self, raw: JsonObject) -> JsonObject:
        """Check the input before any job exists: shape, entity, and the folder's safety and access."""
        options = convert_job_input(raw, BulkImportInput)
        if "\x00" in options.path:  # no file name holds one, and the operating system refuses it
            raise Invalid.one("path", "must not contain a NUL character")
        if options.kind is not None and (problems := check_kind(options.kind, "input/kind")):
            raise Invalid(problems)
        if options.entity_id is not None and not await entity_exists(self._entities, options.entity_id):
            raise Invalid.one("entity_id", f"no entity {options.entity_id!r} exists")
        options.path = await self._source.resolve_root(options.path)
        return msgspec.to_builtins(options)  # type: ignore[no-any-return]

    async def __call__(self, job: Job, ctx: JobReporter) -> JsonObject:
        options = msgspec.convert(job.input, BulkImportInput)
        run = _ImportRun(
            options,
            ctx,
            source=self._source,
            assets=self._assets,
            entities=self._entities,
            clock=self._clock,
            file_workers=self._file_workers,
        )
        await self._assets.warm_up_metadata()  # ExifTool loads while the folder is counted
        await run.recall()
        if self._export_records is not None:
            run.export = await export_manifest(self._source, options.path)
            if run.export is not None:
                ctx.progress(step="restoring records")
                ctx.log("info", "the folder is a FaceForge export: restoring its records first")
                await self._export_records.restore(self._source, options.path, ctx)
        with self._assets.previews_paused():  # the cores go to ExifTool; previews follow the import
            await run.plan()
            await run.import_files()
            if self._wait_for_metadata:
                await run.await_metadata()
        ctx.progress(step="done")
        ctx.log("info", "import finished", msgspec.to_builtins(run.result))
        return msgspec.to_builtins(run.result)  # type: ignore[no-any-return]


async def entity_exists(entities: EntityService, entity_id: str) -> bool:
    try:
        await entities.get(entity_id)
    except NotFound:
        return False
    return True


class _ImportRun:
    """The state of one run: the plan, the counters, the files whose metadata is awaited."""

    def __init__(
        self,
        options: BulkImportInput,
        ctx: JobReporter,
        *,
        source: ImportSource,
        assets: AssetService,
        entities: EntityService,
        clock: Clock,
        file_workers: int,
    ) -> None:
        self.options = options
        self.ctx = ctx
        self.source = source
        self.assets = assets
        self.entities = entities
        self.clock = clock
        self.file_workers = file_workers
        self.result = ImportResult()
        self.files: list[PlannedFile] = []
        self.bytes_total = 0
        self.done = 0
        self.progress_bytes = 0
        # asset id -> path of the assets this run created, in import order; each leaves once its
        # metadata outcome is logged
        self.new_assets: dict[str, str] = {}
        self.entity_cache: dict[str, bool] = {}
        self.done_before: dict[str, str] = {}
        self.skip_examples: dict[str, list[str]] = {}
        self.large_files = anyio.CapacityLimiter(LARGE_FILES_AT_ONCE)
        self.export: ExportManifest | None = None  # the folder is an export with this manifest

    async def recall(self) -> None:
        """On a resumed job: the files an earlier run stored, by path, so they are not read again."""
        async for entry in self.ctx.stored_entries():
            data = entry.data or {}
            if data.get("outcome") in (IMPORTED, DUPLICATE) and isinstance(data.get("path"), str):
                self.done_before[data["path"]] = data["outcome"]

    def warn(self, path: str, message: str) -> None:
        self.result.warnings += 1
        self.ctx.log("warning", f"{path}: {message}", {"path": path})

    async def plan(self) -> None:
        """The quick first pass: walk, read sidecars, count files and bytes."""
        ctx, source, root = self.ctx, self.source, self.options.path
        ctx.progress(step="counting files", current=0, total=0, bytes_current=0, bytes_total=0)
        ctx.log("info", f"counting files in {root}", {"path": root})
        walk = source.walk(
            root,
            recursive=self.options.recursive,
            follow_symlinks=self.options.follow_symlinks,
            include_hidden=self.options.include_hidden,
        )
        async for listing in walk:
            for problem in listing.problems:
                self.result.scanned += 1
                self.result.failed += 1
                ctx.log("error", f"{problem.path}: {problem.message}", {"path": problem.path})
            docs: dict[str, Sidecar] = {}
            for found in listing.files:
                if is_sidecar(found.name):
                    path = f"{listing.folder}/{found.name}" if listing.folder else found.name
                    docs[found.name] = await self._read_sidecar(path)
            top = self.export is not None and listing.folder == ""
            folder = plan_folder(listing, self.options, docs, export_top=top)
            for skip in folder.skipped:
                self.skip(skip)
            for warning in folder.warnings:
                self.warn(warning.path, warning.reason)
            self.result.sidecars += folder.sidecars
            self.files.extend(folder.files)
            self.bytes_total += sum(f.size for f in folder.files)
            ctx.progress(total=len(self.files), bytes_total=self.bytes_total, skipped=self.result.skipped)
            await ctx.checkpoint()
        self.result.scanned += len(self.files)
        self.log_skips()
        ctx.log(
            "info",
            f"found {len(self.files)} files ({self.bytes_total} bytes) to import",
            {"files": len(self.files), "bytes": self.bytes_total},
        )

    def skip(self, skip: Skip) -> None:
        """Count a skip by its reason, keeping a few example paths: a walk over a large tree may skip
        hundreds of thousands of entries, and a log row for each would bury the log and fill the disk."""
        self.result.scanned += 1
        self.result.skipped += 1
        counts = self.result.skipped_by_reason
        counts[skip.reason] = counts.get(skip.reason, 0) + 1
        examples = self.skip_examples.setdefault(skip.reason, [])
        if len(examples) < SKIP_EXAMPLES:
            examples.append(skip.path)

    def log_skips(self) -> None:
        """One summary line per skip reason: the count and the first few paths."""
        for reason, count in self.result.skipped_by_reason.items():
            examples = self.skip_examples[reason]
            more = ", ..." if count > len(examples) else ""
            self.ctx.log(
                "info",
                f"{count} skipped, {reason}: {', '.join(examples)}{more}",
                {"reason": reason, "count": count, "examples": examples},
            )

    async def _read_sidecar(self, path: str) -> Sidecar:
        source, options = self.source, self.options
        parse = parse_export_sidecar if is_export_sidecar(path) else parse_sidecar
        try:
            return parse(
                await source.read_small(
                    options.path, path, MAX_SIDECAR_BYTES, follow_symlinks=options.follow_symlinks
                )
            )
        except SidecarError as exc:
            return exc
        except ValueError:
            return SidecarError(f"is larger than {MAX_SIDECAR_BYTES} bytes")
        except OSError as exc:
            return SidecarError(f"could not be read ({exc.strerror or exc})")

    async def import_files(self) -> None:
        ctx = self.ctx
        ctx.progress(step="importing", current=0, bytes_current=0)
        todo = [item for item in self.files if item.path not in self.done_before]
        if len(todo) < len(self.files):
            for item in self.files:
                if item.path in self.done_before:
                    if self.done_before[item.path] == IMPORTED:
                        self.result.imported += 1
                    else:
                        self.result.duplicates += 1
                    self.result.bytes += item.size
                    self._advance(item, 0)
            skipped = len(self.files) - len(todo)
            ctx.log("info", f"resuming: {skipped} files stored by an earlier run are not read again")
        await ctx.flush()
        per_batch = min(SMALL_BATCH_FILES, max(1, self.file_workers))
        queue = batches(todo, per_batch)
        fatal: list[BaseException] = []

        async def worker(group: anyio.abc.TaskGroup) -> None:
            for batch in queue:
                if ctx.cancel_requested:
                    return
                try:
                    if batch[0].size > LARGE_FILE_BYTES:
                        await self._import_one(batch[0])
                    else:
                        await self._import_small(batch)
                except JobCanceled:
                    return
                except Exception as exc:  # noqa: BLE001  (re-raised below, outside the task group)
                    fatal.append(exc)
                    group.cancel_scope.cancel()
                    return

        async with anyio.create_task_group() as group:
            for _ in range(max(1, self.file_workers // per_batch)):
                group.start_soon(worker, group)
        if fatal:
            raise fatal[0]
        ctx.raise_if_canceled()

    def _options(self, item: PlannedFile) -> IngestOptions:
        """What to ingest the file with: its sidecar's kind and metadata, unless the asset rules refuse
        them; then the file goes in without them, and the log says why."""
        meta, options = item.meta, self.options
        kind, user_metadata = meta.kind or options.kind, meta.user_metadata or None
        filename = meta.exported.filename if meta.exported else item.name
        if problems := described_problems(kind, user_metadata):
            refused = Invalid(problems).message
            self.warn(item.path, f"sidecar metadata refused ({refused}); imported without it")
            kind, user_metadata = options.kind, None
        return IngestOptions(
            filename=filename, kind=kind, entity_id=options.entity_id, user_metadata=user_metadata
        )

    async def _import_small(self, batch: list[PlannedFile]) -> None:
        """Small files: read in one go, stored in one go, recorded together; each counted and logged
        as a file streamed alone would be."""
        ctx, assets = self.ctx, self.assets
        await ctx.checkpoint()
        read = await self.source.read_many(
            self.options.path,
            [item.path for item in batch],
            LARGE_FILE_BYTES,
            follow_symlinks=self.options.follow_symlinks,
        )
        ready: list[tuple[PlannedFile, bytes]] = []
        for item, data in zip(batch, read, strict=True):
            if isinstance(data, ValueError):  # grown past the small-file size since the walk: stream it
                await self._import_one(item)
            elif isinstance(data, OSError):
                self._unreadable(item, data, 0)
            else:
                ready.append((item, data))
        ctx.raise_if_canceled()
        outcomes = await assets.ingest_many([(data, self._options(item)) for item, data in ready])
        for (item, data), outcome in zip(ready, outcomes, strict=True):
            await self._settle_whole(item, data, outcome)

    async def _settle_whole(self, item: PlannedFile, data: bytes, outcome: IngestResult | Exception) -> None:
        if isinstance(outcome, OSError):
            self._unreadable(item, outcome, 0)
            return
        if isinstance(outcome, Exception):
            raise outcome
        self.result.bytes += len(data)
        self.progress_bytes += len(data)
        await self._settle(item, outcome, len(data))

    async def _import_one(self, item: PlannedFile) -> None:
        """A file streamed through ingest in pieces (a large one, or one grown since the walk), at
        most ``LARGE_FILES_AT_ONCE`` at a time."""
        async with self.large_files:
            await self._stream_one(item)

    async def _stream_one(self, item: PlannedFile) -> None:
        ctx, options = self.ctx, self.options
        await ctx.checkpoint()
        counted = 0

        async def chunks() -> AsyncIterator[bytes]:
            nonlocal counted
            async for chunk in self.source.open(
                options.path, item.path, follow_symlinks=options.follow_symlinks
            ):
                ctx.raise_if_canceled()  # cancel mid-file: the store drops its partial temp file
                counted += len(chunk)
                self.result.bytes += len(chunk)
                self.progress_bytes += len(chunk)
                ctx.progress(bytes_current=self.progress_bytes)
                yield chunk

        try:
            outcome = await self.assets.ingest(chunks(), self._options(item), size_hint=item.size)
        except OSError as exc:
            self._unreadable(item, exc, counted)
            return
        await self._settle(item, outcome, counted)

    def _unreadable(self, item: PlannedFile, exc: OSError, counted: int) -> None:
        self.result.failed += 1
        reason = exc.strerror or str(exc)
        self.ctx.log("error", f"{item.path}: could not be read ({reason})", {"path": item.path})
        self._advance(item, counted)

    async def _settle(self, item: PlannedFile, outcome: IngestResult, counted: int) -> None:
        """Link, count and log a stored file."""
        asset, exported = outcome.asset, item.meta.exported
        if exported is None:
            for entity_id in item.meta.entity_ids:
                await self._link(item.path, entity_id, asset.asset_id)
        else:
            for link in exported.links:
                await self._link(item.path, link.entity_id, asset.asset_id, link.role)
            await self.assets.adopt_exported(exported, created_here=not outcome.deduplicated)
        if outcome.deduplicated:
            self.result.duplicates += 1
            data = {"path": item.path, "asset_id": asset.asset_id, "outcome": DUPLICATE}
            self.ctx.log("info", f"{item.path}: already stored", data)
        else:
            self.result.imported += 1
            self.new_assets[asset.asset_id] = item.path
            data = {"path": item.path, "asset_id": asset.asset_id, "outcome": IMPORTED}
            self.ctx.log("info", f"{item.path}: imported", data)
        self._advance(item, counted)

    def _advance(self, item: PlannedFile, counted: int) -> None:
        self.done += 1
        self.progress_bytes += max(0, item.size - counted)  # a failed or shrunken file still counts as done
        self.ctx.progress(current=self.done, bytes_current=self.progress_bytes)

    async def _link(self, path: str, entity_id: str, asset_id: str, role: str | None = None) -> None:
        known = self.entity_cache.get(entity_id)
        if known is None:
            known = self.entity_cache[entity_id] = await entity_exists(self.entities, entity_id)
        if not known:
            self.warn(path, f"sidecar names entity {entity_id!r}, which does not exist; not linked")
            return
        try:
            await self.assets.link(entity_id, asset_id, role)
        except NotFound as exc:
            self.warn(path, f"not linked: {exc.message}")

    async def await_metadata(self) -> None:
        """Put ExifTool's outcome on each new asset in the job log, as the metadata runner records it."""
        if not self.new_assets:
            return
        ctx, waiting = self.ctx, self.new_assets
        ctx.progress(step="reading metadata")
        with self.assets.metadata_outcomes() as feed:  # listening first: no outcome falls in between
            settled = await self._stored_outcomes(list(waiting))
            last_change = self.clock.monotonic()
            while True:
                if self._log_outcomes(settled):
                    last_change = self.clock.monotonic()
                await ctx.checkpoint()
                if not waiting:
                    return
                if self.clock.monotonic() - last_change > METADATA_PATIENCE_S:
                    ctx.log("warning", "metadata extraction is slow; not waiting for the rest")
                    return
                settled = await self._next_outcomes(await feed.next(METADATA_RECHECK_S))

    async def _next_outcomes(self, heard: Settled) -> Settled:
        """The outcomes of awaited assets among what the runner said; what it left to the store (or,
        when it said nothing, the oldest ``METADATA_BATCH`` still awaited) read from there."""
        if not heard:
            return await self._stored_outcomes(list(itertools.islice(self.new_assets, METADATA_BATCH)))
        awaited = [(asset_id, state) for asset_id, state in heard.items() if asset_id in self.new_assets]
        mine: Settled = {asset_id: state for asset_id, state in awaited if state is not None}
        unknown = [asset_id for asset_id, state in awaited if state is None]
        if unknown:  # still pending there (its extraction crashed): still awaited
            mine.update(await self._stored_outcomes(unknown))
        return mine

    async def _stored_outcomes(self, asset_ids: Sequence[str]) -> Settled:
        """The settled ones among ``asset_ids`` as stored, read ``METADATA_BATCH`` to a query, in the
        order asked; None for an asset deleted meanwhile."""
        settled: Settled = {}
        for start in range(0, len(asset_ids), METADATA_BATCH):
            batch = asset_ids[start : start + METADATA_BATCH]
            found = await self.assets.metadata_states(batch)
            for asset_id in batch:
                state = found.get(asset_id)
                if state is None or state.status != "pending":
                    settled[asset_id] = state
        return settled

    def _log_outcomes(self, settled: Settled) -> bool:
        """Log each awaited asset's outcome and stop awaiting it; True when there was one."""
        changed = False
        for asset_id, state in settled.items():
            path = self.new_assets.pop(asset_id, None)
            if path is None:
                continue
            changed = True
            if state is not None:  # None: deleted meanwhile, nothing to report
                self._log_outcome(path, asset_id, state)
        return changed

    def _log_outcome(self, path: str, asset_id: str, state: MetadataState) -> None:
        level: LogLevel = "warning" if state.status == "failed" else "debug"
        reason = f" ({state.reason})" if state.reason else ""
        self.ctx.log(
            level,
            f"{path}: metadata {state.status}{reason}",
            {"path": path, "asset_id": asset_id, "metadata_status": state.status},
        )
