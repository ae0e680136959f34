"""What Core and a preview worker say to each other over the worker's stdin and stdout.

Each message is a 4-byte big-endian length and a msgpack body. The worker first receives its
``WorkerSettings``, then one ``RenderRequest`` at a time, each answered by one ``RenderAnswer``.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Literal, TypeVar

import msgspec

# Set in a worker's environment: the frozen ``faceforge`` then starts as a worker, not as the CLI.
MARKER = "FACEFORGE_PREVIEW_WORKER"
Engine = Literal["image", "raw", "video", "audio", "pdf"]
HEADER = struct.Struct(">I")
# No answer is this big (two WebPs of at most 1280 px); a longer frame means the stream is out of step.
MAX_FRAME = 64 * 1024 * 1024
T = TypeVar("T")


class WorkerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The limits a worker applies to itself before its first file."""

    max_pixels: int
    max_memory_mb: int
    exiftool: str | None = None


class RenderRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One file to render: a local path, and the engine its type asks for."""

    path: str
    engine: Engine


class RenderAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The previews and facts of one file, or ``reason`` saying why it has none."""

    small: bytes = b""
    large: bytes = b""
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    phash: int | None = None
    reason: str | None = None


def frame(message: msgspec.Struct) -> bytes:
    body = msgspec.msgpack.encode(message)
    return HEADER.pack(len(body)) + body


def body_length(header: bytes) -> int:
    """The length a frame header announces; ``ValueError`` when it cannot be a real message."""
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ValueError(f"a message of {length} bytes is out of step")
    return int(length)


def read_message(stream: BinaryIO, kind: type[T]) -> T | None:
    """The next message from a blocking stream; ``None`` when the stream ended between messages."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    body = stream.read(body_length(header))
    return msgspec.msgpack.decode(body, type=kind)
