"""What each storage provider really holds, for the integrity scan: ``StoreInventory`` implementations.

Both list only names in the content-addressed layout (``ab/cd/<sha256>``); nothing is hashed here (the
scan hashes, at its own pace). ``replace`` is how a repair puts good bytes in the place of damaged ones:
the stores' own ``put`` keeps an object already under the key, which is right for new uploads and
wrong for a repair.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio

from faceforge_adapters.backup.files import HashingWriter, rename_into
from faceforge_adapters.storage.filesystem import PROVIDER as FS
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, content_key, fsync_dir
from faceforge_adapters.storage.s3 import PROVIDER as S3
from faceforge_adapters.storage.s3 import STREAMED_PREFIX, S3BlobStore, stage_stream
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.integrity.models import StoredObject
from faceforge_domain.models import StorageLocation
from faceforge_domain.timefmt import truncate_to_millis

_CONTENT_KEY = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})$")


def sha_of_key(key: str) -> str | None:
    """The SHA-256 a content key names, or None for a key outside the layout."""
    found = _CONTENT_KEY.fullmatch(key)
    return None if found is None else found.group(3)


class FilesystemInventory:
    """The files under ``assets/`` (the filesystem provider's root)."""

    provider = FS

    def __init__(self, store: FilesystemBlobStore) -> None:
        self._store = store

    async def objects(self) -> AsyncIterator[StoredObject]:
        for fan in await anyio.to_thread.run_sync(_folders, self._store.root):
            for found in await anyio.to_thread.run_sync(self._files, fan):
                yield found

    def _files(self, fan: Path) -> list[StoredObject]:
        found = []
        for sub in _folders(fan):
            with os.scandir(sub) as entries:
                for entry in entries:
                    key = f"{fan.name}/{sub.name}/{entry.name}"
                    sha256 = sha_of_key(key)
                    if sha256 is None or not entry.is_file(follow_symlinks=False):
                        continue
                    info = entry.stat(follow_symlinks=False)
                    found.append(
                        StoredObject(
                            location=StorageLocation(provider=FS, key=key),
                            sha256=sha256,
                            size_bytes=info.st_size,
                            modified_at=truncate_to_millis(datetime.fromtimestamp(info.st_mtime, UTC)),
                        )
                    )
        return found

    async def replace(self, sha256: str, chunks: AsyncIterable[bytes]) -> StorageLocation:
        location = StorageLocation(provider=FS, key=content_key(sha256))
        final = self._store.path_for(location)
        await anyio.to_thread.run_sync(lambda: self._store.tmp_dir.mkdir(parents=True, exist_ok=True))
        writer = HashingWriter(self._store.tmp_dir / f"repair-{secrets.token_hex(8)}.part")
        try:
            async for chunk in chunks:
                await anyio.to_thread.run_sync(writer.write, chunk)
            await anyio.to_thread.run_sync(lambda: writer.close(sync=True))
            DigestMismatch.check(writer.hasher.hexdigest(), sha256)
            await anyio.to_thread.run_sync(rename_into, writer.tmp, final)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.discard)
            raise
        await anyio.to_thread.run_sync(fsync_dir, final.parent)
        return location

    async def remove(self, found: StoredObject) -> None:
        await self._store.delete(found.location)


class S3Inventory:
    """The objects of the S3 store's bucket under content keys, and those streamed up under keys of
    their own (``streamed/<random>``: the hash was known only once the upload ended)."""

    provider = S3

    def __init__(self, store: S3BlobStore) -> None:
        self._store = store

    async def objects(self) -> AsyncIterator[StoredObject]:
        async for key, size, modified in self._store.listing():
            sha256 = sha_of_key(key)
            if sha256 is not None or key.startswith(STREAMED_PREFIX):
                yield StoredObject(
                    location=StorageLocation(provider=S3, key=key, bucket=self._store.bucket),
                    sha256=sha256,
                    size_bytes=size,
                    modified_at=truncate_to_millis(modified.astimezone(UTC)),
                )

    async def replace(self, sha256: str, chunks: AsyncIterable[bytes]) -> StorageLocation:
        staged = await stage_stream(chunks, self._store.tmp_dir)
        try:
            DigestMismatch.check(staged.sha256, sha256)
            return (await self._store.put_file(staged, replace=True)).location
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.Path(staged.path).unlink(missing_ok=True)

    async def remove(self, found: StoredObject) -> None:
        await self._store.delete(found.location)


def _folders(folder: Path) -> list[Path]:
    """The two-hex-digit fan-out folders in ``folder`` (none when it does not exist)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(
                Path(e.path) for e in entries if len(e.name) == 2 and e.is_dir(follow_symlinks=False)
            )
    except FileNotFoundError:
        return []
