"""Still images: libvips first (shrink-on-load makes it fast), Pillow (+ pi-heif) for what it cannot load.

Both answer an upright picture: EXIF orientation applied, the embedded colour profile converted to
sRGB, the first frame of an animation, the first page of a multi-page file. The header's size is
checked against the pixel limit before any pixel is decoded; a truncated or corrupt file is a failure,
not a half-grey preview.
"""

from __future__ import annotations

import io

import numpy as np
import pyvips
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from faceforge_adapters.previews.limits import DecodeRefused, check_pixels
from faceforge_adapters.previews.picture import LARGE, Decoded, colour_options, from_array

_TURNED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
# libvips' HEIF loaders (by class name, as ``vips_loader`` answers): its libheif may lack HEVC.
_HEIF_LOADER = "VipsForeignLoadHeif"


def _shown_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in _TURNED else (width, height)


def vips_loader(path: str) -> str | None:
    """The class name of the libvips loader for this file (from its first bytes, e.g.
    ``VipsForeignLoadJpegFile``), or ``None`` when none reads it."""
    pointer = pyvips.vips_lib.vips_foreign_find_load(path.encode())
    if pointer == pyvips.ffi.NULL:
        pyvips.vips_lib.vips_error_clear()
        return None
    return str(pyvips.ffi.string(pointer).decode())


def decode_with_vips(path: str, max_pixels: int) -> Decoded:
    header = pyvips.Image.new_from_file(path, access="sequential", fail_on="error")
    check_pixels(header.width, header.height, max_pixels)
    orientation = header.get("orientation") if header.get_typeof("orientation") else 1
    image = pyvips.Image.thumbnail(
        path, LARGE, height=LARGE, size="down", fail_on="error", **colour_options(header)
    ).copy_memory()  # decoded now, so a truncated file fails here
    return Decoded(image, *_shown_size(header.width, header.height, orientation))


def _to_srgb(picture: Image.Image) -> Image.Image:
    icc = picture.info.get("icc_profile")
    if icc:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if "A" in picture.getbands() else "RGB"
        converted = ImageCms.profileToProfile(
            picture, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
        assert converted is not None  # profileToProfile answers None only when asked to work in place
        return converted
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    return picture.convert("RGBA" if has_alpha else "RGB")


def decode_with_pillow(path: str, max_pixels: int) -> Decoded:
    try:
        with Image.open(path) as opened:
            check_pixels(opened.width, opened.height, max_pixels)
            upright = ImageOps.exif_transpose(opened)
            picture = _to_srgb(upright)
            picture.thumbnail((LARGE, LARGE))
            return Decoded(from_array(np.asarray(picture)), *upright.size)
    except UnidentifiedImageError:
        raise DecodeRefused("no decoder here reads this kind of image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # a frame beyond the header
        raise DecodeRefused(f"the picture is too large to decode ({exc})") from None


def decode_image(path: str, max_pixels: int) -> Decoded:
    """The picture of a still image; libvips where it has a loader, Pillow otherwise.

    HEIF goes to Pillow's pi-heif as well when libvips fails: the libvips of pyvips-binary reads
    AVIF but has no HEVC decoder, so a phone's HEIC is read by pi-heif (libde265).
    """
    loader = vips_loader(path)
    if loader is None:
        return decode_with_pillow(path, max_pixels)
    try:
        return decode_with_vips(path, max_pixels)
    except pyvips.Error:
        if not loader.startswith(_HEIF_LOADER):
            raise
        return decode_with_pillow(path, max_pixels)
