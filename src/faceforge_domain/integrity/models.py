"""What an integrity scan finds, and what it is asked to do.

A finding names the stored file (its asset id, the provider and key where its bytes are or should be)
and the entities it is linked to, so a user reads "Ada Lovelace's portrait is damaged", not a key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from faceforge_domain.models import StorageLocation

Problem = Literal["missing", "corrupt", "wrong_provider", "orphan", "leftover"]
PROBLEMS: tuple[Problem, ...] = ("missing", "corrupt", "wrong_provider", "orphan", "leftover")


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong; ``repaired`` says what ``--repair`` did about it (None: nothing)."""

    problem: Problem
    detail: str
    asset_id: str | None = None
    provider: str | None = None
    key: str | None = None
    size_bytes: int | None = None
    entity_ids: list[str] = msgspec.field(default_factory=list)
    repaired: str | None = None


class StoredObject(msgspec.Struct, frozen=True, kw_only=True):
    """An object a provider holds: ``sha256`` is the hash its name claims, ``None`` for a name that
    claims none (an S3 upload streamed before its hash was known, ``streamed/<random>``)."""

    location: StorageLocation
    sha256: str | None
    size_bytes: int
    modified_at: datetime


class Leftover(msgspec.Struct, frozen=True, kw_only=True):
    """Something an unfinished upload left: an expired resumable upload or a dead process's tmp entry."""

    kind: Literal["expired_upload", "stale_tmp"]
    name: str
    size_bytes: int


class IntegrityScanInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``repair``: restore bad blobs from backups, remove old orphans and leftovers; ``from_targets``:
    the backup folders to restore from (empty: ``backup.targets``)."""

    repair: bool = False
    from_targets: list[str] = msgspec.field(default_factory=list, name="from")
