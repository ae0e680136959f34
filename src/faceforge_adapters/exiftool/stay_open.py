"""The ``exiftool -stay_open True -@ -`` protocol, shared by Core's pool and the preview workers.

ExifTool reads its arguments one per line from stdin; ``-executeN`` runs what came before it, and the
answer ends with ``{readyN}`` on a line of its own. Only absolute paths are sent: one that starts with
``-`` would be taken for an option, and a newline in one would split it into two arguments.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

_TAIL = 64  # the ready marker is short: only the end of the output needs looking at


def die_with_parent() -> list[str]:
    """A prefix that kills the process when the one that started it dies, even by SIGKILL.

    ``-stay_open`` ExifTool keeps waiting when its stdin closes, so a killed parent would leave it
    behind; Linux's parent-death signal (set by util-linux ``setpriv``, then exec) ends it.
    """
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def command(exiftool: Path) -> list[str]:
    """How to start one ``-stay_open`` ExifTool that dies with its parent."""
    return [*die_with_parent(), str(exiftool), "-stay_open", "True", "-@", "-"]


def request(arguments: Sequence[str], paths: Sequence[Path], sequence: int) -> bytes:
    """One request: ``arguments``, then the absolute ``paths``, then ``-execute<sequence>``."""
    for path in paths:
        if not path.is_absolute():
            raise ValueError(f"a -stay_open request takes absolute paths only, got {path}")
        if "\n" in str(path) or "\r" in str(path):
            raise ValueError(f"a -stay_open request cannot carry a path with a line break: {path!r}")
    return ("\n".join([*arguments, *map(str, paths), f"-execute{sequence}"]) + "\n").encode("utf-8")


def answer_end(output: bytes | bytearray, sequence: int) -> int | None:
    """Where the answer to request ``sequence`` ends in ``output`` (at its ready marker), or ``None``
    while the marker has not arrived."""
    marker = f"{{ready{sequence}}}".encode()
    at = output.rfind(marker, max(0, len(output) - _TAIL))
    if at >= 0 and not output[at + len(marker) :].strip():
        return at
    return None
