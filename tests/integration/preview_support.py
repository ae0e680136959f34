"""Shared by the preview renderer tests: a real worker pool over a filesystem blob store, and checks.

``PreviewBench`` stores bytes as assets (their MIME type sniffed the way an upload does) and renders
them with the real ``WorkerPreviewRenderer``; ``open_bench`` closes the pool afterwards and checks that
no worker process outlived it; the ``bench`` fixture is one per test module (import ``bench_fixture`` with
``anyio_backend``). ``picture`` decodes a preview back (libvips) so tests can look at it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import pyvips

from faceforge_adapters.previews.pool import PreviewPool
from faceforge_adapters.previews.protocol import WorkerSettings
from faceforge_adapters.previews.renderer import LocalPath, WorkerPreviewRenderer
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_domain.filetypes import SNIFF_BYTES, infer_kind, sniff_mime
from faceforge_domain.models import Asset
from faceforge_domain.previews import PREVIEW_EDGE, PreviewFailed, RenderedPreview

EXIFTOOL = shutil.which("exiftool")
MAX_PIXELS = 100_000_000
MAX_MEMORY_MB = 1536
POOL_SIZE = 2
TIMEOUT_S = 30.0
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def process_gone(pid: int) -> bool:
    """Whether no process (not even an unreaped one) has this id."""
    return not Path(f"/proc/{pid}").exists()


@dataclass
class PreviewBench:
    """A blob store, a pool of real workers, and a renderer reading blobs in place."""

    store: FilesystemBlobStore
    pool: PreviewPool
    scratch_dir: Path
    seen_pids: set[int] = field(default_factory=set)

    def renderer(
        self, *, local_path: LocalPath | None = None, timeout_s: float = TIMEOUT_S
    ) -> WorkerPreviewRenderer:
        return WorkerPreviewRenderer(
            pool=self.pool,
            store=self.store,
            local_path=self.store.path_for if local_path is None else local_path,
            scratch_dir=self.scratch_dir,
            timeout_s=timeout_s,
        )

    def streaming(self, *, timeout_s: float = TIMEOUT_S) -> WorkerPreviewRenderer:
        """A renderer that never finds a blob on the local disk: every file is copied to scratch."""
        return self.renderer(local_path=lambda _location: None, timeout_s=timeout_s)

    async def add(self, data: bytes, filename: str) -> Asset:
        async def body() -> AsyncIterator[bytes]:
            yield data

        blob = await self.store.put(body())
        mime = sniff_mime(data[:SNIFF_BYTES], filename)
        return Asset(
            asset_id=blob.sha256,
            kind=infer_kind(mime, filename),
            mime_type=mime,
            size_bytes=blob.size_bytes,
            filename=filename,
            storage=blob.location,
            created_at=WHEN,
            updated_at=WHEN,
        )

    async def render(self, data: bytes, filename: str) -> RenderedPreview | PreviewFailed:
        [result] = await self.renderer().render_many([await self.add(data, filename)])
        return result

    def note_pids(self) -> None:
        self.seen_pids.update(self.pool.pids())

    def scratch_files(self) -> list[Path]:
        return sorted(self.scratch_dir.rglob("*")) if self.scratch_dir.exists() else []


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-wide, so one bench (and its workers, slow to start) serves a whole test module."""
    return "asyncio"


@pytest.fixture(scope="module", name="bench")
async def bench_fixture(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PreviewBench]:
    async with open_bench(tmp_path_factory.mktemp("previews")) as opened:
        yield opened


@contextlib.asynccontextmanager
async def open_bench(tmp_path: Path, *, size: int = POOL_SIZE) -> AsyncIterator[PreviewBench]:
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    settings = WorkerSettings(max_pixels=MAX_PIXELS, max_memory_mb=MAX_MEMORY_MB, exiftool=EXIFTOOL)
    bench = PreviewBench(store, PreviewPool(settings, size=size), tmp_path / "scratch")
    try:
        yield bench
    finally:
        bench.note_pids()
        await bench.pool.aclose()
    assert bench.pool.running == 0
    left = [pid for pid in bench.seen_pids if not process_gone(pid)]
    assert not left, f"worker processes left behind: {left}"


def rendered(result: RenderedPreview | PreviewFailed) -> RenderedPreview:
    assert isinstance(result, RenderedPreview), f"failed: {result}"
    return result


def picture(webp: bytes) -> pyvips.Image:
    """A preview decoded back; it must be a WebP file."""
    assert webp[:4] == b"RIFF", webp[:16]
    assert webp[8:12] == b"WEBP", webp[:16]
    return pyvips.Image.new_from_buffer(webp, "")


def check_pictures(result: RenderedPreview) -> tuple[pyvips.Image, pyvips.Image]:
    """Both previews are WebPs within their edge, the small one never larger than the large one."""
    small, large = picture(result.small), picture(result.large)
    assert max(small.width, small.height) <= PREVIEW_EDGE["small"]
    assert max(large.width, large.height) <= PREVIEW_EDGE["large"]
    assert small.width <= large.width
    assert small.height <= large.height
    return small, large


def mean_colour(image: pyvips.Image) -> tuple[float, ...]:
    """The mean of each of the first three bands (RGB), 0-255."""
    pixels = np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8, shape=(image.height, image.width, image.bands)
    )
    return tuple(float(v) for v in pixels[..., :3].reshape(-1, 3).mean(axis=0))
