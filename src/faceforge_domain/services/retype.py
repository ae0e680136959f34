"""Correcting the recorded type of stored assets: sniff their first bytes again with today's rules.

Assets stored before a format was known carry a wrong MIME type (a HEIC or a CR3 as ``video/mp4``)
and the kind that followed from it. ``AssetRetyping.correct_type`` reads the asset's first
``SNIFF_BYTES`` from the store, sniffs them under the asset's first name (the one its type was
first taken from) and, when the answer differs, updates the record and appends an
``asset.retyped`` event holding the values before and after, in the same transaction. A file that
got no preview under its old type is tried again (its record is dropped; the preview runner finds it).

The kind changes only when Core chose it: when it is what ``infer_kind`` gives for the old type, or
that type family's broad kind (``image.original``, ``video.original``, ``audio.clip``, ``file``: all
Core knew before). Any other kind was chosen by a user, a client or a plugin and is kept; only the
MIME type is corrected then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from faceforge_domain.clock import Clock
from faceforge_domain.errors import NotFound
from faceforge_domain.events import record
from faceforge_domain.filetypes import SNIFF_BYTES, family_kind, infer_kind, sniff_mime
from faceforge_domain.models import Asset
from faceforge_domain.ports import BlobStore, UnitOfWorkFactory
from faceforge_domain.services.asset_walk import every_asset

RETYPED_EVENT = "asset.retyped"


class AssetType(NamedTuple):
    """What an asset is recorded as."""

    mime_type: str
    kind: str


def first_name(asset: Asset) -> str:
    """The name the asset was first stored under, which its type and kind were taken from."""
    return asset.filenames[0] if asset.filenames else asset.filename


def kind_was_inferred(asset: Asset) -> bool:
    """Whether Core chose the asset's kind (see the module docstring), so a new type may change it."""
    name = first_name(asset)
    return asset.kind in (infer_kind(asset.mime_type, name), family_kind(asset.mime_type))


def corrected_type(asset: Asset, head: bytes) -> AssetType:
    """The type and kind ``asset`` should have, given its first ``SNIFF_BYTES``."""
    name = first_name(asset)
    mime = sniff_mime(head, name)
    kind = infer_kind(mime, name) if kind_was_inferred(asset) else asset.kind
    return AssetType(mime, kind)


class Retyped(NamedTuple):
    """An asset whose type was corrected, and what it was recorded as before."""

    asset: Asset
    before: AssetType


class AssetRetyping:
    """Re-sniffs stored assets and records corrected types (the ``core.assets.retype`` job's work)."""

    def __init__(self, uow: UnitOfWorkFactory, store: BlobStore, clock: Clock) -> None:
        self._uow = uow
        self._store = store
        self._clock = clock

    async def correct_type(self, asset_id: str) -> Asset | None:
        """Correct one asset's MIME type and kind from its bytes; the updated asset, or ``None`` when
        both were right. Soft-deleted assets count too (their bytes are kept). ``NotFound`` for an
        unknown id."""
        found = await self.retype(asset_id)
        return None if found is None else found.asset

    async def retype(self, asset_id: str) -> Retyped | None:
        """``correct_type``, also saying what the asset was recorded as before."""
        async with self._uow.read() as uow:
            asset = await uow.assets.get(asset_id, include_deleted=True)
        if asset is None:
            raise NotFound("asset", asset_id)
        head = await self._head(asset)
        async with self._uow.write() as uow:
            current = await uow.assets.get(asset_id, include_deleted=True)
            if current is None:
                raise NotFound("asset", asset_id)
            before = AssetType(current.mime_type, current.kind)
            after = corrected_type(current, head)
            if after == before:
                return None
            current.mime_type, current.kind = after
            current.updated_at = self._clock.now()
            await uow.assets.update(current)
            change = {"before": before._asdict(), "after": after._asdict()}
            await record(uow, self._clock, RETYPED_EVENT, asset_id, change)
            await uow.previews.forget_unmade(asset_id)  # a new type may have a picture after all
            await uow.commit()
        return Retyped(current, before)

    async def asset_ids(self, only: Sequence[str] | None = None) -> list[str]:
        """The ids to check: ``only`` as given (in order, without repeats), else every asset, oldest first."""
        if only is not None:
            return list(dict.fromkeys(only))
        return [asset.asset_id async for asset in every_asset(self._uow)]

    async def _head(self, asset: Asset) -> bytes:
        if asset.size_bytes == 0:
            return b""
        head = bytearray()
        end = min(SNIFF_BYTES, asset.size_bytes) - 1
        async for chunk in self._store.open_range(asset.storage, 0, end):
            head.extend(chunk)
        return bytes(head[:SNIFF_BYTES])
