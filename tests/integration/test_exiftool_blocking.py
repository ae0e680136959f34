"""``BlockingExifTool``: one real ``-stay_open`` ExifTool kept between files, replaced when it fails.

A stopped process (SIGSTOP) stands in for one a file has wedged: it reads nothing and answers nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from exiftool_support import EXIFTOOL, EXIFTOOL_SAMPLES, alive, fake_tool, needs_exiftool

from faceforge_adapters.exiftool.blocking import BlockingExifTool
from faceforge_domain.metadata import MetadataError

pytestmark = [
    needs_exiftool,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process states are read from /proc"),
]
RAWS = ["Panasonic.rw2", "FujiFilm.raf", "CanonRaw.cr3", "Minolta.mrw", "Sigma.x3f"]
ASK = ("-json", "-FileType")


class _Type(msgspec.Struct):
    SourceFile: str
    FileType: str


def file_type(tool: BlockingExifTool, name: str) -> str:
    path = (EXIFTOOL_SAMPLES / name).absolute()
    [found] = msgspec.json.decode(tool.run(ASK, path), type=list[_Type])
    assert found.SourceFile == str(path)
    return found.FileType


def real_tool(limit_s: float) -> BlockingExifTool:
    assert EXIFTOOL is not None
    return BlockingExifTool(Path(EXIFTOOL), limit_s=limit_s)


def test_one_process_answers_file_after_file_and_is_gone_when_closed() -> None:
    tool = real_tool(30)
    assert tool.pid is None  # nothing starts before the first file
    pids = set()
    try:
        types = []
        for name in RAWS * 2:
            types.append(file_type(tool, name))
            pids.add(tool.pid)
    finally:
        tool.close()
    assert types == ["RW2", "RAF", "CR3", "MRW", "X3F"] * 2
    [pid] = pids
    assert pid is not None
    assert not alive(pid)
    assert tool.pid is None


@contextlib.contextmanager
def running_tool(limit_s: float) -> Iterator[tuple[BlockingExifTool, int]]:
    """A tool that has read one file, and its process id; closed afterwards."""
    tool = real_tool(limit_s)
    try:
        assert file_type(tool, "FujiFilm.raf") == "RAF"
        assert tool.pid is not None
        yield tool, tool.pid
    finally:
        tool.close()


def test_a_wedged_exiftool_fails_that_file_and_a_fresh_one_reads_the_next() -> None:
    with running_tool(1) as (tool, wedged):
        os.kill(wedged, signal.SIGSTOP)
        with pytest.raises(MetadataError, match=r"^exiftool took longer than 1 s$"):
            file_type(tool, "Panasonic.rw2")
        assert not alive(wedged)
        assert file_type(tool, "Panasonic.rw2") == "RW2"
        assert tool.pid not in (None, wedged)


def test_an_exiftool_killed_while_idle_is_replaced_for_the_next_file() -> None:
    with running_tool(30) as (tool, killed):
        os.kill(killed, signal.SIGKILL)
        assert file_type(tool, "Panasonic.rw2") == "RW2"
        assert tool.pid not in (None, killed)
        assert not alive(killed)


def test_an_exiftool_that_dies_under_its_first_file_fails_that_file(tmp_path: Path) -> None:
    tool = BlockingExifTool(fake_tool(tmp_path, "exit 3\n"), limit_s=30)
    for _ in range(2):  # each file gets a fresh process, and fails on its own
        with pytest.raises(MetadataError, match=r"^exiftool stopped unexpectedly while reading the file$"):
            file_type(tool, "FujiFilm.raf")
        assert tool.pid is None


def test_a_missing_exiftool_and_a_relative_path_are_refused_clearly(tmp_path: Path) -> None:
    missing = BlockingExifTool(tmp_path / "no-exiftool", limit_s=30)
    with pytest.raises(MetadataError, match=r"^exiftool could not start: .*no-exiftool is not an executable"):
        file_type(missing, "FujiFilm.raf")
    tool = real_tool(30)
    try:
        with pytest.raises(ValueError, match="absolute paths only"):
            tool.run(ASK, Path("FujiFilm.raf"))
        assert file_type(tool, "FujiFilm.raf") == "RAF"  # the refused request was never sent
    finally:
        tool.close()
