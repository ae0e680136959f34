"""spool: a byte stream gathered into buffers and written by a worker thread, with a bounded queue."""

from __future__ import annotations

import errno
import threading
from collections.abc import AsyncIterator

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.storage.spool import spool

pytestmark = pytest.mark.anyio

BATCH = 64
QUEUE = 2


async def stream(chunks: list[bytes], counted: list[int] | None = None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if counted is not None:
            counted[0] += len(chunk)
        yield chunk


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(st.binary(max_size=200), max_size=40))
async def test_every_byte_reaches_the_writer_once_in_order_in_full_buffers(chunks: list[bytes]) -> None:
    written: list[bytes] = []
    await spool(stream(chunks), lambda data: written.append(bytes(data)), batch=BATCH, queue=QUEUE)
    assert b"".join(written) == b"".join(chunks)
    assert all(len(piece) >= BATCH for piece in written[:-1])
    assert all(piece for piece in written)  # never an empty write


async def test_a_slow_writer_holds_back_the_reading_so_memory_stays_bounded() -> None:
    release = threading.Event()
    written: list[int] = []

    def slow_write(data: bytearray) -> None:
        release.wait(10)
        written.append(len(data))

    counted = [0]
    chunks = [b"x" * 16] * 1000  # 16,000 bytes: 250 buffers

    async def release_later() -> None:
        await anyio.sleep(0.3)  # the reader runs ahead until the queue is full, then waits
        release.set()

    read_while_blocked = 0

    async def watch() -> None:
        nonlocal read_while_blocked
        await anyio.sleep(0.25)
        read_while_blocked = counted[0]

    async with anyio.create_task_group() as group:
        group.start_soon(release_later)
        group.start_soon(watch)
        await spool(stream(chunks, counted), slow_write, batch=BATCH, queue=QUEUE)
    # One buffer in the writer, QUEUE waiting, one filling, and the chunk that is being handed over.
    assert 0 < read_while_blocked <= (QUEUE + 2) * BATCH + 16
    assert sum(written) == 16_000


async def test_a_failed_write_stops_the_reading_and_is_raised_as_itself() -> None:
    counted = [0]

    def full_disk(data: bytearray) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left") as raised:
        await spool(stream([b"y" * 16] * 10_000, counted), full_disk, batch=BATCH, queue=QUEUE)
    assert raised.value.errno == errno.ENOSPC
    assert counted[0] <= (QUEUE + 3) * BATCH  # stopped at the next full buffer, not at the end


async def test_a_failed_read_is_raised_as_itself_after_the_pending_writes() -> None:
    written: list[bytes] = []

    async def broken() -> AsyncIterator[bytes]:
        yield b"z" * BATCH
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError, match="went away"):
        await spool(broken(), lambda data: written.append(bytes(data)), batch=BATCH, queue=QUEUE)
    assert written in ([], [b"z" * BATCH])  # a buffer already handed over may still be written
