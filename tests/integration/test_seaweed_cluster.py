"""Core against a real SeaweedFS cluster (one master, three volume servers, filer + S3, replication
001) configured as an external S3 endpoint: every way in and out, and a volume server lost mid-flight."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_domain.imports.models import JOB_TYPE as IMPORT_JOB
from faceforge_domain.jobs.models import Job
from faceforge_domain.services.assets import IngestOptions
from faceforge_http.app import create_app
from seaweed_cluster import SeaweedCluster

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
async def core(home: Path, seaweed_cluster: SeaweedCluster) -> AsyncIterator[Core]:
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env, overrides=seaweed_cluster.s3_overrides()) as started:
        yield started


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(core))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
        yield http


async def upload(client: httpx.AsyncClient, auth: dict[str, str], data: bytes, name: str) -> str:
    response = await client.put("/v1/assets/upload", params={"filename": name}, content=data, headers=auth)
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["data"]["asset_id"]
    return asset_id


async def tus_upload(client: httpx.AsyncClient, auth: dict[str, str], data: bytes, name: str) -> str:
    tus = {**auth, "Tus-Resumable": "1.0.0"}
    created = await client.post(
        "/v1/uploads/",
        headers={
            **tus,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"filename {base64.b64encode(name.encode()).decode()}",
        },
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    half = len(data) // 2
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        headers = {**tus, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}
        response = await client.patch(location, headers=headers, content=chunk)
        assert response.status_code == 204, response.text
    status = (await client.get(location, headers=auth)).json()["data"]
    asset_id: str = status["asset_id"]
    return asset_id


async def download(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    asset_id: str,
    start: int | None = None,
    end: int | None = None,
) -> bytes:
    headers = dict(auth)
    if start is not None:
        headers["Range"] = f"bytes={start}-{'' if end is None else end}"
    response = await client.get(f"/v1/assets/{asset_id}/download", headers=headers)
    assert response.status_code == (200 if start is None else 206), response.text
    return response.content


async def stored_on_cluster(core: Core, cluster: SeaweedCluster, asset_id: str) -> bool:
    asset = await core.assets.get(asset_id)
    keys = {item["Key"] for item in cluster.client.list_objects_v2(Bucket=cluster.bucket).get("Contents", [])}  # type: ignore[attr-defined]
    return asset.storage.provider == "s3" and asset.storage.key in keys


async def wait_for(core: Core, job_id: str, limit_s: float = 120) -> Job:
    with anyio.fail_after(limit_s):
        while (job := await core.jobs.get(job_id)).status not in ("succeeded", "failed"):  # noqa: ASYNC110
            await anyio.sleep(0.05)
    return job


async def test_upload_tus_bulk_import_and_ranges_on_the_cluster(
    core: Core,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    seaweed_cluster: SeaweedCluster,
    tmp_path: Path,
) -> None:
    expected: dict[str, bytes] = {}
    plain = os.urandom(20 * MIB)  # above the part size: a multipart upload
    expected[await upload(client, auth, plain, "plain.bin")] = plain
    resumable = os.urandom(3 * MIB + 17)
    expected[await tus_upload(client, auth, resumable, "resumable.bin")] = resumable
    folder = tmp_path / "to-import"
    folder.mkdir()
    for index in range(5):
        data = os.urandom(MIB + index)
        (folder / f"file{index}.bin").write_bytes(data)
        expected[sha256(data)] = data
    job = await core.jobs.create(IMPORT_JOB, {"path": str(folder)})
    done = await wait_for(core, job.job_id)
    assert done.status == "succeeded", done.error

    for asset_id, data in expected.items():
        assert sha256(data) == asset_id
        assert await stored_on_cluster(core, seaweed_cluster, asset_id)
        assert await download(client, auth, asset_id) == data
        assert await download(client, auth, asset_id, 1000, 1999) == data[1000:2000]
        assert await download(client, auth, asset_id, len(data) - 5) == data[-5:]
    assert (
        await download(client, auth, sha256(plain), 9 * MIB - 3, 9 * MIB + 2)
        == plain[9 * MIB - 3 : 9 * MIB + 3]
    )


async def random_chunks(size: int, digest: hashlib._Hash, chunk: int = 4 * MIB) -> AsyncIterator[bytes]:
    """``size`` random bytes, generated as they are sent (never held whole), hashed on the way."""
    sent = 0
    while sent < size:
        data = os.urandom(min(chunk, size - sent))
        digest.update(data)
        sent += len(data)
        yield data


@pytest.fixture
def kill_when() -> Iterator[Callable[[Callable[[], bool], Callable[[], None]], threading.Event]]:
    """Run ``action`` once ``condition`` holds, watched from a thread (the event loop is busy uploading)."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(condition: Callable[[], bool], action: Callable[[], None]) -> threading.Event:
        fired = threading.Event()

        def watch() -> None:
            while not stop.wait(0.05):
                if condition():
                    action()
                    fired.set()
                    return

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        threads.append(thread)
        return fired

    yield start
    stop.set()
    for thread in threads:
        thread.join(5)


@pytest.mark.slow
async def test_a_volume_server_killed_during_a_1_gib_upload_loses_nothing(
    core: Core,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    seaweed_cluster: SeaweedCluster,
    kill_when: Callable[[Callable[[], bool], Callable[[], None]], threading.Event],
) -> None:
    before = os.urandom(5 * MIB)
    before_id = await upload(client, auth, before, "before.bin")
    cluster = seaweed_cluster
    # Core stages the upload on its disk first, then sends it: the volume files growing past a few
    # hundred MiB means the transfer to the cluster is under way.
    fired = kill_when(
        lambda: sum(cluster.volume_bytes(i) for i in range(3)) > 400 * MIB, lambda: cluster.kill_volume(0)
    )
    digest = hashlib.sha256()
    result = await core.assets.ingest(random_chunks(1024 * MIB, digest), IngestOptions(filename="big.bin"))
    assert fired.is_set(), "the volume server was not killed during the upload"
    big_id = result.asset.asset_id
    assert big_id == digest.hexdigest()

    for asset_id in (before_id, big_id):
        assert await stored_on_cluster(core, cluster, asset_id)
        read = hashlib.sha256()
        async for piece in core.assets.read(await core.assets.get(asset_id)):
            read.update(piece)
        assert read.hexdigest() == asset_id
    after = os.urandom(12 * MIB)
    after_id = await upload(client, auth, after, "after.bin")
    assert await stored_on_cluster(core, cluster, after_id)
    assert await download(client, auth, after_id) == after


@pytest.mark.slow
async def test_a_volume_server_killed_during_ranged_downloads_loses_nothing(
    core: Core,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    seaweed_cluster: SeaweedCluster,
) -> None:
    stored = {}
    for index in range(6):
        data = os.urandom(10 * MIB + index)
        stored[await upload(client, auth, data, f"clip{index}.bin")] = data
    killed = -1
    ranges = [(start, start + 777_777) for start in range(0, 9 * MIB, MIB)]
    for round_number in range(4):
        if round_number == 2:  # the server holding the most data, mid-way through the reads
            killed = max(range(3), key=seaweed_cluster.volume_bytes)
            seaweed_cluster.kill_volume(killed)
        for asset_id, data in stored.items():
            for start, end in ranges:
                assert await download(client, auth, asset_id, start, end) == data[start : end + 1]
    for asset_id in stored:
        assert sha256(await download(client, auth, asset_id)) == asset_id
        assert await stored_on_cluster(core, seaweed_cluster, asset_id)
    after = os.urandom(9 * MIB)
    after_id = await upload(client, auth, after, "after.bin")
    assert await stored_on_cluster(core, seaweed_cluster, after_id)
    assert await download(client, auth, after_id, 5, 10) == after[5:11]
    stored[after_id] = after

    # Re-replicate onto the two servers left, then lose a second one: every byte is still there.
    assert seaweed_cluster.under_replicated() != []
    seaweed_cluster.shell("volume.fix.replication -apply")
    assert seaweed_cluster.under_replicated() == []
    seaweed_cluster.kill_volume(next(i for i in range(3) if i != killed))
    for asset_id in stored:
        assert sha256(await download(client, auth, asset_id)) == asset_id
