"""Splitting ExifTool's answer to a request naming several files into one answer per file.

ExifTool prints one JSON array for a request, an object per file it could read, each naming its file
in ``SourceFile`` (a file it could not open has no object at all). Each object is handed on as the raw
bytes ExifTool printed, so the stored JSON is exactly what a request for that file alone would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec


class _Source(msgspec.Struct):
    SourceFile: str


_ANSWER = msgspec.json.Decoder(list[msgspec.Raw])
_SOURCE = msgspec.json.Decoder(_Source)


def source_key(path: Path | str) -> str:
    """How a path and ExifTool's ``SourceFile`` are compared (ExifTool writes ``/`` on Windows too)."""
    return str(path).replace("\\", "/")


def split_answer(output: bytes, paths: Sequence[Path]) -> list[bytes] | None:
    """Each file's object, in the order of ``paths`` (empty for a file ExifTool printed nothing about).

    None when the output is not the expected JSON array, so the caller can ask again file by file.
    """
    if not output.strip():
        return [b""] * len(paths)
    try:
        objects = _ANSWER.decode(output)
        found = {source_key(_SOURCE.decode(raw).SourceFile): bytes(raw) for raw in objects}
    except msgspec.DecodeError:
        return None
    return [found.get(source_key(path), b"") for path in paths]
