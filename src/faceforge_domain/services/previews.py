"""Previews off the request path: make them, keep them as derived assets, record what became of each file.

``PreviewService.build`` renders a batch (the renderer decodes out of process), stores each picture
through the same ingest as any file (content addressed, deduplicated, kind ``image.thumbnail``,
``derived_from_asset_id`` = the original) and records the outcome, so a file that cannot have a
preview is not tried again on every page view. ``PreviewRunner`` is the background service that
previews new files soon after they arrive, and at start whatever an earlier run left without one.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Sequence

import anyio
from anyio.abc import TaskStatus

from faceforge_domain.clock import Clock
from faceforge_domain.errors import DomainError, InsufficientStorage, NotFound, Unavailable
from faceforge_domain.models import Asset
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.previews import (
    PREVIEW_KIND,
    PreviewFailed,
    PreviewQueue,
    PreviewRecord,
    PreviewRenderer,
    PreviewSize,
    RenderedPreview,
    is_preview,
)
from faceforge_domain.services.assets import AssetService, IngestOptions

log = logging.getLogger("faceforge.previews")

BATCH = 8
# After a failure that is not a file's fault (a full disk, a database error), the runner waits this
# long before it tries again, so it never spins.
RETRY_AFTER_S = 30.0


def preview_filename(original: str, size: PreviewSize) -> str:
    """``IMG_0001.CR3`` → ``IMG_0001.small.webp``: readable in a download, tells what it is."""
    stem = posixpath.splitext(original)[0] or original
    return f"{stem}.{size}.webp"


def _by_size(preview: RenderedPreview) -> tuple[tuple[PreviewSize, bytes], ...]:
    return ("small", preview.small), ("large", preview.large)


class PreviewService:
    """Makes, keeps and finds previews (the HTTP route, the job and the runner all come here)."""

    def __init__(
        self, uow: UnitOfWorkFactory, assets: AssetService, renderer: PreviewRenderer, clock: Clock
    ) -> None:
        self._uow = uow
        self._assets = assets
        self._renderer = renderer
        self._clock = clock

    async def record(self, asset_id: str) -> PreviewRecord | None:
        """What became of this original's previews (None: not looked at yet). ``NotFound`` for no asset."""
        async with self._uow.read() as uow:
            if await uow.assets.get(asset_id) is None:
                raise NotFound("asset", asset_id)
            return await uow.previews.get(asset_id)

    async def records(self, asset_ids: Sequence[str]) -> dict[str, PreviewRecord]:
        """The records of the given originals that have one (for pages that show many tiles)."""
        async with self._uow.read() as uow:
            return await uow.previews.get_many(asset_ids)

    async def picture(self, asset_id: str, size: PreviewSize) -> Asset:
        """The derived asset holding this original's preview of ``size``.

        ``NotFound`` naming the preview when the original has none (yet, or ever: the record says why).
        """
        async with self._uow.read() as uow:
            if await uow.assets.get(asset_id) is None:
                raise NotFound("asset", asset_id)
            record = await uow.previews.get(asset_id)
            picture_id = None if record is None else record.picture(size)
            picture = None if picture_id is None else await uow.assets.get(picture_id, include_deleted=True)
        if picture is None:
            raise NotFound("preview", asset_id)
        return picture

    async def missing(self, after: str | None, limit: int) -> list[str]:
        async with self._uow.read() as uow:
            return await uow.previews.missing(after, limit)

    async def failed(self, after: str | None, limit: int) -> list[str]:
        async with self._uow.read() as uow:
            return await uow.previews.failed(after, limit)

    async def count_missing(self) -> int:
        async with self._uow.read() as uow:
            return await uow.previews.count_missing()

    async def count_failed(self) -> int:
        async with self._uow.read() as uow:
            return await uow.previews.count_failed()

    async def build(self, asset_ids: Sequence[str], *, force: bool = False) -> list[PreviewRecord]:
        """Make the previews of these originals: one record each (gone or already done ones: none).

        Raises ``InsufficientStorage`` (and lets other errors that are not one file's fault through):
        the caller stops rather than record every file as failed.
        """
        async with self._uow.read() as uow:
            found = await uow.assets.get_many(asset_ids)
            done = {} if force else await uow.previews.get_many(asset_ids)
        todo = [found[key] for key in asset_ids if key in found and key not in done]
        todo = [asset for asset in todo if not is_preview(asset)]
        renderable = [asset for asset in todo if self._renderer.renders(asset)]
        rendered = await self._renderer.render_many(renderable) if renderable else []
        outcomes = dict(zip((asset.asset_id for asset in renderable), rendered, strict=True))
        pictures = await self._store(
            [
                (asset, outcome)
                for asset in todo
                if isinstance(outcome := outcomes.get(asset.asset_id), RenderedPreview)
            ]
        )
        records = [
            record
            for asset in todo
            if (record := self._settle(asset, outcomes.get(asset.asset_id), pictures)) is not None
        ]
        hashes = {
            key: outcome.phash
            for key, outcome in outcomes.items()
            if isinstance(outcome, RenderedPreview) and outcome.phash is not None
        }
        await self._keep(records, hashes)
        return records

    def _settle(
        self,
        asset: Asset,
        outcome: RenderedPreview | PreviewFailed | None,
        pictures: dict[str, tuple[Asset, Asset]],
    ) -> PreviewRecord | None:
        """The record for one original: its stored pictures, or why it has none (None: it is gone)."""
        now = self._clock.now()
        if outcome is None:
            reason = f"no preview for this type of file ({asset.mime_type})"
            return PreviewRecord(asset_id=asset.asset_id, status="none", reason=reason, updated_at=now)
        if isinstance(outcome, PreviewFailed):
            log.info("preview failed", extra={"asset_id": asset.asset_id, "reason": outcome.reason})
            return PreviewRecord(
                asset_id=asset.asset_id, status="failed", reason=outcome.reason, updated_at=now
            )
        if asset.asset_id not in pictures:
            return None
        small, large = pictures[asset.asset_id]
        return PreviewRecord(
            asset_id=asset.asset_id,
            status="done",
            small_asset_id=small.asset_id,
            large_asset_id=large.asset_id,
            width=outcome.width,
            height=outcome.height,
            duration_s=outcome.duration_s,
            updated_at=now,
        )

    async def _store(self, rendered: list[tuple[Asset, RenderedPreview]]) -> dict[str, tuple[Asset, Asset]]:
        """Every original's two pictures as derived assets, stored and recorded in one go: original id
        -> (small, large). An original that went meanwhile is left out; any other error is raised."""
        files = [
            (
                data,
                IngestOptions(
                    filename=preview_filename(asset.filename, size),
                    kind=PREVIEW_KIND,
                    derived_from_asset_id=asset.asset_id,
                ),
            )
            for asset, preview in rendered
            for size, data in _by_size(preview)
        ]
        results = await self._assets.ingest_many(files) if files else []
        pictures: dict[str, tuple[Asset, Asset]] = {}
        for (asset, _), small, large in zip(rendered, results[::2], results[1::2], strict=True):
            if isinstance(small, NotFound) or isinstance(large, NotFound):
                continue  # the original went meanwhile
            if isinstance(small, Exception):
                raise small
            if isinstance(large, Exception):
                raise large
            pictures[asset.asset_id] = (small.asset, large.asset)
        return pictures

    async def _keep(self, records: list[PreviewRecord], hashes: dict[str, int]) -> None:
        """Store the records, and each picture's perceptual hash for look-alike search."""
        if not records:
            return
        async with self._uow.write() as uow:
            live = await uow.assets.get_many([record.asset_id for record in records])
            for record in records:
                if record.asset_id not in live:  # deleted meanwhile: looked at again if restored
                    continue
                await uow.previews.put(record)
                phash = hashes.get(record.asset_id) if record.status == "done" else None
                if phash is None:
                    await uow.lookalikes.remove(record.asset_id)
                else:
                    await uow.lookalikes.put(record.asset_id, phash)
            await uow.commit()


class PreviewRunner:
    """The background service: previews of new files soon after they arrive, then of any left without.

    New files (the queue) go before the backlog, so a fresh upload is not stuck behind a library's
    worth of older files. Nothing is made while the queue is paused (a bulk import runs).
    """

    def __init__(
        self,
        previews: PreviewService,
        queue: PreviewQueue,
        *,
        batch: int = BATCH,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> None:
        self._previews = previews
        self._queue = queue
        self._batch = batch
        self._retry_after_s = retry_after_s

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        backlog_after: str | None = None
        backlog_done = False
        while True:
            await self._queue.until_resumed()
            ids = self._queue.take(self._batch)
            if not ids and not backlog_done:
                ids = await self._previews.missing(backlog_after, self._batch)
                backlog_done = not ids
                backlog_after = ids[-1] if ids else None
            if not ids:
                await self._queue.wait()
                continue
            if not await self._build(ids):  # those files are still without: the backlog pass finds them
                backlog_after, backlog_done = None, False

    async def _build(self, asset_ids: list[str]) -> bool:
        """Make these previews; False when the batch stopped on something that is no file's fault
        (a full disk, storage down), after a pause before the next try."""
        try:
            await self._previews.build(asset_ids)
        except (DomainError, OSError) as exc:
            transient = isinstance(exc, (InsufficientStorage, Unavailable))
            log.log(
                logging.WARNING if transient else logging.ERROR,
                "previews not made: %s",
                exc,
                extra={"asset_ids": asset_ids},
            )
            await anyio.sleep(self._retry_after_s)
            return False
        return True
