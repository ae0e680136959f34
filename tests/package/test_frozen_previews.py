"""The frozen ``faceforge`` renders previews as a worker, started exactly as Core's pool starts one
(``FACEFORGE_PREVIEW_WORKER=1``, the protocol on stdin and stdout), with the ExifTool bundled in its
``tools/``: a JPEG, a PNG, an AVIF, a HEVC-coded HEIC (made with libheif's ``heif-enc``: the sample
HEIC has no picture), a one-page PDF, a short video and a camera RAW each get WebP previews, the same
ones a worker running from the sources makes; LibRaw reads a RAW when there is no ExifTool.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import av
import numpy as np
import pypdfium2
import pytest
from package_build import FREEZE_TIMEOUT, frozen_executable
from package_smoke import ROOT
from PIL import Image

from faceforge_adapters.previews.pool import PreviewPool
from faceforge_adapters.previews.protocol import Engine, RenderAnswer, RenderRequest, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(FREEZE_TIMEOUT + 300)]

SAMPLES = ROOT.parent / "shared" / "fixtures" / "exiftool-samples"
SIZE = (64, 48)
RENDER_LIMIT_S = 60.0


@dataclass(frozen=True)
class Sample:
    path: Path
    engine: Engine


def write_png(path: Path) -> None:
    Image.new("RGB", SIZE, (200, 120, 40)).save(path)


def write_avif(path: Path) -> None:
    Image.new("RGB", SIZE, (40, 120, 200)).save(path)


def write_heic(path: Path) -> None:
    png = path.with_name("heic source.png")
    write_png(png)
    subprocess.run(["heif-enc", "-q", "90", "-o", str(path), str(png)], check=True, capture_output=True)


def write_pdf(path: Path) -> None:
    document = pypdfium2.PdfDocument.new()
    document.new_page(200, 300)
    document.save(str(path))


def write_video(path: Path) -> None:
    """One second of MPEG-4 at 10 frames/s, each frame a shade brighter."""
    width, height = SIZE
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for shade in range(10):
            pixels = np.full((height, width, 3), shade * 20, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    made = tmp_path_factory.mktemp("samples")
    for name, write in (
        ("made.png", write_png),
        ("made.avif", write_avif),
        ("made.heic", write_heic),
        ("one-page.pdf", write_pdf),
    ):
        write(made / name)
    write_video(made / "clip.mp4")
    return {
        "jpeg": Sample(SAMPLES / "Apple.jpg", "image"),
        "png": Sample(made / "made.png", "image"),
        "avif": Sample(made / "made.avif", "image"),
        "heic": Sample(made / "made.heic", "image"),
        "pdf": Sample(made / "one-page.pdf", "pdf"),
        "video": Sample(made / "clip.mp4", "video"),
        "raw": Sample(SAMPLES / "FujiFilm.raf", "raw"),
    }


@pytest.fixture(scope="module")
def executable() -> Path:
    return frozen_executable()


@dataclass(frozen=True)
class Rendered:
    answers: dict[str, RenderAnswer]
    worker_programs: list[Path]  # what each worker process was running (its /proc/<pid>/exe)


def render_all(samples: Mapping[str, Sample], exiftool: Path | None, command: list[str] | None) -> Rendered:
    """Every sample through one pool (``command``: how its workers start; None: the pool's default;
    no ``exiftool``: RAW files are read by LibRaw alone)."""
    settings = WorkerSettings(
        max_pixels=50_000_000, max_memory_mb=2048, exiftool=str(exiftool) if exiftool else None
    )

    async def run() -> Rendered:
        pool = PreviewPool(settings, 1, command=command)
        try:
            answers = {}
            for name, sample in samples.items():
                request = RenderRequest(path=str(sample.path), engine=sample.engine)
                answers[name] = await pool.render(request, limit_s=RENDER_LIMIT_S)
            programs = [Path(await anyio.Path(f"/proc/{pid}/exe").resolve()) for pid in pool.pids()]
            return Rendered(answers, programs)
        finally:
            await pool.aclose()

    return anyio.run(run)


@pytest.fixture(scope="module")
def bundled_exiftool(executable: Path) -> Path:
    """Where ``faceforge_adapters/tools.py`` finds ExifTool in the frozen build (its ``bundle`` rung)."""
    return executable.parent / "tools" / "exiftool" / "exiftool"


@pytest.fixture(scope="module")
def frozen(samples: dict[str, Sample], executable: Path, bundled_exiftool: Path) -> Rendered:
    return render_all(samples, bundled_exiftool, [str(executable)])


@pytest.fixture(scope="module")
def from_sources(samples: dict[str, Sample], bundled_exiftool: Path) -> Rendered:
    return render_all(samples, bundled_exiftool, None)


def test_the_frozen_libraw_reads_a_raw_file_without_exiftool(
    samples: dict[str, Sample], executable: Path
) -> None:
    answer = render_all({"raw": samples["raw"]}, None, [str(executable)]).answers["raw"]
    assert answer.reason is None, answer.reason
    assert (answer.width, answer.height) == (3552, 3551)  # the sensor's size, as LibRaw reads it


def test_the_workers_were_the_frozen_executable(frozen: Rendered, executable: Path) -> None:
    assert frozen.worker_programs == [executable.resolve()]


@pytest.mark.parametrize("name", ["jpeg", "png", "avif", "heic", "pdf", "video", "raw"])
def test_the_frozen_worker_renders_webp_previews(frozen: Rendered, name: str) -> None:
    answer = frozen.answers[name]
    assert answer.reason is None, answer.reason
    for webp in (answer.small, answer.large):
        with Image.open(io.BytesIO(webp)) as picture:
            assert picture.format == "WEBP"
            assert picture.width > 0


def test_the_frozen_worker_answers_what_the_sources_answer(frozen: Rendered, from_sources: Rendered) -> None:
    assert frozen.answers == from_sources.answers
