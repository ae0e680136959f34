"""Moving a library from the managed single weed to a SeaweedFS cluster, both ways the docs give
(docs/seaweedfs.md, "Moving a library from the managed weed to a cluster"): straight across (point
core.json at the cluster with the weed still on, ``faceforge storage migrate --to s3 --from
managed-weed``, turn the weed off), and through the filesystem (``--to fs``, point core.json at the
cluster with the weed off, ``--to s3``)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from test_seaweed_cli import seaweed_home  # noqa: F401  (the managed weed's home, killed afterwards)

from faceforge_adapters.bootstrap import bootstrap
from faceforge_adapters.config import load_config
from faceforge_adapters.seaweed.process import SeaweedSettings, running_weed, settings_for
from faceforge_domain.services.assets import IngestOptions
from seaweed_cluster import SeaweedCluster

pytestmark = pytest.mark.anyio


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 1024 * 1024):
        yield data[i : i + 1024 * 1024]


async def migrate(to: str, *options: str) -> dict[str, object]:
    """``faceforge storage migrate --to <to> --json``, the installed command in its own process."""
    faceforge = Path(sys.executable).parent / "faceforge"
    result = await anyio.run_process(
        [str(faceforge), "storage", "migrate", "--to", to, *options, "--json"], check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


async def library_on_the_weed(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[bytes], SeaweedSettings]:
    """Three files stored on the managed weed (one large enough for a multipart upload), and the
    weed's settings."""
    monkeypatch.setenv("FACEFORGE_STORAGE__ROUTING__DEFAULT_PROVIDER", "s3")
    datas = [os.urandom(9 * 1024 * 1024), os.urandom(700_000), b"a short note" * 50]
    async with bootstrap(home=home) as core:
        assert core.seaweed is not None
        for index, data in enumerate(datas):
            result = await core.assets.ingest(chunks(data), IngestOptions(filename=f"{index}.bin"))
            assert result.asset.storage.provider == "s3"
    loaded = load_config(home, create=False)
    return datas, settings_for(loaded.config, loaded.paths)


def point_at(home: Path, cluster: SeaweedCluster, *, weed_enabled: bool) -> None:
    """Edit core.json as a user does by hand: S3 is the cluster; the managed weed on or off."""
    core_json = home / "config" / "core.json"
    raw = json.loads(core_json.read_text())
    raw.setdefault("seaweed", {})["enabled"] = weed_enabled
    raw.setdefault("storage", {})["s3"] = {
        "enabled": True,
        "endpoint_url": cluster.endpoint_url,
        "access_key": cluster.access_key,
        "secret_key": cluster.secret_key,
        "bucket": cluster.bucket,
    }
    core_json.write_text(json.dumps(raw))


@pytest.mark.slow
async def test_a_library_moves_straight_from_the_managed_weed_to_the_cluster_with_every_byte_checked(
    seaweed_home: Path,  # noqa: F811
    seaweed_cluster: SeaweedCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datas, managed = await library_on_the_weed(seaweed_home, monkeypatch)
    monkeypatch.delenv("FACEFORGE_SEAWEED__ENABLED")

    # 1. S3 is the cluster, the managed weed still on; 2. every S3 asset copied across and checked.
    point_at(seaweed_home, seaweed_cluster, weed_enabled=True)
    across = await migrate("s3", "--from", "managed-weed")
    assert (across["moved"], across["failed"]) == (3, 0)
    again = await migrate("s3", "--from", "managed-weed")  # a re-run has nothing left to copy
    assert (again["moved"], again["skipped"], again["failed"]) == (0, 3, 0)

    # 3. The managed weed off; the library reads from the cluster alone.
    point_at(seaweed_home, seaweed_cluster, weed_enabled=False)
    await assert_on_the_cluster(seaweed_home, seaweed_cluster, datas)
    assert running_weed(managed) is None
    assert managed.data_dir.exists()  # the old data dir is the user's to remove, once satisfied


@pytest.mark.slow
async def test_a_library_moves_from_the_managed_weed_to_the_cluster_through_the_filesystem(
    seaweed_home: Path,  # noqa: F811
    seaweed_cluster: SeaweedCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datas, managed = await library_on_the_weed(seaweed_home, monkeypatch)

    # 1. With the managed weed still configured: every asset's bytes onto the filesystem.
    to_fs = await migrate("fs")
    assert (to_fs["moved"], to_fs["failed"]) == (3, 0)

    # 2. Point core.json at the cluster, the managed weed off (what a user edits by hand).
    monkeypatch.delenv("FACEFORGE_SEAWEED__ENABLED")
    point_at(seaweed_home, seaweed_cluster, weed_enabled=False)

    # 3. Everything onto the cluster, each copy read back and checked.
    to_s3 = await migrate("s3")
    assert (to_s3["moved"], to_s3["failed"]) == (3, 0)
    assert running_weed(managed) is None  # nothing started the managed weed again
    await assert_on_the_cluster(seaweed_home, seaweed_cluster, datas)
    assert managed.data_dir.exists()


async def assert_on_the_cluster(home: Path, seaweed_cluster: SeaweedCluster, datas: list[bytes]) -> None:
    """Every asset on S3 under a key the cluster holds, its bytes read back whole; none on the disk."""
    keys = {
        item["Key"]
        for item in seaweed_cluster.client.list_objects_v2(Bucket=seaweed_cluster.bucket)["Contents"]
    }  # type: ignore[attr-defined]
    async with bootstrap(home=home) as core:
        assert core.seaweed is None
        for data in datas:
            asset = await core.assets.get(hashlib.sha256(data).hexdigest())
            assert asset.storage.provider == "s3"
            assert asset.storage.key in keys
            read = hashlib.sha256()
            async for piece in core.assets.read(asset):
                read.update(piece)
            assert read.hexdigest() == asset.asset_id
        assert [p for p in core.paths.assets_dir.rglob("*") if p.is_file()] == []
