"""Asset records with picture hashes, written straight through a unit of work (there is no way to set
a hash over HTTP: the preview pipeline stores them), for the look-alike tests of every layer."""

from __future__ import annotations

from datetime import UTC, datetime

from faceforge_domain.models import Asset, StorageLocation
from faceforge_domain.ports import UnitOfWorkFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def asset_id(n: int) -> str:
    return f"{n:064x}"


def asset_record(n: int, *, kind: str = "image.photo", filename: str | None = None) -> Asset:
    name = filename or f"IMG_{n:04d}.jpg"
    return Asset(
        asset_id=asset_id(n),
        kind=kind,
        mime_type="image/jpeg",
        size_bytes=1000 + n,
        filename=name,
        filenames=[name],
        storage=StorageLocation(provider="fs", key=asset_id(n)),
        created_at=T0,
        updated_at=T0,
    )


async def seed_hashes(units: UnitOfWorkFactory, hashes: dict[int, int], *, kind: str = "image.photo") -> None:
    """One asset per key (``asset_id(key)``) holding that hash, in one transaction."""
    async with units.write() as uow:
        await uow.assets.add_many([asset_record(n, kind=kind) for n in hashes])
        for n, phash in hashes.items():
            await uow.lookalikes.put(asset_id(n), phash)
        await uow.commit()
