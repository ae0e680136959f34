"""Moving a library from the managed single weed to a SeaweedFS cluster, with the steps the docs give
(docs/seaweedfs.md, "Moving a library from the managed weed to a cluster"): ``faceforge storage
migrate --to fs``, point core.json at the cluster, ``faceforge storage migrate --to s3``."""

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
from faceforge_adapters.seaweed.process import running_weed, settings_for
from faceforge_domain.services.assets import IngestOptions
from seaweed_cluster import SeaweedCluster

pytestmark = pytest.mark.anyio


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 1024 * 1024):
        yield data[i : i + 1024 * 1024]


async def migrate(to: str) -> dict[str, object]:
    """``faceforge storage migrate --to <to> --json``, the installed command in its own process."""
    faceforge = Path(sys.executable).parent / "faceforge"
    result = await anyio.run_process(
        [str(faceforge), "storage", "migrate", "--to", to, "--json"], check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@pytest.mark.slow
async def test_a_library_moves_from_the_managed_weed_to_the_cluster_with_every_byte_checked(
    seaweed_home: Path,  # noqa: F811
    seaweed_cluster: SeaweedCluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FACEFORGE_STORAGE__ROUTING__DEFAULT_PROVIDER", "s3")
    datas = [os.urandom(9 * 1024 * 1024), os.urandom(700_000), b"a short note" * 50]
    async with bootstrap(home=seaweed_home) as core:
        assert core.seaweed is not None
        for index, data in enumerate(datas):
            result = await core.assets.ingest(chunks(data), IngestOptions(filename=f"{index}.bin"))
            assert result.asset.storage.provider == "s3"
    loaded = load_config(seaweed_home, create=False)
    managed = settings_for(loaded.config, loaded.paths)

    # 1. With the managed weed still configured: every asset's bytes onto the filesystem.
    to_fs = await migrate("fs")
    assert (to_fs["moved"], to_fs["failed"]) == (3, 0)

    # 2. Point core.json at the cluster, the managed weed off (what a user edits by hand).
    monkeypatch.delenv("FACEFORGE_SEAWEED__ENABLED")
    core_json = seaweed_home / "config" / "core.json"
    raw = json.loads(core_json.read_text())
    raw.setdefault("seaweed", {})["enabled"] = False
    raw.setdefault("storage", {})["s3"] = {
        "enabled": True,
        "endpoint_url": seaweed_cluster.endpoint_url,
        "access_key": seaweed_cluster.access_key,
        "secret_key": seaweed_cluster.secret_key,
        "bucket": seaweed_cluster.bucket,
    }
    core_json.write_text(json.dumps(raw))

    # 3. Everything onto the cluster, each copy read back and checked.
    to_s3 = await migrate("s3")
    assert (to_s3["moved"], to_s3["failed"]) == (3, 0)
    assert running_weed(managed) is None  # nothing started the managed weed again

    keys = {
        item["Key"]
        for item in seaweed_cluster.client.list_objects_v2(Bucket=seaweed_cluster.bucket)["Contents"]
    }  # type: ignore[attr-defined]
    async with bootstrap(home=seaweed_home) as core:
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
    assert managed.data_dir.exists()  # the old data dir is the user's to remove, once satisfied
