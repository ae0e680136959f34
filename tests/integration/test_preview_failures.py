"""Bad files, crashed and hung workers: each fails its own file only, and nothing is left behind.

The renderers here never find a blob on the local disk (``local_path`` answers ``None``), so every
file is first copied into the scratch folder: each test checks the copies are gone whatever happened.
"""

from __future__ import annotations

import os
import signal

import preview_files as files
import pytest
from preview_support import PreviewBench, anyio_backend, bench_fixture, check_pictures, process_gone, rendered  # noqa: F401  (one bench per module)

from faceforge_domain.previews import PreviewFailed

pytestmark = pytest.mark.anyio


def assert_clean(bench: PreviewBench) -> None:
    """No copy left in scratch, and no more workers than the pool's size, all of them alive."""
    assert bench.scratch_files() == []
    assert bench.pool.running <= bench.pool.size
    assert not [pid for pid in bench.pool.pids() if process_gone(pid)]


async def test_bomb_and_truncated_jpeg_fail_alone_in_a_batch(bench: PreviewBench) -> None:
    good_jpeg = files.jpeg(files.noise(300, 200))
    batch = [
        await bench.add(good_jpeg, "good.jpg"),
        await bench.add(files.png_bomb(), "bomb.png"),
        await bench.add(good_jpeg[: len(good_jpeg) // 2], "cut.jpg"),
        await bench.add(files.png16(), "good.png"),
    ]
    first, bomb, cut, last = await bench.streaming().render_many(batch)

    check_pictures(rendered(first))
    check_pictures(rendered(last))
    assert isinstance(bomb, PreviewFailed)
    assert bomb.reason == "the picture is 50000x50000 (2500 megapixels), over the limit of 100 megapixels"
    assert isinstance(cut, PreviewFailed)
    assert cut.reason == "the file could not be decoded: VipsJpeg: premature end of JPEG image"
    assert_clean(bench)


async def test_a_worker_killed_under_a_file_fails_that_file_only(bench: PreviewBench) -> None:
    photo = await bench.add(files.jpeg(files.noise(640, 480)), "photo.jpg")
    check_pictures(rendered((await bench.renderer().render_many([photo]))[0]))
    killed = list(bench.pool.pids())
    for pid in killed:
        os.kill(pid, signal.SIGKILL)  # the idle workers die; the pool learns it from the next file
    results = [(await bench.streaming().render_many([photo]))[0] for _ in killed]
    assert [getattr(result, "reason", None) for result in results] == ["the decoder crashed"] * len(killed)
    check_pictures(rendered((await bench.streaming().render_many([photo]))[0]))
    assert not set(killed) & set(bench.pool.pids())
    assert_clean(bench)


async def test_a_file_over_its_time_fails_and_its_worker_is_replaced(bench: PreviewBench) -> None:
    photo = await bench.add(files.jpeg(files.noise(2000, 1500)), "slow.jpg")
    [late] = await bench.streaming(timeout_s=0.001).render_many([photo])
    assert isinstance(late, PreviewFailed)
    assert late.reason == "timed out after 0.001 s"
    check_pictures(rendered((await bench.streaming().render_many([photo]))[0]))
    assert_clean(bench)
