"""What each provider really holds, for the integrity scan: the filesystem store's files and a real
weed's objects, listed by content key; a repair's ``replace`` takes the place of damaged bytes only
with bytes that hash right, and leaves nothing behind otherwise."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faceforge_adapters.integrity.inventory import FilesystemInventory, S3Inventory, sha_of_key
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_adapters.storage.s3 import STREAMED_PREFIX, S3BlobStore
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.integrity.ports import StoreInventory
from faceforge_domain.models import StorageLocation
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def read_all(store: FilesystemBlobStore | S3BlobStore, location: StorageLocation) -> bytes:
    return b"".join([chunk async for chunk in store.open_range(location)])


def fs_inventory(tmp_path: Path) -> tuple[FilesystemBlobStore, FilesystemInventory]:
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    return store, FilesystemInventory(store)


def s3_inventory(seaweed: RunningSeaweed, bucket: str, tmp_path: Path) -> tuple[S3BlobStore, S3Inventory]:
    settings = replace(seaweed.settings.s3_settings(), bucket=bucket)
    store = S3BlobStore(settings, tmp_path / "tmp")
    return store, S3Inventory(store)


async def check_inventory(
    store: FilesystemBlobStore | S3BlobStore, inventory: StoreInventory, tmp_path: Path
) -> None:
    """The contract both providers keep: list, replace (checked), remove."""
    good = os.urandom(3000)
    stored = await store.put(one_chunk(good))
    started = datetime.now(UTC)

    [found] = [o async for o in inventory.objects()]
    assert (found.sha256, found.size_bytes, found.location) == (stored.sha256, 3000, stored.location)
    assert abs(found.modified_at - started) < timedelta(minutes=1)

    with pytest.raises(DigestMismatch):  # other bytes never take the place of anything
        await inventory.replace(stored.sha256, one_chunk(b"x" * 3000))
    assert await read_all(store, stored.location) == good

    await store.delete(stored.location)  # a missing blob is put back under its key, nothing else moves
    other = (await store.put(one_chunk(b"other bytes"))).location
    location = await inventory.replace(stored.sha256, one_chunk(good))
    assert location == stored.location
    assert await read_all(store, location) == good
    assert await read_all(store, other) == b"other bytes"
    assert not list((tmp_path / "tmp").rglob("*.part"))

    for found in [o async for o in inventory.objects()]:
        await inventory.remove(found)
    assert [o async for o in inventory.objects()] == []


async def test_the_filesystem_inventory_lists_replaces_and_removes(tmp_path: Path) -> None:
    store, inventory = fs_inventory(tmp_path)
    await check_inventory(store, inventory, tmp_path)


async def test_a_damaged_file_is_replaced_in_place_with_checked_bytes(tmp_path: Path) -> None:
    store, inventory = fs_inventory(tmp_path)
    good = os.urandom(5000)
    stored = await store.put(one_chunk(good))
    path = store.path_for(stored.location)
    path.write_bytes(b"\0" + good[1:])

    await inventory.replace(stored.sha256, one_chunk(good))

    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256


async def test_names_outside_the_content_layout_are_not_listed(tmp_path: Path) -> None:
    store, inventory = fs_inventory(tmp_path)
    sha = hashlib.sha256(b"x").hexdigest()
    (store.root / "ab" / "cd").mkdir(parents=True)
    (store.root / "ab" / "cd" / sha).write_bytes(b"x")  # under the wrong fan-out folder
    (store.root / "notes.txt").write_bytes(b"mine")
    assert [o async for o in inventory.objects()] == []
    assert sha_of_key(f"{sha[:2]}/{sha[2:4]}/{sha}") == sha
    assert sha_of_key(f"{sha[:2]}/{sha[2:4]}/{sha.upper()}") is None


async def test_the_s3_inventory_lists_replaces_and_removes_on_a_real_weed(
    seaweed: RunningSeaweed, new_bucket: str, tmp_path: Path
) -> None:
    store, inventory = s3_inventory(seaweed, new_bucket, tmp_path)
    try:
        await check_inventory(store, inventory, tmp_path)
        sha = hashlib.sha256(b"same size").hexdigest()
        client = await store.client()
        await client.put_object(Bucket=store.bucket, Key="elsewhere/readme.txt", Body=b"not ours")
        await client.put_object(Bucket=store.bucket, Key=f"{sha[:2]}/{sha[2:4]}/{sha}", Body=b"SAME SIZE")
        [found] = [o async for o in inventory.objects()]
        assert found.sha256 == sha
        await inventory.replace(sha, one_chunk(b"same size"))  # damaged bytes of the same size
        assert await read_all(store, found.location) == b"same size"

        # a multipart upload whose hash was known only at its end keeps a key of its own
        await client.put_object(Bucket=store.bucket, Key=f"{STREAMED_PREFIX}0a1b", Body=b"streamed")
        streamed = {o.location.key: o async for o in inventory.objects()}[f"{STREAMED_PREFIX}0a1b"]
        assert (streamed.sha256, streamed.size_bytes) == (None, 8)
        await inventory.remove(streamed)
        assert [o.sha256 async for o in inventory.objects()] == [sha]
    finally:
        await store.aclose()
