"""The ExifTool parameters, exactly as the product specifies them, one argument per line.

ExifTool reads an argument file one argument per line, so ``-charset filename=utf8`` and each
``-api x=y`` take two lines. The one-shot argument file ends with ``--`` (what follows is a file name);
the ``-stay_open`` pool must not send it, or ExifTool would read the following ``-execute`` as a file
name and wait forever, so the pool passes only absolute paths, which cannot be mistaken for options.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faceforge_adapters.exiftool import stay_open

PARAMETERS: tuple[str, ...] = (
    "-quiet",
    "-extractEmbedded3",
    "-scanForXMP",
    "-unknown2",
    "-json",
    "-G3:1",
    "-struct",
    "-b",
    "-ignoreMinorErrors",
    "-charset",
    "filename=utf8",
    "-api",
    "requestall=3",
    "-api",
    "largefilesupport=1",
)
END_OF_OPTIONS = "--"


def argfile_text() -> str:
    """The one-shot argument file: the parameters, then ``--``."""
    return "\n".join([*PARAMETERS, END_OF_OPTIONS]) + "\n"


def write_argfile(path: Path) -> Path:
    path.write_text(argfile_text(), encoding="utf-8")
    return path


def pool_request(paths: Sequence[Path], sequence: int) -> bytes:
    """One ``-stay_open`` request: the parameters without ``--``, the absolute paths, ``-executeN``.

    ExifTool answers a request naming several files with one JSON array, an object per file.
    """
    return stay_open.request(PARAMETERS, paths, sequence)
