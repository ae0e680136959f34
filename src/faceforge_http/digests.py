"""``Repr-Digest`` (RFC 9530): the SHA-256 of an asset on the wire, sent with downloads, checked on uploads.

The field is a structured-field dictionary (RFC 8941) of algorithm -> byte sequence, such as
``sha-256=:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=:``. Only ``sha-256`` is understood; other
algorithms are ignored, as the RFC asks, so a header naming none we know checks nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

import http_sf

from faceforge_domain.errors import Invalid

HEADER = "repr-digest"
ALGORITHM = "sha-256"
_SHA256_BYTES = 32


def repr_digest(sha256_hex: str) -> str:
    """The header value for content whose SHA-256 is ``sha256_hex``."""
    return f"{ALGORITHM}=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode('ascii')}:"


def expected_sha256(values: Iterable[str]) -> str | None:
    """The SHA-256 (hex) the request's ``Repr-Digest`` lines vouch for, or None when they name none.

    Several lines are one field (joined by commas). A field that does not parse, or a ``sha-256`` member
    that is not a 32-byte byte sequence, is a 422 naming the header, raised before any byte is read.
    """
    joined = ", ".join(values)
    if not joined.strip():
        return None
    try:
        members = http_sf.parse(joined.encode("ascii"), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError) as exc:
        raise Invalid.one(HEADER, f"is not an RFC 9530 digest dictionary: {exc}") from None
    member = members.get(ALGORITHM) if isinstance(members, dict) else None
    if member is None:
        return None
    value = member[0] if isinstance(member, tuple) else None  # (item, parameters); an inner list is not
    if not isinstance(value, bytes) or len(value) != _SHA256_BYTES:
        raise Invalid.one(
            HEADER, f"{ALGORITHM} must be a byte sequence of {_SHA256_BYTES} bytes, like :base64:"
        )
    return value.hex()
