"""The perceptual hash's rules: 64 bits, equal pictures equal, brightness and contrast barely matter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from faceforge_adapters.previews.phash import SIDE, distance, phash

greys = arrays(np.float64, (SIDE, SIDE), elements=st.floats(0, 255, allow_nan=False))


@given(greys)
def test_hash_is_64_bits_and_identical_pictures_are_at_distance_zero(grey: np.ndarray) -> None:
    value = phash(grey)
    assert 0 <= value < 2**64
    assert distance(value, phash(grey.copy())) == 0


@given(greys, st.floats(-100, 100, allow_nan=False))
def test_brightness_change_flips_at_most_the_mean_bit(grey: np.ndarray, shift: float) -> None:
    assert distance(phash(grey), phash(grey + shift)) <= 1


def test_a_picture_and_its_negative_are_far_apart() -> None:
    picture = np.random.default_rng(7).uniform(0, 255, (SIDE, SIDE))
    assert distance(phash(picture), phash(255 - picture)) > 32


def test_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="32x32"):
        phash(np.zeros((8, 9)))
