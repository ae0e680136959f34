"""Previews of still images come out in sRGB: an embedded profile is converted, a file without one is
taken as sRGB already (and not run through a colour transform that gives the same pixels, slowly)."""

from __future__ import annotations

from pathlib import Path

import pyvips

from faceforge_adapters.previews.decode_image import decode_image

MAX_PIXELS = 10_000_000


def picture() -> pyvips.Image:
    """A 300x200 sRGB picture with saturated and mid colours, so a profile conversion shows."""
    xy = pyvips.Image.xyz(300, 200)
    red = xy[0] * (255 / 300)
    green = xy[1] * (255 / 200)
    return red.bandjoin([green, 255 - red]).cast("uchar").copy(interpretation="srgb")


def converted(path: Path) -> pyvips.Image:
    """What libvips makes of the file when asked for sRGB whatever the file says."""
    return pyvips.Image.new_from_file(str(path)).icc_transform("srgb", embedded=True, input_profile="srgb")


def max_difference(a: pyvips.Image, b: pyvips.Image) -> float:
    return float((a.cast("int") - b.cast("int")).abs().max())


def test_an_embedded_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    path = tmp_path / "p3.jpg"
    picture().icc_transform("p3").jpegsave(str(path), Q=95)  # Display P3 pixels and profile
    as_stored = pyvips.Image.new_from_file(str(path))

    decoded = decode_image(str(path), MAX_PIXELS).image

    assert max_difference(decoded, as_stored) > 10
    assert max_difference(decoded, converted(path)) <= 1


def test_a_file_without_a_profile_keeps_its_pixels(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    picture().jpegsave(str(path), Q=95, keep="none")

    decoded = decode_image(str(path), MAX_PIXELS).image

    assert max_difference(decoded, pyvips.Image.new_from_file(str(path))) == 0
    assert max_difference(decoded, converted(path)) <= 1
