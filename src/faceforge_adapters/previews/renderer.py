"""``WorkerPreviewRenderer``: the ``PreviewRenderer`` port over a pool of preview workers.

The engine is chosen from the asset's type and name (``kinds``). A worker reads the blob in place
when it is on the local disk; otherwise the bytes are streamed into this process's scratch folder
(``tmp/<process>/previews/``) and the copy is removed however the file ends (rendered, failed or
cancelled). ``render_many`` spreads a batch over the workers, one file per worker at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import anyio

from faceforge_adapters.previews.kinds import engine_for, extension
from faceforge_adapters.previews.pool import PreviewPool
from faceforge_adapters.previews.protocol import Engine, RenderAnswer, RenderRequest
from faceforge_domain.errors import DomainError, Unavailable
from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import BlobStore
from faceforge_domain.previews import PreviewFailed, RenderedPreview

LocalPath = Callable[[StorageLocation], Path | None]


def _result(found: RenderAnswer) -> RenderedPreview | PreviewFailed:
    if found.reason is not None:
        return PreviewFailed(found.reason)
    return RenderedPreview(
        small=found.small,
        large=found.large,
        width=found.width,
        height=found.height,
        duration_s=found.duration_s,
        phash=found.phash,
    )


class WorkerPreviewRenderer:
    """Renders previews in worker processes; one file's failure is that file's result."""

    def __init__(
        self,
        *,
        pool: PreviewPool,
        store: BlobStore,
        local_path: LocalPath,
        scratch_dir: Path,
        timeout_s: float,
    ) -> None:
        self._pool = pool
        self._store = store
        self._local_path = local_path
        self._scratch_dir = scratch_dir
        self._timeout_s = timeout_s

    def renders(self, asset: Asset) -> bool:
        return engine_for(asset.mime_type, asset.filename) is not None

    async def render_many(self, assets: list[Asset]) -> list[RenderedPreview | PreviewFailed]:
        """Each file's preview or the reason it has none; ``Unavailable`` (storage down: no file's
        fault, and worth another try later) is raised once the others are done."""
        results: list[RenderedPreview | PreviewFailed] = [PreviewFailed("not rendered")] * len(assets)
        unavailable: list[Unavailable] = []

        async def one(index: int, asset: Asset) -> None:
            try:
                results[index] = await self.render(asset)
            except Unavailable as exc:
                unavailable.append(exc)

        async with anyio.create_task_group() as group:
            for index, asset in enumerate(assets):
                group.start_soon(one, index, asset)
        if unavailable:
            raise unavailable[0]
        return results

    async def render(self, asset: Asset) -> RenderedPreview | PreviewFailed:
        engine = engine_for(asset.mime_type, asset.filename)
        if engine is None:
            return PreviewFailed(f"files of type {asset.mime_type} have no preview")
        local = self._local_path(asset.storage)
        if local is not None:
            return await self._render_file(local, engine)
        copy = self._scratch_dir / f"{secrets.token_hex(8)}{extension(asset.filename)}"
        try:
            try:
                await self._copy(asset.storage, copy)
            except Unavailable:
                raise
            except (OSError, DomainError) as exc:
                return PreviewFailed(f"the file could not be read from storage: {exc}")
            return await self._render_file(copy, engine)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: copy.unlink(missing_ok=True))

    async def _render_file(self, path: Path, engine: Engine) -> RenderedPreview | PreviewFailed:
        request = RenderRequest(path=str(path), engine=engine)
        return _result(await self._pool.render(request, limit_s=self._timeout_s))

    async def _copy(self, location: StorageLocation, path: Path) -> None:
        await anyio.to_thread.run_sync(lambda: path.parent.mkdir(parents=True, exist_ok=True))
        async with await anyio.open_file(path, "xb") as out:
            async for chunk in self._store.open_range(location):
                await out.write(chunk)
