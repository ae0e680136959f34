"""ExifTool metadata rules at ingest, exactly as the product specifies: pure, no I/O.

Which files are skipped, which keys are removed, and how ExifTool's JSON becomes an
``extracted_metadata`` entry (or a clear failure reason) are decided here; the adapter only runs the tool.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import msgspec

from faceforge_domain.facts import AssetFacts
from faceforge_domain.models import JsonObject, MetadataStatus

# Matched case-insensitively against the file name: sidecars and thumbnail caches carry no media metadata.
SKIP_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"_(meta|directorymeta)\.json$",
        r"\.(cover|thumb|thumb(s|db|index|nail))$",
        r"^(thumb|thumb(s|db|index|nail))\.db$",
    )
)

# Keys that describe the copy ExifTool happened to read (paths, inode, permissions), not the content.
REMOVED_KEYS: frozenset[str] = frozenset(
    {
        "ExifTool:ExifToolVersion",
        "ExifTool:FileSequence",
        "ExifTool:NewGUID",
        "System:BaseName",
        "System:Directory",
        "System:FileBlockCount",
        "System:FileBlockSize",
        "System:FileDeviceID",
        "System:FileDeviceNumber",
        "System:FileGroupID",
        "System:FileHardLinks",
        "System:FileInodeNumber",
        "System:FileName",
        "System:FilePath",
        "System:FilePermissions",
        "System:FileUserID",
    }
)

SOURCE = "ExifTool"
ENTRY_TYPE = "JsonMetadata"


class MetadataOutcome(NamedTuple):
    """What extraction concluded for one asset; ``entry`` (when done) replaces its earlier ExifTool one,
    and ``facts`` (derived from it) the asset's facts."""

    status: MetadataStatus
    reason: str | None
    entry: JsonObject | None = None
    facts: AssetFacts | None = None


class MetadataState(NamedTuple):
    """An asset's extraction status and reason, read without the rest of its record."""

    status: MetadataStatus
    reason: str | None


class MetadataError(Exception):
    """Metadata could not be extracted or stored; the message is the reason recorded on the asset."""


def skip_reason(filename: str) -> str | None:
    """Why ExifTool does not run on this file name, or None when it does."""
    for pattern in SKIP_PATTERNS:
        if pattern.search(filename):
            return f"file name matches the skip pattern {pattern.pattern!r}"
    return None


def exiftool_entry(output: bytes) -> JsonObject:
    """The ``extracted_metadata`` entry for ExifTool's ``-json`` output about one file.

    Raises ``MetadataError`` when the output is not JSON, not one object, or empty once the removed
    keys are gone.
    """
    if not output.strip():
        raise MetadataError("exiftool printed nothing")
    try:
        parsed: Any = msgspec.json.decode(output)
    except msgspec.DecodeError as exc:
        raise MetadataError(f"exiftool printed invalid JSON: {exc}") from None
    if isinstance(parsed, list) and len(parsed) == 1:
        parsed = parsed[0]
    if not isinstance(parsed, dict):
        raise MetadataError("exiftool did not print one JSON object for the file")
    data: JsonObject = parsed
    for key in REMOVED_KEYS & data.keys():  # a few keys out of thousands: not a copy of the rest
        del data[key]
    if not data.keys() - {"SourceFile"}:
        raise MetadataError("exiftool found no metadata in the file")
    return {"Source": SOURCE, "Type": ENTRY_TYPE, "Name": None, "NameHashes": None, "Data": data}


def replace_entry(entries: list[JsonObject], entry: JsonObject) -> list[JsonObject]:
    """The entries with any earlier one from the same source and type replaced by ``entry``."""
    kept = [e for e in entries if (e.get("Source"), e.get("Type")) != (entry["Source"], entry["Type"])]
    return [*kept, entry]
