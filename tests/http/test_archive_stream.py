"""The ZIP writer on its own: names made unique and safe, and memory flat however big the files."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_http.archive import Member, unique_names, zip_stream

MIB = 1024 * 1024


@given(st.lists(st.text(min_size=0, max_size=20), max_size=30))
def test_names_are_unique_whatever_their_case_and_never_leave_the_archive_folder(names: list[str]) -> None:
    out = unique_names(names)
    assert len(out) == len(names)
    assert len({n.lower() for n in out}) == len(out)
    assert all(n and "/" not in n and "\\" not in n and n not in (".", "..") for n in out)


def test_a_second_name_gets_a_number_before_its_extension() -> None:
    assert unique_names(["a.jpg", "A.jpg", "a.jpg", "dir/b", "../b"]) == [
        "a.jpg",
        "A (2).jpg",
        "a (3).jpg",
        "b",
        "b (2)",
    ]


async def _drain(stream: AsyncIterator[bytes]) -> tuple[int, bytes, bytes]:
    """Bytes seen, the first 4 KiB and the last 4 KiB, keeping nothing else."""
    total, head, tail = 0, b"", b""
    async for chunk in stream:
        total += len(chunk)
        head = head or chunk[:4096]
        tail = (tail + chunk)[-4096:]
    return total, head, tail


@pytest.mark.anyio
async def test_memory_stays_flat_for_a_file_far_bigger_than_it() -> None:
    size = 256 * MIB
    block = bytes(range(256)) * 4096  # 1 MiB

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(size // len(block)):
            yield block

    tracemalloc.start()
    try:
        total, head, _ = await _drain(zip_stream([Member("big.bin", size, datetime.now(UTC), chunks)]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > size
    assert head.startswith(b"PK\x03\x04")
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB while writing {size // MIB} MiB"


@pytest.mark.anyio
async def test_a_small_archive_reads_back_with_its_times() -> None:
    data = b"hello" * 1000

    async def chunks() -> AsyncIterator[bytes]:
        yield data[:2000]
        yield data[2000:]

    when = datetime(1975, 5, 1, tzinfo=UTC)  # before ZIP's epoch: written as 1980-01-01
    parts = [c async for c in zip_stream([Member("x.txt", len(data), when, chunks)])]
    with zipfile.ZipFile(io.BytesIO(b"".join(parts))) as archive:
        (info,) = archive.infolist()
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert zlib.crc32(data) == info.CRC
        assert archive.read(info) == data
