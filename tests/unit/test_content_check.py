"""The batch pre-check against the in-memory fakes: random batches agree with what is stored."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceforge_adapters.memory import InMemoryBlobStore, InMemoryUnitOfWorkFactory
from faceforge_domain.clock import FixedClock
from faceforge_domain.content_check import MAX_ITEMS, ContentClaim
from faceforge_domain.errors import Invalid
from faceforge_domain.services.assets import AssetService, IngestOptions

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def claim_of(data: bytes, name: str = "f.bin", size_delta: int = 0) -> ContentClaim:
    return ContentClaim(name=name, size=len(data) + size_delta, sha256=hashlib.sha256(data).hexdigest())


async def stored(contents: list[tuple[bytes, bool]]) -> AssetService:
    """A service holding each content, soft-deleted when its flag says so."""
    service = AssetService(InMemoryUnitOfWorkFactory(), InMemoryBlobStore(), FixedClock())
    for data, deleted in contents:
        result = await service.ingest(one_chunk(data), IngestOptions(filename="stored.bin"))
        if deleted:
            await service.delete(result.asset.asset_id)
    return service


@settings(max_examples=60, deadline=None)
@given(
    contents=st.lists(
        st.tuples(st.binary(min_size=1, max_size=16), st.booleans()), unique_by=lambda c: c[0], max_size=6
    ),
    # each claim: which content (past the end: one never stored), how wrong its size is, its name
    picks=st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from([0, 0, 1, -1]), st.text(max_size=8)),
        min_size=1,
        max_size=20,
    ),
)
async def test_random_batches_answer_as_the_store_says(
    contents: list[tuple[bytes, bool]], picks: list[tuple[int, int, str]]
) -> None:
    service = await stored(contents)
    live = {hashlib.sha256(data).hexdigest(): len(data) for data, deleted in contents if not deleted}
    claims = [
        claim_of(contents[i][0] if i < len(contents) else b"unknown %d" % i, name, delta)
        for i, delta, name in picks
    ]
    got = await service.check_content(claims)
    assert [(a.name, a.size, a.sha256) for a in got] == [(c.name, c.size, c.sha256) for c in claims]
    for claim, answer in zip(claims, got, strict=True):
        expected = live.get(claim.sha256) == claim.size
        assert (answer.exists, answer.asset_id) == (expected, claim.sha256 if expected else None)


async def test_soft_deleted_and_resized_content_does_not_exist_and_hex_case_is_ignored() -> None:
    service = await stored([(b"kept", False), (b"binned", True)])
    kept = claim_of(b"kept")
    got = await service.check_content(
        [
            ContentClaim(name="upper", size=4, sha256=kept.sha256.upper()),
            claim_of(b"kept", "bigger", 1),
            claim_of(b"binned"),
            claim_of(b"never stored"),
        ]
    )
    assert [(a.exists, a.asset_id) for a in got] == [
        (True, kept.sha256),
        (False, None),
        (False, None),
        (False, None),
    ]
    assert got[0].sha256 == kept.sha256


async def test_bad_batches_are_refused_naming_each_item() -> None:
    service = await stored([])
    with pytest.raises(Invalid) as empty:
        await service.check_content([])
    assert empty.value.errors[0].field == "items"
    with pytest.raises(Invalid) as too_many:
        await service.check_content([claim_of(b"x")] * (MAX_ITEMS + 1))
    assert f"1 to {MAX_ITEMS} items, not {MAX_ITEMS + 1}" in too_many.value.errors[0].message
    bad = [claim_of(b"ok"), ContentClaim(name="a", size=-1, sha256="xyz"), claim_of(b"ok", size_delta=-9)]
    with pytest.raises(Invalid) as problems:
        await service.check_content(bad)
    assert [d.field for d in problems.value.errors] == ["items/1/size", "items/1/sha256", "items/2/size"]
