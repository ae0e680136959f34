"""ExifToolPool.run_many: one caller's whole batch, with the same per-file guarantees as ``run``."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import anyio
import pytest
from exiftool_support import BATCHING_TOOL, EXIFTOOL, EXIFTOOL_SAMPLES, fake_tool, needs_exiftool

from faceforge_adapters.exiftool.pool import ExifToolPool, PoolFile
from faceforge_domain.metadata import MetadataError, exiftool_entry

pytestmark = pytest.mark.anyio


def _source_file(answer: bytes | MetadataError) -> str:
    assert isinstance(answer, bytes), answer
    source = exiftool_entry(answer)["Data"]["SourceFile"]
    assert isinstance(source, str)
    return source


def _requests_sent(tmp_path: Path) -> list[str]:
    """How many files each request the stand-in tool received named, in order."""
    log = tmp_path / "requests.log"
    return log.read_text().split() if log.exists() else []


@needs_exiftool
async def test_answers_come_in_order_for_good_missing_and_unreadable_files(tmp_path: Path) -> None:
    assert EXIFTOOL is not None
    noise = tmp_path / "noise.jpg"
    noise.write_bytes(bytes(range(256)) * 8)
    good = [EXIFTOOL_SAMPLES / "Apple.jpg", EXIFTOOL_SAMPLES / "Casio2.jpg"]
    paths = [good[0], tmp_path / "missing.jpg", noise, good[1]]
    pool = ExifToolPool(Path(EXIFTOOL), 2)
    try:
        answers = await pool.run_many([PoolFile(path, limit_s=60) for path in paths])
    finally:
        await pool.aclose()
    assert len(answers) == len(paths)
    assert [_source_file(answers[i]) for i in (0, 3)] == [str(good[0]), str(good[1])]
    with pytest.raises(MetadataError, match="printed nothing"):  # ExifTool says nothing of a missing file
        exiftool_entry(answers[1])  # type: ignore[arg-type]
    unreadable = exiftool_entry(answers[2])["Data"]  # type: ignore[arg-type]
    assert unreadable["SourceFile"] == str(noise)
    assert "ExifTool:Error" in unreadable


@pytest.mark.parametrize(("culprit", "reason"), [("stuck", "longer than"), ("crash", "stopped unexpectedly")])
async def test_one_file_that_goes_wrong_fails_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, culprit: str, reason: str
) -> None:
    pool = ExifToolPool(fake_tool(tmp_path, BATCHING_TOOL), 1)
    names = ["a.jpg", f"{culprit}.jpg", "b.jpg"]
    try:
        with caplog.at_level(logging.INFO, logger="faceforge.exiftool"):
            answers = await pool.run_many([PoolFile(tmp_path / n, limit_s=1, asset_id=n) for n in names])
    finally:
        await pool.aclose()
    assert _requests_sent(tmp_path) == ["3", "1", "1", "1"]  # one batch, then file by file
    assert [_source_file(answers[i]) for i in (0, 2)] == [str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")]
    assert isinstance(answers[1], MetadataError)
    assert reason in str(answers[1])
    events = [r.__dict__ for r in caplog.records]
    assert [e["files"] for e in events if e.get("event") == "exiftool.batch_split"] == [3]
    blamed = [e["asset_id"] for e in events if e.get("event") in ("exiftool.timeout", "exiftool.crash")]
    assert blamed == [f"{culprit}.jpg"]
    assert pool.running == 0


@pytest.mark.parametrize("while_", ["waiting", "sent"])
async def test_a_cancelled_run_many_leaves_nothing_queued_or_half_sent(tmp_path: Path, while_: str) -> None:
    """Cancelled while its files wait for the busy worker, or while the worker reads them: none of
    them is sent afterwards, and a worker cut off mid-request is not used again."""
    pool = ExifToolPool(fake_tool(tmp_path, BATCHING_TOOL), 1)
    gave_up = [PoolFile(tmp_path / f"slow-gave-up-{n}.jpg", limit_s=5) for n in range(3)]
    try:
        async with anyio.create_task_group() as group:
            if while_ == "waiting":
                group.start_soon(functools.partial(pool.run, tmp_path / "slow.jpg", limit_s=5))
                await anyio.sleep(0.1)
            with anyio.move_on_after(0.2):
                await pool.run_many(gave_up)
            assert pool.running == (1 if while_ == "waiting" else 0)
            kept = await pool.run_many([PoolFile(tmp_path / "kept.jpg", limit_s=5)])
    finally:
        await pool.aclose()
    assert _source_file(kept[0]) == str(tmp_path / "kept.jpg")
    sent = {"waiting": ["1", "1"], "sent": ["3", "1"]}[while_]  # the first request is slow.jpg's or theirs
    assert _requests_sent(tmp_path) == sent


async def test_concurrent_callers_each_get_their_own_answers_sharing_batches(tmp_path: Path) -> None:
    """Files of two callers that wait side by side go out together, from whichever caller gets the
    worker; the other waits for that batch and gets its answers all the same."""
    pool = ExifToolPool(fake_tool(tmp_path, BATCHING_TOOL), 1)
    mine = {caller: [tmp_path / f"{caller}-{n}.jpg" for n in range(3)] for caller in ("first", "second")}
    answers: dict[str, list[bytes | MetadataError]] = {}

    async def ask(caller: str) -> None:
        answers[caller] = await pool.run_many([PoolFile(path, limit_s=5) for path in mine[caller]])

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(
                functools.partial(pool.run, tmp_path / "slow.jpg", limit_s=5)
            )  # keeps the worker busy while both queue
            await anyio.sleep(0.1)
            group.start_soon(ask, "first")
            group.start_soon(ask, "second")
    finally:
        await pool.aclose()
    assert _requests_sent(tmp_path) == ["1", "6"]
    for caller, paths in mine.items():
        assert [_source_file(answer) for answer in answers[caller]] == [str(path) for path in paths]


async def test_many_callers_on_two_workers_all_get_their_answers(tmp_path: Path) -> None:
    pool = ExifToolPool(fake_tool(tmp_path, BATCHING_TOOL), 2)
    mine = [[tmp_path / f"{caller}-{n}.jpg" for n in range(40)] for caller in range(4)]
    answers: list[list[bytes | MetadataError]] = [[] for _ in mine]

    async def ask(caller: int) -> None:
        answers[caller] = await pool.run_many([PoolFile(path, limit_s=5) for path in mine[caller]])

    try:
        async with anyio.create_task_group() as group:
            for caller in range(len(mine)):
                group.start_soon(ask, caller)
    finally:
        await pool.aclose()
    for paths, got in zip(mine, answers, strict=True):
        assert [_source_file(answer) for answer in got] == [str(path) for path in paths]
    sent = [int(files) for files in _requests_sent(tmp_path)]
    assert sum(sent) == 160
    assert max(sent) == 32  # full batches while the queue is long


async def test_a_closed_pool_answers_every_file_with_an_error(tmp_path: Path) -> None:
    pool = ExifToolPool(fake_tool(tmp_path, BATCHING_TOOL), 1)
    await pool.aclose()
    answers = await pool.run_many([PoolFile(tmp_path / n, limit_s=5) for n in ("a.jpg", "b.jpg")])
    assert [str(answer) for answer in answers] == ["the exiftool pool is closed"] * 2
    assert _requests_sent(tmp_path) == []
    assert await pool.run_many([]) == []


@needs_exiftool
async def test_warm_up_starts_every_worker_once_and_the_work_reuses_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert EXIFTOOL is not None
    pool = ExifToolPool(Path(EXIFTOOL), 2)
    try:
        with caplog.at_level(logging.INFO, logger="faceforge.exiftool"):
            await pool.warm_up()
            assert pool.running == 2
            await pool.warm_up()  # already warm: nothing more starts
            answers = await pool.run_many([PoolFile(EXIFTOOL_SAMPLES / "Apple.jpg", limit_s=60)] * 3)
        assert all(isinstance(answer, bytes) for answer in answers)
        starts = [r for r in caplog.records if r.__dict__.get("event") == "exiftool.worker_start"]
        assert len(starts) == 2
    finally:
        await pool.aclose()
    await pool.warm_up()  # a closed pool starts nothing
    assert pool.running == 0


async def test_warm_up_of_a_tool_that_cannot_start_is_quiet_until_a_file_asks(tmp_path: Path) -> None:
    pool = ExifToolPool(tmp_path / "no-such-exiftool", 2)
    await pool.warm_up()
    assert pool.running == 0
    (answer,) = await pool.run_many([PoolFile(tmp_path / "a.jpg", limit_s=5)])
    assert isinstance(answer, MetadataError)
    assert "could not start" in str(answer)
