"""The S3 backup target on a real weed, beyond the shared contract: what S3 alone can get wrong.

Bad places (an unreachable endpoint, refused keys, a missing bucket) fail with a sentence naming the
cause and write nothing; what a killed backup leaves (an unfinished multipart upload, its lock) is
cleared by the next one; a cancel mid-upload aborts it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator

import anyio
import pytest

from faceforge_adapters.backup.s3 import NoSuchBucket
from faceforge_adapters.backup.s3lease import LEASE_SECONDS
from faceforge_adapters.backup.s3targets import ACCESS_KEY_ENV, SECRET_KEY_ENV, S3Address, S3BackupTargets
from faceforge_adapters.config import BackupS3Config
from faceforge_domain.backup.ports import TargetUnavailable
from faceforge_domain.errors import Conflict, Forbidden, Invalid
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio
PART = 5 * 1024 * 1024
BUCKET = "faceforge-backups"


def targets_for(
    seaweed: RunningSeaweed, *, secret: str | None = None, endpoint: str | None = None
) -> S3BackupTargets:
    s = seaweed.settings
    return S3BackupTargets(
        BackupS3Config(endpoint_url=endpoint or s.endpoint_url, part_size_bytes=PART),
        {ACCESS_KEY_ENV: s.access_key, SECRET_KEY_ENV: secret or s.secret_key},
    )


@pytest.fixture
def where(seaweed: RunningSeaweed) -> str:
    with contextlib.suppress(seaweed.client.exceptions.BucketAlreadyOwnedByYou):  # type: ignore[attr-defined]
        seaweed.client.create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    return f"s3://{BUCKET}/t/{secrets.token_hex(4)}"


def keys(seaweed: RunningSeaweed, where: str) -> list[str]:
    address = S3Address.parse(where)
    found = seaweed.client.list_objects_v2(Bucket=address.bucket, Prefix=address.prefix)  # type: ignore[attr-defined]
    return sorted(item["Key"].removeprefix(address.prefix) for item in found.get("Contents", []))


def uploads(seaweed: RunningSeaweed, where: str) -> list[str]:
    address = S3Address.parse(where)
    found = seaweed.client.list_multipart_uploads(Bucket=address.bucket, Prefix=address.prefix)  # type: ignore[attr-defined]
    return [u["Key"] for u in found.get("Uploads", [])]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_endpoint_fails_clearly(seaweed: RunningSeaweed, where: str) -> None:
    targets = targets_for(seaweed, endpoint=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(TargetUnavailable, match=r"the S3 backup target at http://127\.0\.0\.1:\d+ failed"):
        async with targets.for_writing(where):
            pass


async def test_refused_keys_fail_clearly_and_write_nothing(seaweed: RunningSeaweed, where: str) -> None:
    with pytest.raises(Forbidden, match=f"refused the credentials for bucket '{BUCKET}'.*{ACCESS_KEY_ENV}"):
        async with targets_for(seaweed, secret="not-the-secret").for_writing(where):
            pass
    assert keys(seaweed, where) == []


async def test_a_missing_bucket_is_named_and_never_created(seaweed: RunningSeaweed) -> None:
    for opening in (targets_for(seaweed).for_writing, targets_for(seaweed).for_reading):
        with pytest.raises(NoSuchBucket, match="the bucket 'no-such-bucket' does not exist at http"):
            async with opening("s3://no-such-bucket/x"):
                pass
    names = [b["Name"] for b in seaweed.client.list_buckets()["Buckets"]]  # type: ignore[attr-defined]
    assert "no-such-bucket" not in names


@pytest.mark.parametrize(
    ("where", "endpoint", "field"),
    [
        ("s3://", None, "input/target"),
        ("s3://UPPER/x", None, "input/target"),
        ("s3://bucket/../x", None, "input/target"),
        ("s3://bucket/x", "ftp://host", "input/endpoint_url"),
    ],
)
def test_malformed_targets_are_refused_before_anything_is_opened(
    seaweed: RunningSeaweed, where: str, endpoint: str | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        targets_for(seaweed).check(where, endpoint_url=endpoint)
    assert refused.value.details[0].field == field  # type: ignore[index]


def test_an_s3_target_without_keys_is_refused_naming_where_keys_go() -> None:
    with pytest.raises(Invalid, match=f"no S3 keys for backups: set {ACCESS_KEY_ENV}"):
        S3BackupTargets(BackupS3Config(endpoint_url="http://127.0.0.1:1"), {}).check("s3://bucket/x")


async def test_the_next_backup_aborts_the_multipart_upload_a_killed_one_left(
    seaweed: RunningSeaweed, where: str
) -> None:
    async with targets_for(seaweed).for_writing(where):
        pass
    address = S3Address.parse(where)
    left = seaweed.client.create_multipart_upload(Bucket=BUCKET, Key=f"{address.prefix}blobs/ab/cd/abcd")  # type: ignore[attr-defined]
    seaweed.client.upload_part(  # type: ignore[attr-defined]
        Bucket=BUCKET,
        Key=f"{address.prefix}blobs/ab/cd/abcd",
        UploadId=left["UploadId"],
        PartNumber=1,
        Body=b"x" * PART,
    )
    async with targets_for(seaweed).for_writing(where) as target:
        assert await target.sweep_unfinished() == ["upload blobs/ab/cd/abcd"]
        assert await target.blob_sizes() == {}
    assert uploads(seaweed, where) == []


async def test_a_lock_left_by_a_killed_backup_is_taken_over_and_a_live_one_is_a_conflict(
    seaweed: RunningSeaweed, where: str
) -> None:
    async with targets_for(seaweed).for_writing(where):
        pass
    address = S3Address.parse(where)

    def lock(host: str, pid: int, renewed_at: float) -> None:
        body = json.dumps({"owner": "x", "host": host, "pid": pid, "renewed_at": renewed_at})
        seaweed.client.put_object(Bucket=BUCKET, Key=f"{address.prefix}lock", Body=body.encode())  # type: ignore[attr-defined]

    lock("elsewhere", 1, time.time())  # another machine, renewed just now: live
    with pytest.raises(Conflict, match="from elsewhere"):
        async with targets_for(seaweed).for_writing(where):
            pass
    for stale in (
        ("elsewhere", 1, time.time() - LEASE_SECONDS - 1),
        (socket.gethostname(), 2**22 + 7, time.time()),
    ):
        lock(*stale)  # not renewed for a lease, or a process of this machine that is gone
        async with targets_for(seaweed).for_writing(where):
            pass
        assert "lock" not in keys(seaweed, where)


async def test_a_cancel_mid_upload_aborts_it_and_leaves_nothing(seaweed: RunningSeaweed, where: str) -> None:
    data = os.urandom(3 * PART)
    started = anyio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield data[: 2 * PART + 1]
        started.set()
        await anyio.sleep_forever()

    async with targets_for(seaweed).for_writing(where) as target:
        async with anyio.create_task_group() as group:

            async def upload() -> None:
                await target.put_blob(hashlib.sha256(data).hexdigest(), stalls())

            group.start_soon(upload)
            await started.wait()
            await anyio.sleep(0.5)  # the first parts are on their way
            group.cancel_scope.cancel()
        assert await target.blob_sizes() == {}
    assert uploads(seaweed, where) == []
    assert [k for k in keys(seaweed, where) if k.startswith("blobs/")] == []
