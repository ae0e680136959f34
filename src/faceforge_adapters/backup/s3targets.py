"""``S3BackupTargets``: opens ``s3://bucket/prefix`` backup locations.

The endpoint comes from the request (``--endpoint-url``, a job's ``endpoint_url``) or ``backup.s3``; the
keys only from ``backup.s3`` or ``FACEFORGE_BACKUP_S3_ACCESS_KEY`` / ``FACEFORGE_BACKUP_S3_SECRET_KEY``,
never from a request: a job's input is kept in the database, and the database goes into every backup.
A backup never creates a bucket (a mistyped name would silently start a new, empty backup elsewhere).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from faceforge_adapters.backup.layout import MARKER, marker_bytes
from faceforge_adapters.backup.s3 import S3BackupTarget, s3_errors
from faceforge_adapters.backup.s3lease import S3Lease
from faceforge_adapters.config import BackupS3Config
from faceforge_adapters.storage.s3 import S3_ERRORS, S3Settings, open_client
from faceforge_domain.errors import Invalid, NotFound

SCHEME = "s3://"
ACCESS_KEY_ENV = "FACEFORGE_BACKUP_S3_ACCESS_KEY"
SECRET_KEY_ENV = "FACEFORGE_BACKUP_S3_SECRET_KEY"  # noqa: S105  (a variable's name, not a secret)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class S3Address:
    """``s3://bucket/a/b``: the bucket, and the key prefix ``a/b/`` (empty: the bucket's top)."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, where: str) -> S3Address:
        bucket, _, path = where.removeprefix(SCHEME).partition("/")
        if not where.startswith(SCHEME) or not _BUCKET.fullmatch(bucket):
            raise Invalid.one(
                "input/target", f"{where!r} is not s3://bucket/prefix (a bucket name is 3-63 of a-z 0-9 . -)"
            )
        parts = [p for p in path.split("/") if p]
        if any(not _PREFIX_PART.fullmatch(p) for p in parts):
            raise Invalid.one(
                "input/target", f"the prefix of {where!r} may hold letters, digits and . _ - between slashes"
            )
        return cls(bucket, "".join(f"{p}/" for p in parts))

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}".rstrip("/")


class S3BackupTargets:
    """Implements ``BackupTargets`` for ``s3://`` locations; ``env`` may override the keys."""

    def __init__(self, config: BackupS3Config, env: Mapping[str, str]) -> None:
        self._config = config
        self._access_key = env.get(ACCESS_KEY_ENV) or config.access_key
        self._secret_key = env.get(SECRET_KEY_ENV) or config.secret_key

    def check(self, where: str, *, endpoint_url: str | None = None) -> None:
        self._settings(S3Address.parse(where), endpoint_url)

    def _settings(self, address: S3Address, endpoint_url: str | None) -> S3Settings:
        endpoint = endpoint_url or self._config.endpoint_url
        if endpoint is not None and not re.fullmatch(r"https?://[^/\s]+/?", endpoint):
            raise Invalid.one(
                "input/endpoint_url", f"{endpoint!r} is not an http:// or https:// endpoint URL"
            )
        if not (self._access_key and self._secret_key):
            raise Invalid.one(
                "input/target",
                f"no S3 keys for backups: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or backup.s3.access_key "
                "and backup.s3.secret_key",
            )
        return S3Settings(
            endpoint_url=endpoint,
            access_key=self._access_key,
            secret_key=self._secret_key,
            bucket=address.bucket,
            region=self._config.region,
            use_ssl=endpoint is None or endpoint.startswith("https://"),
            part_size_bytes=self._config.part_size_bytes,
        )

    @asynccontextmanager
    async def _open(self, where: str, endpoint_url: str | None) -> AsyncIterator[S3BackupTarget]:
        address = S3Address.parse(where)
        settings = self._settings(address, endpoint_url)
        async with open_client(settings) as client:
            with s3_errors(settings):
                await client.head_bucket(Bucket=address.bucket)
            yield S3BackupTarget(client, settings, address.prefix, str(address))

    @asynccontextmanager
    async def for_reading(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[S3BackupTarget]:
        async with self._open(where, endpoint_url) as target:
            if not await target.exists(MARKER):
                raise NotFound("backup", target.where)
            yield target

    @asynccontextmanager
    async def for_writing(
        self, where: str, *, endpoint_url: str | None = None
    ) -> AsyncIterator[S3BackupTarget]:
        async with self._open(where, endpoint_url) as target:
            if not await target.exists(MARKER):
                if await target.has_objects():
                    raise Invalid.one(
                        "input/target",
                        f"{target.where} holds objects and no FaceForge backup; pick an empty prefix",
                    )
                await target.put_marker(marker_bytes())
            lease = S3Lease(target.client, target.bucket, target.key("lock"), target.where)
            with s3_errors(target.settings):
                await lease.take()
            target.lease = lease
            try:
                yield target
            finally:
                # Left behind only when the endpoint went away: stale (and replaced) once its lease runs out.
                with anyio.CancelScope(shield=True), contextlib.suppress(*S3_ERRORS):
                    await lease.release()
