"""The limits a preview worker puts on itself: memory, pixels, and what each library may do.

Applied once, before the first file: an address-space limit (Linux), Pillow's decompression-bomb
limit, libvips without its operation cache (each file is seen once). ``check_pixels`` is asked with a
file's header size before anything is decoded.
"""

from __future__ import annotations

import sys
import warnings

from faceforge_adapters.previews.protocol import WorkerSettings


class DecodeRefused(Exception):
    """This file is not decoded: ``reason`` is a sentence for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise DecodeRefused("the file says its picture has no size")
    if width * height > max_pixels:
        raise DecodeRefused(
            f"the picture is {width}x{height} ({width * height / 1e6:.0f} megapixels), over the limit"
            f" of {max_pixels / 1e6:.0f} megapixels"
        )


def _limit_memory(max_memory_mb: int) -> None:
    if sys.platform.startswith("linux"):
        import resource

        limit = max_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent() -> None:
    """Linux: the worker is killed when Core dies, even mid-decode."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)


def apply(settings: WorkerSettings) -> None:
    import pyvips
    from PIL import Image

    _die_with_parent()
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    pyvips.cache_set_max(0)
    _limit_memory(settings.max_memory_mb)
