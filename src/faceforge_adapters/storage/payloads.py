"""``put_many`` for stores with no cheaper way to store a batch: one ``put`` per payload."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from faceforge_domain.models import Payload, StoredBlob
from faceforge_domain.ports import BlobStore


async def one_piece(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def put_each(store: BlobStore, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
    """Each payload through ``store.put``, in order; a payload that fails gets its exception."""
    results: list[StoredBlob | Exception] = []
    for payload in payloads:
        try:
            stored = await store.put(one_piece(payload.data), kind=payload.kind, size_hint=len(payload.data))
        except Exception as exc:  # noqa: BLE001  (handed to the caller, per payload)
            results.append(exc)
        else:
            results.append(stored)
    return results
