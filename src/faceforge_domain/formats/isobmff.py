"""ISO base media files (MP4, QuickTime, HEIF/HEIC, AVIF, Canon CR3, 3GP, M4A): the ``ftyp`` box's brands.

The type is in the brands, not in the word ``ftyp``: a HEIC photo, a CR3 raw and an MP4 film all
start with it. The major brand decides when it is specific; otherwise the first image brand among the
compatible ones (``mif1`` with ``heic`` is a HEIC photo), else the major brand's family.
"""

from __future__ import annotations

from faceforge_domain.formats.binary import uint

# Brands that say what the file is wherever they appear (major or compatible), most specific first.
_IMAGE_BRANDS: dict[bytes, str] = {
    b"crx ": "image/x-canon-cr3",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"avif": "image/avif",
    b"avis": "image/avif",
}
# Generic HEIF structure brands: an image, but of no more specific kind.
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
# Major brands of the non-MP4 members of the family; every other brand is MP4 (isom, mp41, mp42, M4V...).
_MAJOR_BRANDS: dict[bytes, str] = {
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"M4P ": "audio/mp4",
    b"3g2a": "video/3gpp2",
    b"3g2b": "video/3gpp2",
    b"3g2c": "video/3gpp2",
}
# QuickTime files from before ``ftyp`` open straight with one of these atoms.
_QUICKTIME_ATOMS = frozenset({b"moov", b"wide", b"pnot"})
# A real ftyp holds a handful of brands; this bounds the walk over a hostile one.
_MAX_BRANDS = 64


def brands(head: bytes) -> list[bytes] | None:
    """The major brand then the compatible brands of a leading ``ftyp`` box, or ``None`` without one."""
    if head[4:8] != b"ftyp" or len(head) < 12:
        return None
    size = uint(head, 0, 4, little=False)
    end = len(head) if size in (None, 0, 1) else min(size, len(head))
    found = [head[8:12]]
    for offset in range(16, min(end, 16 + 4 * _MAX_BRANDS) - 3, 4):
        found.append(head[offset : offset + 4])
    return found


def isobmff_mime(head: bytes) -> str | None:
    """The MIME type of an ISO base media file, or ``None`` when ``head`` is not one."""
    found = brands(head)
    if found is None:
        return "video/quicktime" if head[4:8] in _QUICKTIME_ATOMS else None
    major = found[0]
    if major in _IMAGE_BRANDS:
        return _IMAGE_BRANDS[major]
    for brand in found[1:]:
        if brand in _IMAGE_BRANDS:
            return _IMAGE_BRANDS[brand]
    if any(brand in _HEIF_BRANDS for brand in found):
        return "image/heif"
    if major.startswith(b"3gp"):
        return "video/3gpp"
    return _MAJOR_BRANDS.get(major, "video/mp4")
