"""Bounds-checked reads of integers and strings from a byte string: ``None`` instead of an error.

The format probes read offsets that the file itself states; a truncated or hostile head must make
them answer "not this format", never raise.
"""

from __future__ import annotations


def uint(data: bytes, offset: int, size: int, *, little: bool) -> int | None:
    """The unsigned ``size``-byte integer at ``offset``, or ``None`` when it runs past the end."""
    if offset < 0 or offset + size > len(data):
        return None
    return int.from_bytes(data[offset : offset + size], "little" if little else "big")


def ascii_at(data: bytes, offset: int, length: int) -> str | None:
    """Printable ASCII at ``offset`` up to ``length`` bytes or the first NUL; ``None`` past the end."""
    if offset < 0 or length < 0 or offset + length > len(data):
        return None
    raw = data[offset : offset + length].split(b"\x00", 1)[0]
    if not all(0x20 <= byte < 0x7F for byte in raw):
        return None
    return raw.decode("ascii")
