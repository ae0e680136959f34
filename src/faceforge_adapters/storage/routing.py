"""RoutingBlobStore: picks the filesystem or S3 for each new blob, and serves both by location.

Rules (``storage.routing``), first match wins: ``kind_map`` (a kind or a glob such as ``video.*``),
then ``s3_min_size_bytes`` (files at least that large go to S3), then ``default_provider``.

When S3 is chosen the bytes are streamed to it as they arrive (see ``S3BlobStore.put_read_ahead``):
no copy lands in ``tmp/``. The first part is read ahead, so a small stream can still go to the
filesystem when S3 refuses it, and a large one when S3 cannot even start the upload. A stream that
fails part-way through (S3 went down after taking some of it) fails: its bytes cannot be read again.
Only when the size rule must decide and neither an announced length nor the read-ahead settles it is
the stream staged in ``tmp/`` first. When S3 is disabled or down, the blob is stored on the
filesystem instead and a warning is logged; the returned location always says where the bytes
really are.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from faceforge_adapters.config import RoutingConfig
from faceforge_adapters.storage import filesystem
from faceforge_adapters.storage.filesystem import FilesystemBlobStore, iter_file
from faceforge_adapters.storage.payloads import put_each
from faceforge_adapters.storage.read_ahead import ReadAhead
from faceforge_adapters.storage.s3 import PROVIDER as S3
from faceforge_adapters.storage.s3 import S3BlobStore, S3Unavailable, stage_stream
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.models import LocalFile, Payload, StorageLocation, StoredBlob
from faceforge_domain.ports import BlobStore

FS = filesystem.PROVIDER
log = logging.getLogger("faceforge.storage")


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """The pure routing decision, from ``storage.routing``."""

    default_provider: str = FS
    kind_map: Mapping[str, str] = field(default_factory=dict)
    s3_min_size_bytes: int | None = None

    @classmethod
    def from_config(cls, routing: RoutingConfig) -> RoutingRules:
        return cls(
            default_provider=routing.default_provider,
            kind_map=dict(routing.kind_map),
            s3_min_size_bytes=routing.s3_min_size_bytes,
        )

    def for_kind(self, kind: str | None) -> str | None:
        """The kind map's answer: an exact key first, then the longest matching glob."""
        if not kind:
            return None
        if kind in self.kind_map:
            return self.kind_map[kind]
        globs = [p for p in self.kind_map if fnmatch.fnmatchcase(kind, p)]
        return self.kind_map[max(globs, key=len)] if globs else None

    def decide(self, kind: str | None, size: int | None) -> str | None:
        """The provider for a blob, or None when only its (yet unknown) size can decide."""
        by_kind = self.for_kind(kind)
        if by_kind is not None:
            return by_kind
        if self.s3_min_size_bytes is not None:
            if size is None:
                return None
            if size >= self.s3_min_size_bytes:
                return S3
        return self.default_provider


def _falling_back(error: S3Unavailable, *, sha256: str | None = None, size: int | None = None) -> None:
    """Log the fall-back (the hash and size of a stream that had not ended yet are not known)."""
    log.warning(
        "S3 is unavailable; storing on the filesystem instead",
        extra={"sha256": sha256, "size": size, "error": str(error)},
    )


class RoutingBlobStore:
    """The ``BlobStore`` Core uses when S3 is configured: routes puts, dispatches reads by provider."""

    name = "routing"

    def __init__(
        self, fs: FilesystemBlobStore, s3: S3BlobStore | None, rules: RoutingRules, tmp_dir: Path
    ) -> None:
        self.fs = fs
        self.s3 = s3
        self.rules = rules
        self.tmp_dir = tmp_dir

    def stores(self) -> dict[str, BlobStore]:
        """Every provider this store can reach, by name (what a storage migration moves between)."""
        found: dict[str, BlobStore] = {FS: self.fs}
        if self.s3 is not None:
            found[S3] = self.s3
        return found

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        kind: str | None = None,
        size_hint: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredBlob:
        provider = self.rules.decide(kind, size_hint)
        if provider == FS:
            return await self.fs.put(chunks, expected_sha256=expected_sha256)
        if self.s3 is None:
            if provider == S3:
                log.warning("routing chose S3 but S3 is disabled; storing on the filesystem")
            return await self.fs.put(chunks, expected_sha256=expected_sha256)
        ahead = await ReadAhead.take(chunks, self.s3.settings.part_size_bytes)
        if provider is None:
            provider = self._by_size(kind, ahead)
        if provider is None:  # longer than the read-ahead but maybe short of the size rule: stage it
            return await self._put_staged(ahead, kind, expected_sha256)
        if provider == S3:
            try:
                return await self.s3.put_read_ahead(ahead, expected_sha256=expected_sha256)
            except S3Unavailable as exc:
                if not ahead.replayable:  # part of the stream went to S3 already: it cannot be sent again
                    raise
                _falling_back(exc, size=len(ahead.head) if ahead.ended else None)
        return await self.fs.put(ahead.replay(), expected_sha256=expected_sha256)

    def _by_size(self, kind: str | None, ahead: ReadAhead) -> str | None:
        """The provider once the read-ahead tells the size, or enough of it (None: it does not yet)."""
        if ahead.ended:
            return self.rules.decide(kind, len(ahead.head))
        at_least = self.rules.decide(kind, len(ahead.head))
        return at_least if at_least == S3 else None

    async def _put_staged(
        self, ahead: ReadAhead, kind: str | None, expected_sha256: str | None
    ) -> StoredBlob:
        """Stage the stream in ``tmp/`` to learn its size, then store it where that size sends it."""
        assert self.s3 is not None
        staged = await stage_stream(ahead.replay(), self.tmp_dir)
        try:
            DigestMismatch.check(staged.sha256, expected_sha256)
            if self.rules.decide(kind, staged.size) == S3:
                try:
                    return await self.s3.put_file(staged)
                except S3Unavailable as exc:
                    _falling_back(exc, sha256=staged.sha256, size=staged.size)
            return await self.fs.put(iter_file(staged.path))
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.Path(staged.path).unlink(missing_ok=True)

    async def put_many(self, payloads: Sequence[Payload]) -> list[StoredBlob | Exception]:
        """Payloads bound for the filesystem go in one batch; the others each through ``put``."""
        to_fs = [self.s3 is None or self.rules.decide(p.kind, len(p.data)) == FS for p in payloads]
        on_fs = iter(await self.fs.put_many([p for p, fs in zip(payloads, to_fs, strict=True) if fs]))
        elsewhere = iter(await put_each(self, [p for p, fs in zip(payloads, to_fs, strict=True) if not fs]))
        return [next(on_fs) if fs else next(elsewhere) for fs in to_fs]

    async def put_local(self, local: LocalFile, *, kind: str | None = None) -> StoredBlob:
        """A finished local file goes where ``put`` would send the same bytes (the size is known)."""
        if self.s3 is not None and self.rules.decide(kind, local.size) == S3:
            try:
                return await self.s3.put_local(local)
            except S3Unavailable as exc:
                _falling_back(exc, sha256=local.sha256, size=local.size)
        return await self.fs.put_local(local)

    def _store_for(self, location: StorageLocation) -> BlobStore:
        if location.provider == FS:
            return self.fs
        if location.provider == S3 and self.s3 is not None:
            return self.s3
        raise S3Unavailable(
            f"the bytes are stored on provider {location.provider!r}, which is not configured"
        )

    def open_range(
        self, location: StorageLocation, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        return self._store_for(location).open_range(location, start, end)

    async def stat(self, location: StorageLocation) -> int | None:
        return await self._store_for(location).stat(location)

    async def delete(self, location: StorageLocation) -> None:
        await self._store_for(location).delete(location)

    async def aclose(self) -> None:
        if self.s3 is not None:
            await self.s3.aclose()
