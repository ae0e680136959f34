"""What every backup location shares, a folder or an S3 prefix: the names in it and the manifest's
encoding, so a backup copied from a disk into a bucket (or back) reads the same."""

from __future__ import annotations

import re

import msgspec

from faceforge_domain.backup.models import FORMAT_VERSION, Manifest
from faceforge_domain.errors import Invalid, NotFound

MARKER = "FACEFORGE-BACKUP"
MANIFEST = "manifest.json"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SNAPSHOT_ID = re.compile(r"^[0-9TZ-]+$")


def check_snapshot_id(snapshot_id: str) -> str:
    """A snapshot id as backups make them; anything else (``..``, a slash) names no snapshot."""
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):
        raise NotFound("backup snapshot", snapshot_id)
    return snapshot_id


def marker_bytes() -> bytes:
    return msgspec.json.encode({"format_version": FORMAT_VERSION}) + b"\n"


def encode_manifest(manifest: Manifest) -> bytes:
    return msgspec.json.format(msgspec.json.encode(manifest), indent=1)


def decode_manifest(data: bytes, source: str) -> Manifest:
    """The manifest in ``data`` (read from ``source``); one of a newer backup format is refused by name."""
    try:
        version = msgspec.json.decode(data, type=dict[str, object]).get("format_version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise Invalid.one(
                "manifest",
                f"{source} is backup format {version}; this FaceForge reads up to {FORMAT_VERSION}",
            )
        return msgspec.json.decode(data, type=Manifest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Invalid.one("manifest", f"{source} is not a readable manifest: {exc}") from exc
