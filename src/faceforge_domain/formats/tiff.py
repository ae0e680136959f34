"""TIFF and the camera RAW formats built on it (DNG, NEF, ARW, CR2, ORF, RW2, PEF...).

Some RAWs carry a magic of their own (ORF, RW2, CR2's ``CR`` marker). The others are plain TIFFs
told apart by IFD0: the ``DNGVersion`` tag makes a DNG, the ``Make`` tag names the camera maker.
A file named ``.tif``/``.tiff`` stays a TIFF even with a camera's Make (an exported photo keeps it);
with no answer from IFD0 a RAW extension decides. Every offset is bounds-checked against the head.
"""

from __future__ import annotations

from typing import NamedTuple

from faceforge_domain.formats.binary import ascii_at, uint
from faceforge_domain.formats.raw import DNG, raw_by_make, raw_by_name

TIFF = "image/tiff"
_OWN_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"IIRO", "image/x-olympus-orf"),
    (b"IIRS", "image/x-olympus-orf"),
    (b"MMOR", "image/x-olympus-orf"),
    (b"IIU\x00", "image/x-panasonic-rw2"),
)
_LITTLE, _BIG = b"II*\x00", b"MM\x00*"
_BIGTIFF = (b"II+\x00", b"MM\x00+")
_TAG_MAKE = 0x010F
_TAG_DNG_VERSION = 0xC612
_TYPE_ASCII = 2
_ENTRY = 12
# A camera's IFD0 has a few dozen entries; this bounds the walk over a hostile count.
_MAX_ENTRIES = 512


class Ifd0(NamedTuple):
    """What IFD0 says about the file's origin."""

    make: str | None
    dng: bool


def read_ifd0(head: bytes) -> Ifd0:
    """IFD0's Make and whether it has ``DNGVersion``; whatever lies past ``head`` counts as absent."""
    little = head[:4] == _LITTLE
    offset = uint(head, 4, 4, little=little)
    count = None if offset is None else uint(head, offset, 2, little=little)
    if offset is None or count is None:
        return Ifd0(make=None, dng=False)
    make, dng = None, False
    for index in range(min(count, _MAX_ENTRIES)):
        entry = offset + 2 + index * _ENTRY
        tag = uint(head, entry, 2, little=little)
        if tag is None:
            break
        if tag == _TAG_DNG_VERSION:
            dng = True
        elif tag == _TAG_MAKE:
            make = _ascii_value(head, entry, little=little)
    return Ifd0(make=make, dng=dng)


def _ascii_value(head: bytes, entry: int, *, little: bool) -> str | None:
    """An ASCII entry's text: inline when it fits in four bytes, else at the offset it names."""
    if uint(head, entry + 2, 2, little=little) != _TYPE_ASCII:
        return None
    length = uint(head, entry + 4, 4, little=little)
    if length is None:
        return None
    start = entry + 8 if length <= 4 else uint(head, entry + 8, 4, little=little)
    return None if start is None else ascii_at(head, start, length)


def tiff_mime(head: bytes, filename: str) -> str | None:
    """The MIME type of a TIFF-based file, or ``None`` when ``head`` is not one."""
    own = next((mime for magic, mime in _OWN_MAGICS if head.startswith(magic)), None)
    if own is not None:
        return own
    if head.startswith(_BIGTIFF):
        return TIFF
    if not head.startswith((_LITTLE, _BIG)):
        return None
    if head.startswith(_LITTLE) and head[8:10] == b"CR":
        return "image/x-canon-cr2"
    return _classic_tiff(read_ifd0(head), filename)


def _classic_tiff(ifd0: Ifd0, filename: str) -> str:
    if ifd0.dng:
        return DNG
    if filename.lower().endswith((".tif", ".tiff")):
        return TIFF
    by_make = None if ifd0.make is None else raw_by_make(ifd0.make)
    return by_make or raw_by_name(filename) or TIFF
