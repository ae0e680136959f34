"""Spooling a byte stream to a file: the event loop gathers, a worker thread hashes and writes.

An upload's bytes arrive in small pieces (tens of KiB from the ASGI server). They are gathered into
``WRITE_BATCH`` buffers, and each full buffer is handed to one worker thread that hashes and writes
it (hashlib and file writes release the GIL on large buffers), while the event loop goes on reading
and parsing the next piece. At most ``WRITE_QUEUE`` full buffers wait for the writer, so memory stays
bounded (about ``(WRITE_QUEUE + 2) * WRITE_BATCH``) however fast the client sends and however slow
the disk is: a full queue makes the loop wait, which stops reading the socket, which slows the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

# Writes are gathered to this size before one trip to the worker thread: fewer thread hops per byte.
WRITE_BATCH = 4 * 1024 * 1024
# Full buffers that may wait for the writer while the next one fills.
WRITE_QUEUE = 3

Writer = Callable[[bytearray], None]


async def spool(
    chunks: AsyncIterable[bytes], write: Writer, *, batch: int = WRITE_BATCH, queue: int = WRITE_QUEUE
) -> None:
    """Hand ``chunks``, in order, gathered into ``batch``-byte buffers, to ``write`` in a worker thread.

    ``write`` runs for one buffer at a time. A failed write stops the reading at the next full buffer
    and is raised as itself; a failed read lets the buffer being written finish, then is raised as
    itself. Nothing is cancelled from outside mid-step, so the caller's own awaits (a database
    check at the end of the stream) never see a cancellation they did not ask for.
    """
    send, receive = anyio.create_memory_object_stream[bytearray](max_buffer_size=queue)
    failed: list[Exception] = []

    async def deliver(full: bytearray) -> bool:
        try:
            await send.send(full)
        except anyio.BrokenResourceError:  # the writer stopped: its error is raised below
            return False
        return True

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_drain, receive, write, failed)
            async with send:
                filling = bytearray()
                async for chunk in chunks:
                    filling += chunk
                    if len(filling) >= batch:
                        full, filling = filling, bytearray()  # hand the buffer over, never copy it
                        if not await deliver(full):
                            break
                else:
                    if filling:
                        await deliver(filling)
    except BaseExceptionGroup as grouped:  # the reading side failed: raise its error as itself
        first = grouped.exceptions[0]
        raise first from first.__cause__
    if failed:
        raise failed[0]


async def _drain(
    receive: MemoryObjectReceiveStream[bytearray], write: Writer, failed: list[Exception]
) -> None:
    async with receive:
        try:
            async for full in receive:
                await anyio.to_thread.run_sync(write, full)
        except Exception as exc:  # noqa: BLE001  (handed to the reading side, which raises it)
            failed.append(exc)
