"""From a decoded picture (a libvips image) to what a worker answers: two WebPs and the hash.

Every decoder ends here. The large preview is shrunk from the decoded picture, the small one from the
large (no second decode), and the hash from the small one's grey 32x32 version.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvips

from faceforge_adapters.previews.phash import SIDE, phash
from faceforge_adapters.previews.protocol import RenderAnswer
from faceforge_domain.previews import PREVIEW_EDGE

LARGE = PREVIEW_EDGE["large"]
SMALL = PREVIEW_EDGE["small"]
WEBP_QUALITY = 80


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded picture (upright, any size) and the facts about its file.

    ``comparable``: whether the picture is the file's own (a photo, a RAW, a video frame), so its hash
    means something, or a stand-in (a PDF page, a cover).
    """

    image: pyvips.Image
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    comparable: bool = True


def colour_options(header: pyvips.Image) -> dict[str, str]:
    """``thumbnail``'s colour option for a file with this header: its embedded profile converted to
    sRGB; nothing for a file without one, which is sRGB already (libvips would convert it to the very
    same pixels and spend two thirds of a 12-MP JPEG's decode time doing so: see docs/assets.md)."""
    return {"output_profile": "srgb"} if header.get_typeof("icc-profile-data") else {}


def srgb8(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (or grey), alpha kept: what WebP stores."""
    if image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar") if image.format == "char" else image.colourspace("srgb")
    return image


def fit(image: pyvips.Image, edge: int) -> pyvips.Image:
    """Shrunk so its long side is at most ``edge``; never enlarged."""
    if max(image.width, image.height) <= edge:
        return image
    return image.thumbnail_image(edge, height=edge, size="down")


def grey_hash(image: pyvips.Image) -> int:
    """The pHash of the picture's grey 32x32 version (aspect ignored, alpha dropped)."""
    square = image.colourspace("b-w")[0].thumbnail_image(SIDE, height=SIDE, size="force")
    pixels = np.ndarray(buffer=square.write_to_memory(), dtype=np.uint8, shape=(SIDE, SIDE))
    return phash(pixels)


def webp(image: pyvips.Image) -> bytes:
    return bytes(image.webpsave_buffer(Q=WEBP_QUALITY, keep="none"))


def answer(decoded: Decoded) -> RenderAnswer:
    large = srgb8(fit(decoded.image, LARGE)).copy_memory()
    small = fit(large, SMALL).copy_memory()
    return RenderAnswer(
        small=webp(small),
        large=webp(large),
        width=decoded.width,
        height=decoded.height,
        duration_s=decoded.duration_s,
        phash=grey_hash(small) if decoded.comparable else None,
    )


def from_array(pixels: np.ndarray) -> pyvips.Image:
    """A libvips image of an 8-bit RGB(A) or grey array (height x width [x bands])."""
    image = pyvips.Image.new_from_array(np.ascontiguousarray(pixels))
    bands = image.bands
    return image.copy(interpretation="b-w" if bands < 3 else "srgb")
