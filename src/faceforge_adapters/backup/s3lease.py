"""One writer per S3 backup: a ``lock`` object created with a conditional PUT, renewed while the backup
works, removed when it ends.

S3 has no file locks. ``If-None-Match: *`` makes creating the lock atomic (of two backups starting at
once, one gets ``PreconditionFailed``). A backup killed with ``kill -9`` cannot remove its lock, so the
lock says who holds it and when it was last renewed: it is stale once ``LEASE_SECONDS`` pass without
renewal, or at once when it was taken on this machine by a process that is gone. A stale lock is
replaced; a live one is a ``Conflict``.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Any

import msgspec
import psutil
from botocore.exceptions import ClientError

from faceforge_adapters.storage.s3 import error_code, stream_object
from faceforge_domain.errors import Conflict

LEASE_SECONDS = 120.0
RENEW_AFTER_SECONDS = 30.0


class LockHolder(msgspec.Struct, frozen=True, kw_only=True):
    owner: str
    host: str
    pid: int
    renewed_at: float

    def stale(self, now: float) -> bool:
        if now - self.renewed_at > LEASE_SECONDS:
            return True
        return self.host == socket.gethostname() and not psutil.pid_exists(self.pid)


class S3Lease:
    """The lock at ``key``, held by this process once ``take`` returned."""

    def __init__(self, client: Any, bucket: str, key: str, where: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._where = where
        self._owner = secrets.token_hex(8)
        self._renewed = 0.0

    def _body(self) -> bytes:
        self._renewed = time.time()
        holder = LockHolder(
            owner=self._owner, host=socket.gethostname(), pid=os.getpid(), renewed_at=self._renewed
        )
        return msgspec.json.encode(holder)

    async def take(self) -> None:
        """Create the lock; replace it once when it is stale; ``Conflict`` when another backup holds it."""
        if await self._create():
            return
        holder = await self._holder()
        if holder is not None and not holder.stale(time.time()):
            raise Conflict(
                f"another backup is writing to {self._where} right now (from {holder.host}, process "
                f"{holder.pid})",
                {"target": self._where},
            )
        await self._client.delete_object(Bucket=self._bucket, Key=self._key)
        if not await self._create():
            raise Conflict(f"another backup is writing to {self._where} right now", {"target": self._where})

    async def _create(self) -> bool:
        try:
            await self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=self._body(), IfNoneMatch="*"
            )
        except ClientError as exc:
            if error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise
        return True

    async def _holder(self) -> LockHolder | None:
        try:
            data = b"".join([c async for c in stream_object(self._client, self._bucket, self._key)])
        except FileNotFoundError:
            return None
        try:
            return msgspec.json.decode(data, type=LockHolder)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None  # not a lock this FaceForge wrote: treat as stale

    async def renew_if_due(self) -> None:
        if time.time() - self._renewed > RENEW_AFTER_SECONDS:
            await self._client.put_object(Bucket=self._bucket, Key=self._key, Body=self._body())

    async def release(self) -> None:
        await self._client.delete_object(Bucket=self._bucket, Key=self._key)
