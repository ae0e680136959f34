"""The 64-bit perceptual hash of a picture, and the distance between two.

pHash (a DCT of a 32x32 grey image, its 8x8 lowest frequencies compared with their median) rather
than dHash: the low frequencies stay put when a picture is resized or recompressed (both only touch
high frequencies) and move little when a few percent is cropped off an edge, where dHash's
neighbour-to-neighbour gradients shift with every pixel of the crop. The median is taken over the 63
coefficients other than the mean (DC), so a change of brightness flips one bit at most.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

SIDE = 32  # the grey image the hash is taken from, SIDE x SIDE
LOW = 8  # the LOW x LOW lowest frequencies make the 64 bits


def _dct_matrix(n: int) -> npt.NDArray[np.float64]:
    """The orthonormal DCT-II matrix: ``m @ x`` transforms the columns of ``x``."""
    k = np.arange(n).reshape(-1, 1)
    i = np.arange(n).reshape(1, -1)
    m = np.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    m[0, :] = math.sqrt(1 / n)
    return m


_DCT = _dct_matrix(SIDE)


def phash(grey: npt.ArrayLike) -> int:
    """The hash of a SIDE x SIDE grey image (any numeric scale); bit 63 is the first coefficient."""
    pixels = np.asarray(grey, dtype=np.float64)
    if pixels.shape != (SIDE, SIDE):
        raise ValueError(f"phash takes a {SIDE}x{SIDE} grey image, got shape {pixels.shape}")
    # Rounded so floating-point noise (a flat picture's coefficients are ~1e-13, not 0) flips no bit.
    low = np.round((_DCT @ pixels @ _DCT.T)[:LOW, :LOW].ravel(), 6)
    median = float(np.median(low[1:]))
    value = 0
    for coefficient in low:
        value = (value << 1) | int(coefficient > median)
    return value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ (Hamming distance)."""
    return (a ^ b).bit_count()
