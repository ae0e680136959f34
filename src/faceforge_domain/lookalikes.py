"""Look-alikes: the rules for comparing 64-bit perceptual hashes and grouping close ones.

Pure values and functions, and the ports that keep the hashes and the review list. The preview
pipeline computes each picture's hash (``RenderedPreview.phash``) and stores it with
``uow.lookalikes.put``; the look-alike search and the ``core.duplicates.scan`` job read it back.

Two pictures are look-alikes when their hashes differ in at most ``max_distance`` bits (the Hamming
distance). The search stays fast over a million hashes through multi-index hashing: the hash is cut
into four 16-bit bands, and when two hashes are within ``D`` bits, some band is close too
(``band_radii``). So only hashes with a band near the query's band are candidates, each checked in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from itertools import combinations
from typing import Literal, Protocol

import msgspec

from faceforge_domain.errors import Invalid, NotFound

HASH_BITS = 64
BAND_BITS = 16
BAND_COUNT = HASH_BITS // BAND_BITS
BAND_MASK = (1 << BAND_BITS) - 1
# The largest distance a search or scan accepts. Past 12 bits of 64 the pictures rarely look alike
# (unrelated photos start to match), and the candidates to check grow about fivefold per band bit.
MAX_DISTANCE = 12
# What a search and a scan use when not told: a resized, recompressed or slightly cropped copy of a
# photo stays within a few bits, unrelated photos are typically 20 or more bits apart.
DEFAULT_MAX_DISTANCE = 6
DEFAULT_SIMILAR_LIMIT = 20

GroupStatus = Literal["open", "resolved", "dismissed"]


class NoPictureHash(NotFound):
    """The asset exists but has no perceptual hash (no preview yet, or not a picture)."""

    def __init__(self, asset_id: str) -> None:
        super().__init__("asset", asset_id)
        self.message = (
            f"asset {asset_id!r} has no picture hash yet: its preview has not been made, "
            "or it is not a picture that can be compared"
        )
        self.args = (self.message,)


def check_hash(phash: int) -> int:
    """An unsigned 64-bit hash, or ``ValueError`` (a programming error of whoever computed it)."""
    if not 0 <= phash < 1 << HASH_BITS:
        raise ValueError(f"a picture hash is an unsigned 64-bit integer, not {phash}")
    return phash


def check_max_distance(max_distance: int, field: str = "max_distance") -> int:
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise Invalid.one(
            field,
            f"must be between 0 and {MAX_DISTANCE} (bits of 64 that may differ; "
            "larger distances match unrelated pictures and cannot be searched quickly)",
        )
    return max_distance


def distance(a: int, b: int) -> int:
    """The Hamming distance of two hashes: how many of their bits differ."""
    return (a ^ b).bit_count()


def bands(phash: int) -> tuple[int, ...]:
    """The four 16-bit bands of a hash, lowest bits first."""
    return tuple((phash >> (BAND_BITS * i)) & BAND_MASK for i in range(BAND_COUNT))


def band_radii(max_distance: int) -> tuple[int, ...]:
    """How far (in bits) each band is searched so that every hash within ``max_distance`` is found:
    some band of such a hash is within its radius of the query's band.

    With ``max_distance = 4 * r + a`` (``a < 4``): the first ``a + 1`` bands get ``r``, the others
    ``r - 1`` (-1: not searched). Were every band farther than its radius, the hash would differ in at
    least ``(a + 1) * (r + 1) + (3 - a) * r = max_distance + 1`` bits. At 10 bits that spares one band
    of its 120 two-bit neighbours.
    """
    radius, extra = divmod(max_distance, BAND_COUNT)
    return tuple(radius if band <= extra else radius - 1 for band in range(BAND_COUNT))


@cache
def band_masks(radius: int) -> tuple[int, ...]:
    """The XOR masks that turn a 16-bit band into each value within ``radius`` bits (0 first; none
    for a negative radius)."""
    return tuple(
        sum(1 << bit for bit in bits)
        for flipped in range(radius + 1)
        for bits in combinations(range(BAND_BITS), flipped)
    )


def band_neighbours(band: int, radius: int) -> list[int]:
    """Every 16-bit value within ``radius`` bits of ``band`` (itself first)."""
    return [band ^ mask for mask in band_masks(radius)]


def nearest(query: int, candidates: Iterable[tuple[str, int]], max_distance: int) -> list[tuple[str, int]]:
    """``(id, distance)`` of the candidates within ``max_distance``, nearest first (then by id)."""
    found = ((key, distance(query, phash)) for key, phash in candidates)
    return sorted(((key, d) for key, d in found if d <= max_distance), key=lambda kd: (kd[1], kd[0]))


class BandIndex:
    """Hashes held in memory and indexed by band, to find every close pair of a whole library."""

    def __init__(self, hashes: Sequence[int]) -> None:
        self._hashes = hashes
        self._buckets: list[dict[int, list[int]]] = [{} for _ in range(BAND_COUNT)]
        for position, phash in enumerate(hashes):
            for band, value in zip(self._buckets, bands(phash), strict=True):
                band.setdefault(value, []).append(position)

    def close_pairs(self, max_distance: int) -> Iterator[tuple[int, int, int]]:
        """``(i, j, distance)`` for every pair ``i < j`` within ``max_distance``, each once."""
        masks = [band_masks(radius) for radius in band_radii(max_distance)]
        for i, phash in enumerate(self._hashes):
            seen: set[int] = set()
            for band, value, band_mask in zip(self._buckets, bands(phash), masks, strict=True):
                for mask in band_mask:
                    for j in band.get(value ^ mask, ()):
                        if j > i and j not in seen:
                            seen.add(j)
                            d = distance(phash, self._hashes[j])
                            if d <= max_distance:
                                yield i, j, d


class _DisjointSets:
    """Union-find over positions ``0..n-1``, with path halving."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        self._parent[self.find(a)] = self.find(b)


class GroupMember(msgspec.Struct, frozen=True, kw_only=True):
    """An asset in a group; ``distance`` is to the group's first member (0 for that one)."""

    asset_id: str
    distance: int


class DuplicateGroup(msgspec.Struct, kw_only=True):
    """A set of look-alike assets for the user to review: keep one, or say they are not duplicates."""

    group_id: str
    status: GroupStatus
    max_distance: int
    members: list[GroupMember]
    kept_asset_id: str | None = None
    created_at: datetime
    resolved_at: datetime | None = None

    def member_ids(self) -> list[str]:
        return [member.asset_id for member in self.members]


def pair_key(a: str, b: str) -> tuple[str, str]:
    """A pair of asset ids in one order, so (a, b) and (b, a) are the same pair."""
    return (a, b) if a < b else (b, a)


def group_lookalikes(
    hashes: dict[str, int], max_distance: int, dismissed: frozenset[tuple[str, str]] = frozenset()
) -> list[list[GroupMember]]:
    """Connected components of the assets whose hashes are within ``max_distance`` (pairs the user
    said are not duplicates do not connect), each of two or more assets.

    A group's first member is the one with the most look-alikes in it (then the lowest id); the
    others follow nearest to it first. Groups come largest first, then by their first member's id.
    """
    ids = sorted(hashes)
    values = [hashes[asset_id] for asset_id in ids]
    sets = _DisjointSets(len(ids))
    degree = [0] * len(ids)
    for i, j, _ in BandIndex(values).close_pairs(max_distance):
        if pair_key(ids[i], ids[j]) not in dismissed:
            sets.union(i, j)
            degree[i] += 1
            degree[j] += 1
    components: dict[int, list[int]] = {}
    for position in range(len(ids)):
        components.setdefault(sets.find(position), []).append(position)
    groups = [
        _ordered(component, ids, values, degree) for component in components.values() if len(component) > 1
    ]
    return sorted(groups, key=lambda group: (-len(group), group[0].asset_id))


def _ordered(component: list[int], ids: list[str], values: list[int], degree: list[int]) -> list[GroupMember]:
    first = min(component, key=lambda p: (-degree[p], ids[p]))
    members = [GroupMember(asset_id=ids[p], distance=distance(values[first], values[p])) for p in component]
    return sorted(members, key=lambda m: (m.distance, m.asset_id))


class LookalikeRepository(Protocol):
    """The perceptual hash of each picture asset (never of previews themselves)."""

    async def put(self, asset_id: str, phash: int) -> None:
        """Store the asset's hash (unsigned 64-bit), replacing the one it had."""
        ...

    async def remove(self, asset_id: str) -> bool:
        """Forget the asset's hash; False when it had none."""
        ...

    async def get(self, asset_id: str) -> int | None:
        """The asset's hash, or None when it has none."""
        ...

    async def near(
        self, phash: int, max_distance: int, limit: int, exclude_asset_id: str | None = None
    ) -> list[tuple[str, int]]:
        """``(asset_id, distance)`` of live assets within ``max_distance`` of ``phash``, nearest first
        (then by id), at most ``limit``; ``exclude_asset_id`` (the asset asked about) is left out."""
        ...

    async def page(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        """``(asset_id, hash)`` of live assets in id order, after ``after``: a scan walks them all."""
        ...

    async def count(self) -> int:
        """How many live assets have a hash."""
        ...


class DuplicateGroupRepository(Protocol):
    """The review list of look-alike groups, and the pairs the user said are not duplicates."""

    async def replace_open(self, groups: Sequence[DuplicateGroup]) -> int:
        """Drop every open group and store ``groups`` instead; returns how many open groups went."""
        ...

    async def get(self, group_id: str) -> DuplicateGroup | None: ...

    async def update(self, group: DuplicateGroup) -> None:
        """Store a group's status, kept asset and resolution time (its members never change)."""
        ...

    async def select(self, status: GroupStatus, *, limit: int, offset: int = 0) -> list[DuplicateGroup]:
        """Groups of one status, oldest first (then by id)."""
        ...

    async def count(self, status: GroupStatus) -> int: ...

    async def dismiss_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember that these pairs (``pair_key`` order) are not duplicates."""
        ...

    async def dismissed_pairs(self) -> frozenset[tuple[str, str]]: ...
