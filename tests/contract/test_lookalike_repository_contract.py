"""The look-alike hash repository's contract, over the in-memory fake and SQLite: ``near`` answers
what a plain scan of every stored hash answers (the SQLite band index must never miss a match), and
hashes of soft-deleted assets and of previews are never listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from units_support import BACKENDS, units_for

from faceforge_domain.clock import FixedClock
from faceforge_domain.lookalikes import MAX_DISTANCE
from faceforge_domain.ports import UnitOfWorkFactory
from faceforge_domain.previews import PREVIEW_KIND
from lookalikes_support import asset_id, asset_record, seed_hashes

pytestmark = pytest.mark.anyio
TOP = (1 << 64) - 1


@pytest.fixture(params=BACKENDS)
async def units(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UnitOfWorkFactory]:
    async with units_for(request.param, tmp_path, FixedClock()) as found:
        yield found


async def test_put_replaces_and_remove_forgets(units: UnitOfWorkFactory) -> None:
    await seed_hashes(units, {1: TOP, 2: 0})
    async with units.write() as uow:
        await uow.lookalikes.put(asset_id(1), 5)
        assert await uow.lookalikes.remove(asset_id(2)) is True
        assert await uow.lookalikes.remove(asset_id(2)) is False
        await uow.commit()
    async with units.read() as uow:
        assert (await uow.lookalikes.get(asset_id(1)), await uow.lookalikes.get(asset_id(2))) == (5, None)
        assert await uow.lookalikes.page(None, 10) == [(asset_id(1), 5)]


async def test_the_highest_bit_survives_storage(units: UnitOfWorkFactory) -> None:
    await seed_hashes(units, {1: TOP, 2: 1 << 63, 3: TOP ^ 1})
    async with units.read() as uow:
        assert await uow.lookalikes.get(asset_id(1)) == TOP
        assert await uow.lookalikes.near(TOP, 1, 10) == [(asset_id(1), 0), (asset_id(3), 1)]
        assert await uow.lookalikes.page(asset_id(1), 10) == [(asset_id(2), 1 << 63), (asset_id(3), TOP ^ 1)]


async def test_a_hash_out_of_range_is_refused_and_nothing_is_stored(units: UnitOfWorkFactory) -> None:
    async with units.write() as uow:
        await uow.assets.add(asset_record(1))
        await uow.commit()
    for bad in (-1, 1 << 64):
        async with units.write() as uow:
            with pytest.raises(ValueError, match="unsigned 64-bit"):
                await uow.lookalikes.put(asset_id(1), bad)
            await uow.commit()
    async with units.read() as uow:
        assert await uow.lookalikes.get(asset_id(1)) is None


async def test_soft_deleted_assets_and_previews_are_not_listed(units: UnitOfWorkFactory) -> None:
    await seed_hashes(units, {1: 0, 2: 1, 3: 3})
    await seed_hashes(units, {4: 0}, kind=PREVIEW_KIND)
    async with units.write() as uow:
        gone = await uow.assets.get(asset_id(2))
        assert gone is not None
        gone.deleted_at = gone.updated_at
        await uow.assets.update(gone)
        await uow.commit()
    async with units.read() as uow:
        assert await uow.lookalikes.near(0, 4, 10) == [(asset_id(1), 0), (asset_id(3), 2)]
        assert await uow.lookalikes.near(0, 4, 10, exclude_asset_id=asset_id(1)) == [(asset_id(3), 2)]
        assert await uow.lookalikes.near(0, 4, 1) == [(asset_id(1), 0)]
        assert [a for a, _ in await uow.lookalikes.page(None, 10)] == [asset_id(1), asset_id(3)]
        assert await uow.lookalikes.count() == 2


# -- near() equals a scan of a plain dict, for any library and query ---------------------------

# Up to three flipped bits in each 16-bit band: hashes whose bands all sit at the edge of the search
# radius (three bands at distance 3 is 9 bits) are the ones a band index would miss.
band_flips = st.lists(st.integers(0, 15), max_size=3, unique=True)
flips = st.tuples(band_flips, band_flips, band_flips, band_flips).map(
    lambda per_band: sum(1 << (16 * band + bit) for band, bits in enumerate(per_band) for bit in bits)
)
library = st.lists(st.tuples(st.integers(0, 2), flips, st.booleans()), min_size=1, max_size=40)


def brute_force(
    stored: dict[str, int], query: int, max_distance: int, limit: int, exclude: str | None
) -> list[tuple[str, int]]:
    found = [(a, bin(h ^ query).count("1")) for a, h in stored.items() if a != exclude]
    return sorted(((a, d) for a, d in found if d <= max_distance), key=lambda ad: (ad[1], ad[0]))[:limit]


async def near_in(
    units: UnitOfWorkFactory, hashes: dict[int, int], deleted: set[int], query: tuple[int, int, int, int]
) -> list[tuple[str, int]]:
    await seed_hashes(units, hashes)
    async with units.write() as uow:
        for n in deleted:
            asset = asset_record(n)
            asset.deleted_at = asset.updated_at
            await uow.assets.update(asset)
        await uow.commit()
    phash, max_distance, limit, exclude = query
    async with units.read() as uow:
        return await uow.lookalikes.near(phash, max_distance, limit, exclude_asset_id=asset_id(exclude))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bases=st.lists(st.integers(0, TOP), min_size=3, max_size=3),
    members=library,
    query=st.tuples(st.integers(0, 2), flips, st.integers(0, MAX_DISTANCE), st.integers(1, 50)),
    exclude=st.integers(0, 40),
)
def test_near_equals_a_scan_of_every_hash(
    tmp_path_factory: pytest.TempPathFactory,
    bases: list[int],
    members: list[tuple[int, int, bool]],
    query: tuple[int, int, int, int],
    exclude: int,
) -> None:
    hashes = {n: bases[base] ^ mask for n, (base, mask, _) in enumerate(members)}
    deleted = {n for n, (_, _, gone) in enumerate(members) if gone}
    base, mask, max_distance, limit = query
    phash = bases[base] ^ mask
    live = {asset_id(n): h for n, h in hashes.items() if n not in deleted}
    expected = brute_force(live, phash, max_distance, limit, asset_id(exclude))

    async def each(backend: str) -> Any:
        async with units_for(backend, tmp_path_factory.mktemp("db"), FixedClock()) as units:
            return await near_in(units, hashes, deleted, (phash, max_distance, limit, exclude))

    for backend in BACKENDS:
        assert anyio.run(each, backend) == expected, backend
