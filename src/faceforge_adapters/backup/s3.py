"""``S3BackupTarget``: a backup kept under a prefix of an S3 bucket (any S3: AWS, MinIO, the managed
SeaweedFS of another home).

Keys under ``PREFIX/``, the layout of a backup folder::

    FACEFORGE-BACKUP                  marks the prefix as a backup (format version)
    lock                              held by the one backup writing here (a lease, renewed as it works)
    blobs/ab/cd/<sha256>              content-addressed, shared by every snapshot
    snapshots/<id>/core.sqlite3       the database copy
    snapshots/<id>/manifest.json      written last, one PUT: the snapshot is complete

S3 shows an object only once its upload completes, which gives the folder's promises without a
``tmp/``: a blob no bigger than one part is hashed in memory and sent as one PUT only when its bytes
match its name; a bigger one goes as a multipart upload, a few parts in flight, completed only once
the whole stream hashed to its name, and aborted on any failure or cancel. A ``kill -9`` can leave an
unfinished multipart upload (never listed as an object) and a database copy without manifest: the
next backup's sweep aborts and removes both, and resumes by skipping every blob already there.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Any

import anyio
from botocore.exceptions import ClientError

from faceforge_adapters.backup.layout import (
    MANIFEST,
    MARKER,
    SHA256,
    check_snapshot_id,
    decode_manifest,
    encode_manifest,
)
from faceforge_adapters.backup.s3lease import S3Lease
from faceforge_adapters.backup.s3upload import upload_checked
from faceforge_adapters.storage.filesystem import content_key
from faceforge_adapters.storage.s3 import S3_ERRORS, S3Settings, error_code, stream_object
from faceforge_domain.backup.models import DATABASE_FILE, DatabaseCopy, Manifest
from faceforge_domain.backup.ports import Digest, TargetUnavailable
from faceforge_domain.errors import DomainError, Forbidden, NotFound
from faceforge_domain.ids import ContentHasher

_REFUSED = {"403", "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "Forbidden"}
_NO_BUCKET = {"NoSuchBucket", "404", "NotFound"}


class NoSuchBucket(NotFound):
    """The bucket of an ``s3://`` target does not exist (a backup never creates buckets)."""

    def __init__(self, bucket: str, endpoint: str) -> None:
        DomainError.__init__(
            self,
            f"the bucket {bucket!r} does not exist at {endpoint}: create it first, or check the "
            "target's bucket name (nothing was written)",
            {"kind": "S3 bucket", "id": bucket},
        )
        self.kind, self.key = "S3 bucket", bucket


def target_error(exc: Exception, settings: S3Settings) -> DomainError:
    """What an S3 failure means to the user: a missing bucket, refused credentials, or a target that
    cannot be reached (which stops a backup at once)."""
    endpoint = settings.endpoint_url or "the default AWS endpoint"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in _NO_BUCKET:
            return NoSuchBucket(settings.bucket, endpoint)
        if code in _REFUSED:
            return Forbidden(
                f"{endpoint} refused the credentials for bucket {settings.bucket!r}: set "
                "backup.s3.access_key and secret_key, or FACEFORGE_BACKUP_S3_ACCESS_KEY and "
                "FACEFORGE_BACKUP_S3_SECRET_KEY",
                {"endpoint_url": settings.endpoint_url, "bucket": settings.bucket},
            )
    return TargetUnavailable(
        f"the S3 backup target at {endpoint} failed: {exc}",
        {"endpoint_url": settings.endpoint_url, "bucket": settings.bucket},
    )


@contextlib.contextmanager
def s3_errors(settings: S3Settings) -> Iterator[None]:
    """Turn botocore's errors into the target's domain errors."""
    try:
        yield
    except S3_ERRORS as exc:
        raise target_error(exc, settings) from exc


class S3BackupTarget:
    """Implements ``BackupTarget`` on ``bucket/prefix`` through an open aiobotocore ``client``."""

    def __init__(self, client: Any, settings: S3Settings, prefix: str, where: str) -> None:
        self.client = client
        self.settings = settings
        self.bucket = settings.bucket
        self._prefix = prefix
        self._where = where
        self.lease: S3Lease | None = None

    @property
    def where(self) -> str:
        return self._where

    def key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def blob_key(self, sha256: str) -> str:
        return self.key(f"blobs/{content_key(sha256)}")

    def _database_key(self, snapshot_id: str) -> str:
        return self.key(f"snapshots/{check_snapshot_id(snapshot_id)}/{DATABASE_FILE}")

    def _manifest_key(self, snapshot_id: str) -> str:
        return self.key(f"snapshots/{check_snapshot_id(snapshot_id)}/{MANIFEST}")

    # listing

    async def _list(self, under: str) -> AsyncIterator[dict[str, Any]]:
        """Every object under ``PREFIX/under``, page by page (1,000 keys a request)."""
        with s3_errors(self.settings):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.key(under)
            )
            async for page in pages:
                for item in page.get("Contents", []):
                    yield item

    async def has_objects(self) -> bool:
        with s3_errors(self.settings):
            page = await self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._prefix, MaxKeys=1)
        return bool(page.get("Contents"))

    async def exists(self, name: str) -> bool:
        with s3_errors(self.settings):
            try:
                await self.client.head_object(Bucket=self.bucket, Key=self.key(name))
            except ClientError as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    async def snapshot_keys(self) -> dict[str, list[str]]:
        """Each snapshot id under ``snapshots/`` and the keys it holds."""
        found: dict[str, list[str]] = {}
        start = len(self.key("snapshots/"))
        async for item in self._list("snapshots/"):
            snapshot_id, _, _ = item["Key"][start:].partition("/")
            found.setdefault(snapshot_id, []).append(item["Key"])
        return found

    # reading

    async def snapshots(self) -> list[Manifest]:
        found = []
        for snapshot_id, keys in (await self.snapshot_keys()).items():
            key = self.key(f"snapshots/{snapshot_id}/{MANIFEST}")
            if key in keys:
                data = b"".join([c async for c in self._read(key)])
                found.append(decode_manifest(data, f"s3://{self.bucket}/{key}"))
        return sorted(found, key=lambda m: (m.created_at, m.snapshot_id))

    async def blob_sizes(self) -> dict[str, int]:
        sizes = {}
        async for item in self._list("blobs/"):
            name = item["Key"].rsplit("/", 1)[-1]
            if SHA256.fullmatch(name) and item["Key"] == self.blob_key(name):
                sizes[name] = int(item["Size"])
        return sizes

    async def blob_digest(self, sha256: str) -> Digest | None:
        return await self._digest(self.blob_key(sha256))

    async def database_digest(self, snapshot_id: str) -> Digest | None:
        return await self._digest(self._database_key(snapshot_id))

    async def _digest(self, key: str) -> Digest | None:
        """Stream the object and hash it (in worker threads, so verify hashes while it downloads)."""
        hasher = ContentHasher()
        try:
            async for chunk in self._read(key):
                await anyio.to_thread.run_sync(hasher.update, chunk)
        except FileNotFoundError:
            return None
        return Digest(hasher.hexdigest(), hasher.size)

    def read_blob(self, sha256: str) -> AsyncIterator[bytes]:
        return self._read(self.blob_key(sha256))

    def read_database(self, snapshot_id: str) -> AsyncIterator[bytes]:
        return self._read(self._database_key(snapshot_id))

    def _read(self, key: str) -> AsyncIterator[bytes]:
        return stream_object(self.client, self.bucket, key)

    # writing

    async def sweep_unfinished(self) -> list[str]:
        """Abort the multipart uploads a stopped backup left, remove snapshots without a manifest."""
        removed = []
        with s3_errors(self.settings):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self._prefix
            )
            async for page in pages:
                for upload in page.get("Uploads", []):
                    await self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed.append(f"upload {upload['Key'][len(self._prefix) :]}")
        for snapshot_id, keys in sorted((await self.snapshot_keys()).items()):
            if self.key(f"snapshots/{snapshot_id}/{MANIFEST}") not in keys:
                await self._delete(keys)
                removed.append(f"snapshots/{snapshot_id}")
        return removed

    async def put_blob(self, sha256: str, chunks: AsyncIterable[bytes]) -> None:
        await self._upload(self.blob_key(sha256), chunks, sha256)

    async def put_database(self, snapshot_id: str, chunks: AsyncIterable[bytes]) -> DatabaseCopy:
        digest = await self._upload(self._database_key(snapshot_id), chunks, None)
        return DatabaseCopy(sha256=digest.sha256, size_bytes=digest.size_bytes)

    async def _renew(self) -> None:
        """Keep the writer's lock alive (a long prune or upload would otherwise let it lapse)."""
        if self.lease is not None:
            await self.lease.renew_if_due()

    async def _upload(self, key: str, chunks: AsyncIterable[bytes], expected: str | None) -> Digest:
        with s3_errors(self.settings):
            await self._renew()
            return await upload_checked(
                self.client,
                self.bucket,
                key,
                chunks,
                part_size=self.settings.part_size_bytes,
                expected=expected,
                before_each_part=self._renew,
            )

    async def put_marker(self, data: bytes) -> None:
        with s3_errors(self.settings):
            await self.client.put_object(Bucket=self.bucket, Key=self.key(MARKER), Body=data)

    async def publish(self, manifest: Manifest) -> None:
        with s3_errors(self.settings):
            await self.client.put_object(
                Bucket=self.bucket,
                Key=self._manifest_key(manifest.snapshot_id),
                Body=encode_manifest(manifest),
                ContentType="application/json",
            )

    async def remove_snapshot(self, snapshot_id: str) -> None:
        manifest = self._manifest_key(snapshot_id)
        await self._delete([manifest])  # unlisted first
        rest = (await self.snapshot_keys()).get(snapshot_id, [])
        await self._delete([k for k in rest if k != manifest])

    async def remove_blob(self, sha256: str) -> None:
        await self._delete([self.blob_key(sha256)])

    async def _delete(self, keys: list[str]) -> None:
        with s3_errors(self.settings):
            await self._renew()
            for key in keys:
                await self.client.delete_object(Bucket=self.bucket, Key=key)
