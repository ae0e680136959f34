"""Camera RAW previews through a worker's own ``-stay_open`` ExifTool, over the real RAW samples.

A one-worker pool, so every file goes through the same worker: its ExifTool child is found in
``/proc``. A stopped ExifTool (SIGSTOP) stands in for one a file has wedged.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from exiftool_support import EXIFTOOL_SAMPLES, alive, fake_tool, gone_within, needs_exiftool
from preview_support import (  # noqa: F401  (one bench per module)
    PreviewBench,
    anyio_backend,
    check_pictures,
    open_bench,
    rendered,
)

from faceforge_adapters.exiftool.blocking import BlockingExifTool
from faceforge_adapters.previews.decode_raw import decode_raw
from faceforge_adapters.previews.limits import DecodeRefused
from faceforge_domain.models import Asset
from faceforge_domain.previews import PreviewFailed, RenderedPreview

pytestmark = [
    pytest.mark.anyio,
    needs_exiftool,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child processes are read from /proc"),
]
RAWS = ["Panasonic.rw2", "FujiFilm.raf", "CanonRaw.cr3", "Minolta.mrw", "Sigma.x3f"]
# The other samples are stripped: nothing embedded, no sensor data (LibRaw refuses them).
WITH_PREVIEW = frozenset({"Panasonic.rw2", "FujiFilm.raf"})


@pytest.fixture(scope="module", name="bench")
async def one_worker_bench(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PreviewBench]:
    async with open_bench(tmp_path_factory.mktemp("raw-previews"), size=1) as opened:
        yield opened


def exiftools_of(worker: int) -> list[int]:
    """The live ``-stay_open`` ExifTool processes this worker started."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == worker and fields[0] != "Z" and b"-stay_open" in command:
            found.append(int(stat.parent.name))
    return found


async def add_sample(bench: PreviewBench, name: str) -> Asset:
    return await bench.add((EXIFTOOL_SAMPLES / name).read_bytes(), name)


async def render_one(
    bench: PreviewBench, asset: Asset, *, timeout_s: float = 30
) -> RenderedPreview | PreviewFailed:
    [result] = await bench.renderer(timeout_s=timeout_s).render_many([asset])
    return result


def the_worker_and_its_exiftool(bench: PreviewBench) -> tuple[int, int]:
    [worker] = bench.pool.pids()
    [exiftool] = exiftools_of(worker)
    return worker, exiftool


async def test_many_raws_in_a_row_use_one_exiftool(bench: PreviewBench) -> None:
    assets = [await add_sample(bench, name) for name in RAWS]
    seen = set()
    for _ in range(3):
        for asset in assets:
            result = await render_one(bench, asset)
            if asset.filename in WITH_PREVIEW:
                check_pictures(rendered(result))
            else:
                assert isinstance(result, PreviewFailed)
                assert result.reason.startswith("LibRaw cannot read this RAW file"), result.reason
            seen.add(the_worker_and_its_exiftool(bench))
    assert len(seen) == 1, seen  # one worker, one ExifTool, for all 15 files


async def test_a_killed_exiftool_is_replaced_and_the_next_raw_gets_its_preview(bench: PreviewBench) -> None:
    raf = await add_sample(bench, "FujiFilm.raf")
    check_pictures(rendered(await render_one(bench, raf)))
    worker, killed = the_worker_and_its_exiftool(bench)
    os.kill(killed, signal.SIGKILL)

    check_pictures(rendered(await render_one(bench, raf)))
    again, fresh = the_worker_and_its_exiftool(bench)
    assert again == worker  # the worker lived on
    assert fresh != killed
    assert not alive(killed)


async def test_a_raw_that_wedges_exiftool_fails_alone_and_its_exiftool_dies_with_the_worker(
    bench: PreviewBench,
) -> None:
    raf, rw2, jpeg = [await add_sample(bench, name) for name in ("FujiFilm.raf", "Panasonic.rw2", "Sony.jpg")]
    check_pictures(rendered(await render_one(bench, raf)))
    worker, wedged = the_worker_and_its_exiftool(bench)
    os.kill(wedged, signal.SIGSTOP)  # it answers nothing from now on

    late = await render_one(bench, rw2, timeout_s=3)
    assert isinstance(late, PreviewFailed)
    assert late.reason == "timed out after 3 s"
    # killed with its worker, by the parent-death signal
    assert gone_within(wedged, 10), "a preview worker's ExifTool outlived it"

    for asset in (jpeg, rw2, raf):
        check_pictures(rendered(await render_one(bench, asset)))
    new_worker, new_exiftool = the_worker_and_its_exiftool(bench)
    assert (new_worker, new_exiftool) != (worker, wedged)
    assert new_exiftool != wedged


def test_a_raw_whose_exiftool_fails_says_so(tmp_path: Path) -> None:
    broken = BlockingExifTool(fake_tool(tmp_path, "exit 3\n"), limit_s=30)
    raw = str(EXIFTOOL_SAMPLES / "FujiFilm.raf")
    with pytest.raises(DecodeRefused) as refused:
        decode_raw(raw, 100_000_000, broken)
    assert refused.value.reason == (
        "ExifTool could not read this RAW file (exiftool stopped unexpectedly while reading the file)"
    )
    assert broken.pid is None  # nothing left running
