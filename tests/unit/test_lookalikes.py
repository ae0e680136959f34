"""The look-alike rules: distance, bands, the band neighbourhood, and grouping into components."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_domain.errors import Invalid
from faceforge_domain.lookalikes import (
    MAX_DISTANCE,
    BandIndex,
    band_neighbours,
    band_radii,
    bands,
    check_max_distance,
    distance,
    group_lookalikes,
    pair_key,
)

hashes64 = st.integers(0, (1 << 64) - 1)


@given(a=hashes64, b=hashes64)
def test_distance_counts_differing_bits_and_is_symmetric(a: int, b: int) -> None:
    assert distance(a, b) == distance(b, a) == bin(a ^ b).count("1")
    assert distance(a, a) == 0


@given(phash=hashes64)
def test_bands_put_the_hash_back_together(phash: int) -> None:
    assert sum(band << (16 * i) for i, band in enumerate(bands(phash))) == phash
    assert all(0 <= band < 1 << 16 for band in bands(phash))


@given(band=st.integers(0, (1 << 16) - 1), radius=st.integers(0, 3))
def test_band_neighbours_are_exactly_the_values_within_the_radius(band: int, radius: int) -> None:
    found = band_neighbours(band, radius)
    assert found[0] == band
    assert len(found) == len(set(found))
    assert set(found) == {v for v in range(1 << 16) if distance(v, band) <= radius}


@given(a=hashes64, flipped=st.lists(st.integers(0, 63), max_size=MAX_DISTANCE, unique=True), data=st.data())
def test_every_hash_within_the_distance_has_a_band_within_its_radius(
    a: int, flipped: list[int], data: st.DataObject
) -> None:
    max_distance = data.draw(st.integers(len(flipped), MAX_DISTANCE))
    b = a ^ sum(1 << bit for bit in flipped)
    radii = band_radii(max_distance)
    assert any(distance(x, y) <= r for x, y, r in zip(bands(a), bands(b), radii, strict=True))


def test_band_radii_spend_the_distance_left_over_on_the_first_bands() -> None:
    assert band_radii(10) == (2, 2, 2, 1)
    assert band_radii(6) == (1, 1, 1, 0)
    assert band_radii(2) == (0, 0, 0, -1)
    assert band_radii(0) == (0, -1, -1, -1)


@pytest.mark.parametrize("bad", [-1, MAX_DISTANCE + 1, 64])
def test_a_max_distance_out_of_range_is_a_clear_error(bad: int) -> None:
    with pytest.raises(Invalid) as caught:
        check_max_distance(bad)
    [problem] = caught.value.details
    assert problem.field == "max_distance"
    assert "between 0 and 12" in problem.message


# -- grouping ------------------------------------------------------------------------------------

near_copies = st.lists(st.tuples(st.integers(0, 3), st.lists(st.integers(0, 63), max_size=6)), max_size=30)


def library_of(bases: list[int], copies: list[tuple[int, list[int]]]) -> dict[str, int]:
    return {
        f"{n:064x}": bases[base] ^ sum({1 << bit for bit in bits}) for n, (base, bits) in enumerate(copies)
    }


@settings(max_examples=150)
@given(bases=st.lists(hashes64, min_size=4, max_size=4), copies=near_copies, max_distance=st.integers(0, 12))
def test_groups_are_the_connected_components_of_close_pairs(
    bases: list[int], copies: list[tuple[int, list[int]]], max_distance: int
) -> None:
    library = library_of(bases, copies)
    groups = group_lookalikes(library, max_distance)
    grouped = [m.asset_id for group in groups for m in group]
    assert len(grouped) == len(set(grouped))  # an asset is in one group at most
    assert all(len(group) >= 2 for group in groups)
    where = {m.asset_id: i for i, group in enumerate(groups) for m in group}
    for a, b in combinations(library, 2):
        if distance(library[a], library[b]) <= max_distance:  # close assets share a group
            assert a in where
            assert where[a] == where.get(b)
    for group in groups:  # and every member is close to another member
        ids = [m.asset_id for m in group]
        assert all(any(distance(library[a], library[b]) <= max_distance for b in ids if b != a) for a in ids)
        first = library[group[0].asset_id]
        assert [m.distance for m in group] == sorted(m.distance for m in group)
        assert all(m.distance == distance(first, library[m.asset_id]) for m in group)


@given(bases=st.lists(hashes64, min_size=4, max_size=4), copies=near_copies)
def test_dismissed_pairs_never_connect(bases: list[int], copies: list[tuple[int, list[int]]]) -> None:
    library = library_of(bases, copies)
    every_pair = frozenset(pair_key(a, b) for a, b in combinations(library, 2))
    assert group_lookalikes(library, 12, every_pair) == []


def test_a_chain_of_close_pictures_is_one_group_led_by_its_best_connected_member() -> None:
    library = {"a": 0b0, "b": 0b1, "c": 0b11, "z": (1 << 64) - 1}
    [group] = group_lookalikes(library, 1)
    assert [(m.asset_id, m.distance) for m in group] == [("b", 0), ("a", 1), ("c", 1)]


@given(values=st.lists(hashes64, max_size=40), max_distance=st.integers(0, 12))
def test_the_band_index_finds_every_close_pair_once(values: list[int], max_distance: int) -> None:
    pairs = sorted(BandIndex(values).close_pairs(max_distance))
    expected = [
        (i, j, distance(values[i], values[j]))
        for i, j in combinations(range(len(values)), 2)
        if distance(values[i], values[j]) <= max_distance
    ]
    assert pairs == expected
