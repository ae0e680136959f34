"""Core routing uploads to a real SeaweedFS, falling back to the filesystem while it is down,
and moving the filesystem ones over afterwards."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_domain.asset_query import AssetQuery
from faceforge_domain.errors import DigestMismatch
from faceforge_domain.models import Asset
from faceforge_domain.paging import PageRequest, PageResult
from faceforge_domain.services.assets import IngestOptions, IngestResult
from faceforge_http.app import create_app
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio


async def chunks_of(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def storage_log() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("faceforge.storage")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def s3_overrides(seaweed: RunningSeaweed, **routing: object) -> dict[str, object]:
    s = seaweed.settings
    overrides: dict[str, object] = {
        "storage.s3.enabled": True,
        "storage.s3.endpoint_url": s.endpoint_url,
        "storage.s3.access_key": s.access_key,
        "storage.s3.secret_key": s.secret_key,
        "storage.s3.bucket": s.bucket,
        "storage.s3.part_size_bytes": 5 * 1024 * 1024,
        "tools.exiftool_enabled": False,
    }
    overrides.update({f"storage.routing.{key}": value for key, value in routing.items()})
    return overrides


async def upload(core: Core, data: bytes, name: str, kind: str | None = None) -> Asset:
    result = await core.assets.ingest(chunks_of(data), IngestOptions(filename=name, kind=kind))
    return result.asset


async def read(core: Core, asset: Asset, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([c async for c in core.assets.read(asset, start, end)])


def fs_path(core: Core, asset: Asset) -> Path:
    return FilesystemBlobStore(core.paths.assets_dir, core.paths.tmp_dir).path_for(asset.storage)


async def test_uploads_follow_s3_fall_back_while_it_is_down_and_migrate_over(
    home: Path, seaweed_factory: object, storage_log: Records
) -> None:
    weed: RunningSeaweed = seaweed_factory()  # type: ignore[operator]
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env, overrides=s3_overrides(weed, default_provider="s3")) as core:
        first_bytes = os.urandom(7 * 1024 * 1024)  # above the part size: a multipart upload
        first = await upload(core, first_bytes, "clip.mp4")
        assert first.storage.provider == "s3"
        assert first.storage.key in weed.objects()
        assert await read(core, first) == first_bytes
        assert await read(core, first, 1000, 1999) == first_bytes[1000:2000]

        weed.kill()
        down_bytes = os.urandom(300_000)
        down = await upload(core, down_bytes, "while-down.jpg")
        assert down.storage.provider == "fs"
        assert fs_path(core, down).read_bytes() == down_bytes
        assert any("S3 is unavailable" in m for m in storage_log.messages())
        big_down_bytes = os.urandom(12 * 1024 * 1024)  # past the read-ahead: S3 refused before any of it went
        big_down = await upload(core, big_down_bytes, "long-while-down.mp4")
        assert big_down.storage.provider == "fs"
        assert fs_path(core, big_down).read_bytes() == big_down_bytes
        assert list(core.paths.tmp_dir.rglob("stage-*")) == []

        weed.start()  # same data dir and ports: what was stored before is still there
        assert await read(core, first) == first_bytes
        after = await upload(core, b"back online" * 1000, "after.txt")
        assert after.storage.provider == "s3"

        assert core.storage_migration is not None
        result = await core.storage_migration.migrate("s3")
        assert (result.moved, result.failed) == (2, 0)
        moved = await core.assets.get(down.asset_id)
        assert moved.storage.provider == "s3"
        assert moved.storage.key in weed.objects()
        assert not fs_path(core, down).exists()
        assert await read(core, moved) == down_bytes

        back = await core.storage_migration.migrate("fs")
        assert (back.moved, back.failed) == (4, 0)
        assert weed.objects() == []
        for asset_id, data in ((first.asset_id, first_bytes), (down.asset_id, down_bytes)):
            asset = await core.assets.get(asset_id)
            assert asset.storage.provider == "fs"
            assert fs_path(core, asset).read_bytes() == data


async def test_kind_map_and_size_threshold_choose_the_provider(home: Path, seaweed: RunningSeaweed) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    overrides = s3_overrides(
        seaweed, default_provider="fs", kind_map={"video.*": "s3", "lora": "fs"}, s3_min_size_bytes=200_000
    )
    async with bootstrap(home=home, env=env, overrides=overrides) as core:
        small_video = await upload(core, os.urandom(1000), "a.mp4", kind="video.clip")
        big_lora = await upload(core, os.urandom(300_000), "m.safetensors", kind="lora")
        big_other = await upload(core, os.urandom(300_000), "big.bin")
        small_other = await upload(core, os.urandom(1000), "small.bin")
    assert small_video.storage.provider == "s3"
    assert big_lora.storage.provider == "fs"
    assert big_other.storage.provider == "s3"
    assert small_other.storage.provider == "fs"
    keys = seaweed.objects()
    assert small_video.storage.key in keys
    assert big_other.storage.key in keys
    assert big_lora.storage.key not in keys


async def test_a_batch_of_small_files_is_routed_file_by_file(home: Path, seaweed: RunningSeaweed) -> None:
    """``ingest_many`` (a bulk import's batch) sends each file where ``ingest`` would."""
    env = {"FACEFORGE_HOME": str(home)}
    overrides = s3_overrides(
        seaweed, default_provider="fs", kind_map={"video.*": "s3"}, s3_min_size_bytes=200_000
    )
    files = [
        (os.urandom(1000), IngestOptions(filename="a.mp4", kind="video.clip")),
        (os.urandom(1000), IngestOptions(filename="small.bin")),
        (os.urandom(300_000), IngestOptions(filename="big.bin")),
    ]
    async with bootstrap(home=home, env=env, overrides=overrides) as core:
        results = await core.assets.ingest_many(files)
        assets = [result.asset for result in results if isinstance(result, IngestResult)]
        assert [await read(core, asset) for asset in assets] == [data for data, _ in files]
    assert [asset.storage.provider for asset in assets] == ["s3", "fs", "s3"]
    keys = seaweed.objects()
    assert assets[0].storage.key in keys
    assert assets[2].storage.key in keys


async def test_migration_keeps_the_original_when_the_source_is_damaged(
    home: Path, seaweed: RunningSeaweed
) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    async with bootstrap(home=home, env=env, overrides=s3_overrides(seaweed)) as core:
        good = await upload(core, os.urandom(50_000), "good.bin")
        damaged = await upload(core, os.urandom(50_000), "damaged.bin")
        path = fs_path(core, damaged)
        path.write_bytes(b"bit rot" + path.read_bytes()[7:])
        assert core.storage_migration is not None
        result = await core.storage_migration.migrate("s3")
        assert (result.moved, result.failed) == (1, 1)
        assert result.errors[0][0] == damaged.asset_id
        still = await core.assets.get(damaged.asset_id)
        assert still.storage == damaged.storage
        assert path.exists()
        assert (await core.assets.get(good.asset_id)).storage.provider == "s3"
        keys = seaweed.objects()
        assert not any(damaged.asset_id in key for key in keys)
        await core.storage_migration.migrate("fs")


async def test_routing_to_a_disabled_s3_stores_on_the_filesystem(home: Path, storage_log: Records) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    overrides = {"storage.routing.default_provider": "s3", "tools.exiftool_enabled": False}
    async with bootstrap(home=home, env=env, overrides=overrides) as core:
        asset = await upload(core, b"no s3 here" * 100, "x.bin")
        assert asset.storage.provider == "fs"
        assert fs_path(core, asset).read_bytes() == b"no s3 here" * 100
    assert any("S3 is disabled" in m for m in storage_log.messages())


async def test_an_unreachable_endpoint_falls_back_and_leaves_no_staged_file(
    home: Path, storage_log: Records
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    env = {"FACEFORGE_HOME": str(home)}
    overrides = {
        "storage.s3.enabled": True,
        "storage.s3.endpoint_url": f"http://127.0.0.1:{dead}",
        "storage.s3.access_key": "unreachable-key",
        "storage.s3.secret_key": "unreachable-secret",
        "storage.routing.s3_min_size_bytes": 0,
        "tools.exiftool_enabled": False,
    }
    async with bootstrap(home=home, env=env, overrides=overrides) as core:
        data = os.urandom(100_000)
        asset = await upload(core, data, "y.bin")
        assert asset.storage.provider == "fs"
        assert await read(core, asset) == data
        assert list(core.paths.tmp_dir.rglob("stage-*")) == []
    assert any("S3 is unavailable" in m for m in storage_log.messages())


@pytest.mark.parametrize("routing", [{"s3_min_size_bytes": 0}, {"default_provider": "fs"}])
async def test_a_digest_mismatch_stores_nothing_on_either_provider(
    home: Path, seaweed: RunningSeaweed, routing: dict[str, object]
) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    data = os.urandom(100_000)
    async with bootstrap(home=home, env=env, overrides=s3_overrides(seaweed, **routing)) as core:
        before = seaweed.objects()
        with pytest.raises(DigestMismatch):
            await core.assets.ingest(
                chunks_of(data), IngestOptions(filename="z.bin"), expected_sha256="1" * 64
            )
        assert seaweed.objects() == before
        leftovers = [core.paths.tmp_dir.rglob("*"), core.paths.assets_dir.rglob("*")]
        assert [p for found in leftovers for p in found if p.is_file()] == []
        assert await core.assets.find(AssetQuery(), PageRequest()) == PageResult(
            items=[], total=0, limit=50, offset=0
        )


async def test_http_downloads_of_s3_assets_honour_ranges(home: Path, seaweed: RunningSeaweed) -> None:
    env = {"FACEFORGE_HOME": str(home)}
    async with (
        bootstrap(home=home, env=env, overrides=s3_overrides(seaweed, default_provider="s3")) as core,
        # In this test's own event loop (not a test client's portal thread): Core's S3 connections
        # then serve the HTTP requests and the direct migration call below from one loop.
        httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(core)), base_url="http://t") as client,
    ):
        data = os.urandom(6 * 1024 * 1024 + 17)
        auth = {"Authorization": f"Bearer {core.install_token}"}
        put = await client.put(
            "/v1/assets/upload", params={"filename": "big.bin"}, content=data, headers=auth
        )
        assert put.status_code == 201, put.text
        body = put.json()["data"]
        assert body["storage"]["provider"] == "s3"
        assert body["storage"]["key"] in seaweed.objects()
        url = f"/v1/assets/{body['asset_id']}/download"
        whole = await client.get(url, headers=auth)
        assert whole.status_code == 200
        assert whole.content == data
        part = await client.get(url, headers={**auth, "Range": "bytes=5000000-5000099"})
        assert part.status_code == 206
        assert part.content == data[5_000_000:5_000_100]
        tail = await client.get(url, headers={**auth, "Range": "bytes=-10"})
        assert tail.content == data[-10:]
        await core.storage_migration.migrate("fs")  # type: ignore[union-attr]
