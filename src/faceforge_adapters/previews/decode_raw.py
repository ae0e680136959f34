"""Camera RAW: the JPEG the camera embedded (what photo managers show), else a real RAW decode.

ExifTool finds the embedded pictures (``JpgFromRaw``, ``PreviewImage``, ``OtherImage``) in every
RAW format it knows; the largest one that decodes is used, turned by the RAW's own orientation. Each
preview worker keeps one ``-stay_open`` ExifTool of its own (``BlockingExifTool``: started with the
worker's first RAW, killed with the worker), so a RAW costs milliseconds of ExifTool instead of a Perl
start (0.15 to 0.4 s). It is not Core's metadata pool: those requests carry the fixed metadata
parameters, and the untrusted file's binary pictures stay out of Core's process. ExifTool failing on a
file (over ``EXIFTOOL_TIMEOUT_S``, or dying under it) fails that file; the next RAW gets a fresh
ExifTool. Without ExifTool, or without an embedded picture, LibRaw (rawpy) takes its own embedded
thumbnail or demosaics the sensor data at half size.
"""

from __future__ import annotations

import base64
from pathlib import Path

import msgspec
import pyvips

from faceforge_adapters.exiftool.blocking import BlockingExifTool
from faceforge_adapters.previews.limits import DecodeRefused, check_pixels
from faceforge_adapters.previews.picture import LARGE, Decoded, colour_options, from_array
from faceforge_domain.metadata import MetadataError

EMBEDDED_TAGS = ("JpgFromRaw", "PreviewImage", "OtherImage")
EXIFTOOL_TIMEOUT_S = 30
# ``-b`` with ``-json``: the pictures as ``base64:...`` strings; ``-n``: the orientation as a number.
_ARGUMENTS = (
    "-json",
    "-b",
    "-n",
    *(f"-{tag}" for tag in (*EMBEDDED_TAGS, "Orientation", "ImageWidth", "ImageHeight")),
)
_BASE64 = "base64:"
# The rotation (degrees clockwise) that makes each EXIF orientation upright; mirrored ones are rare
# in RAW files and shown turned only.
_ROTATION = {3: "d180", 4: "d180", 5: "d90", 6: "d90", 7: "d270", 8: "d270"}
_TURNED = frozenset({5, 6, 7, 8})


class _Found(msgspec.Struct):
    """What ExifTool says about a RAW file (``-json -b -n``)."""

    JpgFromRaw: str | None = None
    PreviewImage: str | None = None
    OtherImage: str | None = None
    Orientation: int | None = None
    ImageWidth: int | None = None
    ImageHeight: int | None = None


_FACTS = msgspec.json.Decoder(list[_Found])


def open_exiftool(exiftool: str | None) -> BlockingExifTool | None:
    """The worker's ExifTool for RAW files (no process until the first one), or ``None`` without one."""
    return BlockingExifTool(Path(exiftool), limit_s=EXIFTOOL_TIMEOUT_S) if exiftool else None


def _exiftool_facts(exiftool: BlockingExifTool, path: str) -> _Found:
    try:
        output = exiftool.run(_ARGUMENTS, Path(path).absolute())
    except MetadataError as exc:
        raise DecodeRefused(f"ExifTool could not read this RAW file ({exc})") from None
    found = _FACTS.decode(output or b"[{}]")  # nothing at all: a file ExifTool could not open
    return found[0] if found else _Found()


def _embedded(found: _Found) -> list[bytes]:
    """The embedded pictures, largest first."""
    values = (getattr(found, tag) for tag in EMBEDDED_TAGS)
    pictures = [base64.b64decode(v[len(_BASE64) :]) for v in values if v and v.startswith(_BASE64)]
    return sorted(pictures, key=len, reverse=True)


def _shown_size(found: _Found) -> tuple[int | None, int | None]:
    width, height = found.ImageWidth, found.ImageHeight
    return (height, width) if found.Orientation in _TURNED else (width, height)


def _decode_embedded(data: bytes, found: _Found, max_pixels: int) -> Decoded | None:
    for_size = pyvips.Image.new_from_buffer(data, "", access="sequential", fail_on="error")
    check_pixels(for_size.width, for_size.height, max_pixels)
    image = pyvips.Image.thumbnail_buffer(
        data, LARGE, height=LARGE, size="down", no_rotate=True, fail_on="error", **colour_options(for_size)
    ).copy_memory()
    turn = _ROTATION.get(found.Orientation or 1)
    return Decoded(image.rot(turn) if turn else image, *_shown_size(found))


def _from_embedded(exiftool: BlockingExifTool | None, path: str, max_pixels: int) -> Decoded | None:
    if exiftool is None:
        return None
    found = _exiftool_facts(exiftool, path)
    for data in _embedded(found):
        try:
            return _decode_embedded(data, found, max_pixels)
        except pyvips.Error:
            continue  # a stub or a format libvips does not read: try the next one
    return None


def _from_libraw(path: str, max_pixels: int) -> Decoded:
    import rawpy

    try:
        with rawpy.imread(path) as raw:
            width, height = raw.sizes.width, raw.sizes.height
            check_pixels(width, height, max_pixels)
            try:
                thumb = raw.extract_thumb()
            except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
                thumb = None
            if thumb is not None and thumb.format == rawpy.ThumbFormat.JPEG:
                image = pyvips.Image.thumbnail_buffer(thumb.data, LARGE, height=LARGE, size="down")
                return Decoded(image.copy_memory(), width, height)
            pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
            return Decoded(from_array(pixels), width, height)
    except rawpy.LibRawError as exc:
        raise DecodeRefused(f"LibRaw cannot read this RAW file ({type(exc).__name__})") from None


def decode_raw(path: str, max_pixels: int, exiftool: BlockingExifTool | None) -> Decoded:
    return _from_embedded(exiftool, path, max_pixels) or _from_libraw(path, max_pixels)
