"""Several stored files as one ZIP archive, written while it is sent.

Members are stored, not compressed (pictures and videos are compressed already), each followed by a
data descriptor since the archive is never seeked back into; a member of 2 GiB or more gets zip64
fields, and so does the archive past 65,535 members or 4 GiB. At any time only the bytes of one chunk of
one file are held, so memory stays flat whatever the files weigh. Two files of the same name get
``name (2).ext``: an archive's names must be unique to unpack.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest moment a ZIP entry can carry


@dataclass(frozen=True, slots=True)
class Member:
    """One file to put in the archive: its name, size, time and a way to read its bytes."""

    name: str
    size: int
    modified: datetime
    chunks: Callable[[], AsyncIterator[bytes]]


class _Sink:
    """What zipfile writes into; emptied after every chunk. It cannot tell or seek, which makes zipfile
    write data descriptors instead of going back to fill in sizes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """zipfile flushes its file; nothing is buffered beyond the parts."""

    def close(self) -> None:
        """Nothing to release: the parts are drained as they come."""

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def unique_names(names: Iterable[str]) -> list[str]:
    """The names, each made unique (``a.jpg``, ``a (2).jpg``) and free of folders and ``..``."""
    taken: set[str] = set()
    out: list[str] = []
    for raw in names:
        base = PurePosixPath(raw.replace("\\", "/")).name.strip() or "file"
        stem, suffix = PurePosixPath(base).stem, PurePosixPath(base).suffix
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{stem} ({n}){suffix}"
        taken.add(name.lower())
        out.append(name)
    return out


def _stamp(moment: datetime) -> tuple[int, int, int, int, int, int]:
    parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return max(parts, ZIP_EPOCH)


async def zip_stream(members: Iterable[Member]) -> AsyncIterator[bytes]:
    """The archive of ``members``, chunk by chunk as each file is read."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=_stamp(member.modified))
            info.file_size = member.size  # lets zipfile choose zip64 for a big member up front
            with archive.open(info, "w") as out:
                async for chunk in member.chunks():
                    out.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()
