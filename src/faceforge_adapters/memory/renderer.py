"""InMemoryPreviewRenderer: the renderer fake, for domain and HTTP tests that need no real decoding.

It "renders" images (``image/*``) into small stand-in pictures derived from the asset id, and fails
the files it is told to, so tests can check what the pipeline records and stores.
"""

from __future__ import annotations

import hashlib

from faceforge_domain.errors import Unavailable
from faceforge_domain.models import Asset
from faceforge_domain.previews import PreviewFailed, RenderedPreview


def _stand_in(size: bytes, digest: bytes) -> bytes:
    """Bytes that start like a WebP file (so they are typed ``image/webp``) and differ per file."""
    body = b"WEBP" + size + digest
    return b"RIFF" + len(body).to_bytes(4, "little") + body


class InMemoryPreviewRenderer:
    def __init__(self, failing: dict[str, str] | None = None) -> None:
        self.failing = dict(failing or {})  # asset id -> reason
        self.rendered: list[str] = []  # every asset id asked for, in order
        self.unavailable: list[Unavailable] = []  # raised by the next calls, one each (storage down)

    def renders(self, asset: Asset) -> bool:
        return asset.mime_type.startswith("image/")

    async def render_many(self, assets: list[Asset]) -> list[RenderedPreview | PreviewFailed]:
        if self.unavailable:
            raise self.unavailable.pop(0)
        results: list[RenderedPreview | PreviewFailed] = []
        for asset in assets:
            self.rendered.append(asset.asset_id)
            if asset.asset_id in self.failing:
                results.append(PreviewFailed(self.failing[asset.asset_id]))
                continue
            digest = hashlib.sha256(asset.asset_id.encode()).digest()
            results.append(
                RenderedPreview(
                    small=_stand_in(b"small", digest),
                    large=_stand_in(b"large", digest),
                    width=640,
                    height=480,
                    phash=int.from_bytes(digest[:8], "big"),
                )
            )
        return results
