"""Identifiers: random SHA-256 ids for records, content hashes for assets.

Every id in FaceForge is 64 lowercase hex characters. Record ids hash 32 random bytes; an asset's id is
the SHA-256 of its bytes, computed while they stream in so a file is never read twice.
"""

from __future__ import annotations

import hashlib
import re
import secrets

ID_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def new_id() -> str:
    """A fresh record id: SHA-256 of 32 cryptographically random bytes."""
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def is_id(value: str) -> bool:
    """True when ``value`` has the shape of a FaceForge id (64 lowercase hex chars)."""
    return bool(ID_PATTERN.fullmatch(value))


class ContentHasher:
    """Incremental SHA-256 of a byte stream, with the byte count beside it."""

    __slots__ = ("_sha", "size")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> None:
        self._sha.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def content_hash(data: bytes) -> str:
    """SHA-256 of a whole byte string (for small payloads; streams use ``ContentHasher``)."""
    return hashlib.sha256(data).hexdigest()
