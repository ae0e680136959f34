"""File and folder names an export may use: safe on every operating system, unique in their folder.

An entity's display name and an asset's file name are whatever the user typed or uploaded; on disk they
must survive Windows, macOS and Linux alike, and must not be mistaken for something else when the
folder is imported again (a hidden file, a sidecar). ``safe_name`` makes one name safe; ``NameBook``
hands out names unique in one folder, ignoring case (Windows and macOS do).
"""

from __future__ import annotations

import re

from faceforge_domain.imports.plan import is_sidecar

# Windows refuses these characters in a name; "/" and NUL are refused everywhere.
FORBIDDEN = frozenset('/\\:*?"<>|')
# Device names Windows reserves, with or without an extension ("con.txt" is refused too).
RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in "123456789¹²³"} | {f"LPT{n}" for n in "123456789¹²³"}
)
# Bytes of a name in UTF-8: file systems cap a name at 255 bytes, and the sidecar adds its suffix.
MAX_NAME_BYTES = 200
EMPTY = "_"
_ENDING = re.compile(r"[. ]+$")


def _is_unwritable(char: str) -> bool:
    """A control character, or half of a surrogate pair (no file system can store one alone)."""
    code = ord(char)
    return code < 32 or 127 <= code < 160 or 0xD800 <= code <= 0xDFFF


def _cap(name: str, most: int) -> str:
    """At most ``most`` UTF-8 bytes, cut at a character boundary, the extension kept when short."""
    if len(name.encode()) <= most:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode()) <= 16 else ""
    body = name[: len(name) - len(suffix)]
    budget = most - len(suffix.encode())
    cut = body.encode()[:budget].decode(errors="ignore")
    return cut + suffix


def _split(name: str) -> tuple[str, str]:
    """Stem and extension (with its dot); a name without a stem before the dot has no extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext:
        return stem, f".{ext}"
    return name, ""


def safe_name(raw: str, *, most: int = MAX_NAME_BYTES) -> str:
    """``raw`` as a name every OS accepts and an import reads as an ordinary file.

    Forbidden, control and lone surrogate characters become ``_``; trailing dots and spaces go
    (Windows drops them); a leading dot becomes ``_`` (an import leaves hidden files out); a reserved
    device name gains a ``_`` in front; a name an import would take for a sidecar gains a ``_``
    before its extension; the length is capped in UTF-8 bytes. The result is never empty, and
    ``safe_name`` of it is itself.
    """
    name = "".join("_" if char in FORBIDDEN or _is_unwritable(char) else char for char in raw)
    while True:  # each rule may expose another (a cut ending in a dot, a prefix past the cap)
        fixed = _one_pass(name, most)
        if fixed == name:
            return name
        name = fixed


def _one_pass(name: str, most: int) -> str:
    """Each rule once; a name no rule changes is safe. Only the leading ``_`` of a reserved name
    lengthens a name, and the cut at the end keeps it, so a second pass changes nothing more."""
    if name.startswith("."):
        name = "_" + name[1:]
    if name.split(".", 1)[0].rstrip(" ").upper() in RESERVED:
        name = "_" + name
    if is_sidecar(name):  # "_" before the extension, room made for it: the name then ends "_.json"
        stem, ext = _split(name)
        name = f"{_cap(stem, most - len(ext.encode()) - 1)}_{ext}"
    return _ENDING.sub("", _cap(name, most)).lstrip(" ") or EMPTY


class NameBook:
    """Names handed out in one folder: a name already taken (ignoring case) gets `` (2)``, `` (3)``...
    before its extension. ``reserved`` are names the folder holds already (the export's own files)."""

    def __init__(self, reserved: tuple[str, ...] = (), *, most: int = MAX_NAME_BYTES) -> None:
        self._taken = {name.casefold() for name in reserved}
        self._most = most

    def claim(self, raw: str, *, keep_extension: bool = True) -> str:
        """A safe name for ``raw`` that no earlier claim holds."""
        name = safe_name(raw, most=self._most)
        stem, ext = _split(name) if keep_extension else (name, "")
        candidate, n = name, 1
        while candidate.casefold() in self._taken:
            n += 1
            tail = f" ({n}){ext}"
            candidate = safe_name(_cap(stem, self._most - len(tail.encode())) + tail, most=self._most)
        self._taken.add(candidate.casefold())
        return candidate
