"""Previews: the small and large WebP pictures of a file, and the 64-bit perceptual hash taken from them.

Pure values and the renderer port. A preview is a derived asset (kind ``image.thumbnail``) pointing
at its original; the renderer that makes one lives in the adapters and decodes untrusted bytes out of
Core's process.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

from faceforge_domain.models import Asset

PreviewSize = Literal["small", "large"]
# The long side of each preview, in pixels (never enlarged: a smaller original keeps its size).
PREVIEW_EDGE: dict[PreviewSize, int] = {"small": 256, "large": 1280}
PREVIEW_KIND = "image.thumbnail"
PREVIEW_MIME = "image/webp"


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
