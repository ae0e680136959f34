"""Previews: the small and large WebP pictures of a file, and the 64-bit perceptual hash taken from them.

Pure values and the renderer port. A preview is a derived asset (kind ``image.thumbnail``) pointing
at its original; the renderer that makes one lives in the adapters and decodes untrusted bytes out of
Core's process.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal, Protocol

import anyio
import msgspec

from faceforge_domain.models import Asset

PreviewSize = Literal["small", "large"]
# The long side of each preview, in pixels (never enlarged: a smaller original keeps its size).
PREVIEW_EDGE: dict[PreviewSize, int] = {"small": 256, "large": 1280}
PREVIEW_KIND = "image.thumbnail"
PREVIEW_MIME = "image/webp"


def is_preview(asset: Asset) -> bool:
    """Whether this asset is a preview Core made (never listed, never previewed itself)."""
    return asset.kind == PREVIEW_KIND and asset.derived_from_asset_id is not None


class RenderedPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What a renderer made of one file.

    ``width``/``height`` are the original's displayed size (orientation applied) where known;
    ``duration_s`` is a video's or a sound's length; ``phash`` is the 64-bit perceptual hash of the
    picture (unsigned), ``None`` for files whose picture is not theirs to compare (a PDF page, a cover).
    """

    small: bytes
    large: bytes
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    phash: int | None = None


class PreviewFailed(Exception):
    """This file cannot have a preview: ``reason`` is a sentence for the user, kept with the record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PreviewRenderer(Protocol):
    """Makes previews of stored files; decodes happen out of process, one file's crash costs that file."""

    def renders(self, asset: Asset) -> bool:
        """Whether this kind of file can have a preview at all (decided from its type, no I/O)."""
        ...

    async def render_many(self, assets: list[Asset]) -> list[RenderedPreview | PreviewFailed]:
        """One result per asset, in order; never raises for one file's fault."""
        ...


PreviewStatus = Literal["done", "failed", "none"]


class PreviewRecord(msgspec.Struct, kw_only=True):
    """What became of an original's previews, so a failure is not retried on every page view.

    ``done``: both pictures exist (``small_asset_id``/``large_asset_id`` name the derived assets);
    ``failed``: the renderer could not make them (``reason`` says why); ``none``: this kind of file has
    no picture to show (a model, an archive...).
    """

    asset_id: str
    status: PreviewStatus
    reason: str | None = None
    small_asset_id: str | None = None
    large_asset_id: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    updated_at: datetime

    def picture(self, size: PreviewSize) -> str | None:
        """The derived asset holding the picture of this size, when there is one."""
        return self.small_asset_id if size == "small" else self.large_asset_id


class PreviewRepository(Protocol):
    async def put(self, record: PreviewRecord) -> None:
        """Insert or replace the original's record."""
        ...

    async def get(self, asset_id: str) -> PreviewRecord | None: ...

    async def forget_unmade(self, asset_id: str) -> bool:
        """Drop the record when it holds no pictures (failed, none), so the file is tried again."""
        ...

    async def get_many(self, asset_ids: Collection[str]) -> dict[str, PreviewRecord]: ...

    async def missing(self, after: str | None, limit: int) -> list[str]:
        """Live originals (not previews themselves) without a record, by id, after ``after``."""
        ...

    async def failed(self, after: str | None, limit: int) -> list[str]:
        """Live originals whose previews failed, by id, after ``after``."""
        ...

    async def count_missing(self) -> int: ...

    async def count_failed(self) -> int: ...

    async def pictures_in_use(self, picture_ids: Collection[str]) -> set[str]:
        """Those of these preview pictures some original's record names."""
        ...


class PreviewQueue:
    """Ids of new files waiting for previews; ingest adds to it, the runner takes from it.

    A bulk import pauses it while it runs: on a machine's few cores, previews made beside the import
    would slow it by a third (both decode and both want every core), and the import's metadata is what
    its user waits on. The waiting files are previewed as soon as the last import ends.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, None] = {}  # insertion-ordered set
        self._arrived = anyio.Event()
        self._pauses = 0
        self._resumed = anyio.Event()
        self._resumed.set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The runner makes no previews until every open pause has ended (files still join the queue)."""
        if self._pauses == 0:
            self._resumed = anyio.Event()
        self._pauses += 1
        try:
            yield
        finally:
            self._pauses -= 1
            if self._pauses == 0:
                self._resumed.set()

    async def until_resumed(self) -> None:
        """Until no pause is open (at once when none is)."""
        await self._resumed.wait()

    def submit(self, asset_id: str) -> None:
        self._waiting[asset_id] = None
        self._arrived.set()

    def take(self, limit: int) -> list[str]:
        """Up to ``limit`` waiting ids, oldest first, without waiting (a long queue is not copied)."""
        taken = list(itertools.islice(self._waiting, limit))
        for asset_id in taken:
            del self._waiting[asset_id]
        if not self._waiting:
            self._arrived = anyio.Event()
        return taken

    async def wait(self) -> None:
        """Until something is waiting."""
        await self._arrived.wait()
