"""The batch pre-check: which of a client's files are already stored, so it can skip uploading them.

A claim names a file by its SHA-256 and size. It is answered ``exists`` only when a live asset has that
hash and that size: a soft-deleted asset does not count (uploading the bytes again brings it back), and a
size that disagrees with the stored one means the claim is not about the same content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import msgspec

from faceforge_domain.errors import FieldError, Invalid

MAX_ITEMS = 1000
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class ContentClaim(msgspec.Struct, frozen=True, kw_only=True):
    """A file the client has: its name (only echoed back), size in bytes and SHA-256 in hex."""

    name: str
    size: int
    sha256: str


class ContentAnswer(msgspec.Struct, kw_only=True):
    name: str
    size: int
    sha256: str
    exists: bool
    asset_id: str | None


def checked_claims(claims: Sequence[ContentClaim]) -> list[ContentClaim]:
    """Claims with lowercase hashes; every problem is reported together, naming the item's index."""
    if not 1 <= len(claims) <= MAX_ITEMS:
        raise Invalid.one("items", f"must hold 1 to {MAX_ITEMS} items, not {len(claims)}")
    errors: list[FieldError] = []
    for index, claim in enumerate(claims):
        if claim.size < 0:
            errors.append(FieldError(f"items/{index}/size", "must be 0 or more"))
        if not _SHA256.fullmatch(claim.sha256):
            errors.append(FieldError(f"items/{index}/sha256", "must be 64 hexadecimal digits"))
    if errors:
        raise Invalid(errors)
    return [msgspec.structs.replace(claim, sha256=claim.sha256.lower()) for claim in claims]


def answers(claims: Sequence[ContentClaim], live_sizes: Mapping[str, int]) -> list[ContentAnswer]:
    """One answer per checked claim, in order, from the sizes of the live assets among their hashes."""
    found = []
    for claim in claims:
        exists = live_sizes.get(claim.sha256) == claim.size
        found.append(
            ContentAnswer(
                name=claim.name,
                size=claim.size,
                sha256=claim.sha256,
                exists=exists,
                asset_id=claim.sha256 if exists else None,
            )
        )
    return found
