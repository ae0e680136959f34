"""A finished resumable upload is handed to the blob store as a file: linked on the filesystem (no
copy), uploaded from the file to S3 when routing says so, copied where a link cannot be made."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from test_seaweed_routing import Records, fs_path, read, s3_overrides, storage_log  # noqa: F401  (fixture)

from faceforge_adapters.bootstrap import Core, bootstrap
from faceforge_adapters.storage.filesystem import FilesystemBlobStore
from faceforge_domain.models import LocalFile
from seaweed_fixtures import RunningSeaweed

pytestmark = pytest.mark.anyio


async def one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def resumable(core: Core, data: bytes, **metadata: str) -> str:
    record = await core.uploads.create(len(data), {"filename": "clip.bin", **metadata})
    half = len(data) // 2
    record = await core.uploads.append(record.upload_id, 0, one(data[:half]))
    record = await core.uploads.append(record.upload_id, half, one(data[half:]))
    assert record.asset_id is not None
    assert [p.name for p in (core.paths.uploads_dir / record.upload_id).iterdir()] == ["state.json"]
    return record.asset_id


def same_file(a: Path, b: str) -> bool:
    return os.path.samefile(a, b)


def local_file(path: Path, data: bytes) -> LocalFile:
    path.write_bytes(data)
    return LocalFile(path=str(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data), head=data[:64])


async def test_the_filesystem_store_links_the_file_instead_of_copying(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    local = local_file(tmp_path / "data", b"linked bytes")
    blob = await store.put_local(local)
    assert same_file(store.path_for(blob.location), local.path)
    again = await store.put_local(local_file(tmp_path / "other", b"linked bytes"))  # known bytes: kept as is
    assert again == blob
    assert os.stat(store.path_for(blob.location)).st_nlink == 2


async def test_where_no_link_can_be_made_the_bytes_are_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    store = FilesystemBlobStore(tmp_path / "assets", tmp_path / "tmp")
    local = local_file(tmp_path / "data", b"copied bytes")
    blob = await store.put_local(local)
    assert store.path_for(blob.location).read_bytes() == b"copied bytes"
    assert not same_file(store.path_for(blob.location), local.path)

    stale_digest = hashlib.sha256(b"what the digest says").hexdigest()
    changed = msgspec.structs.replace(
        local_file(tmp_path / "changed", b"what it holds now"), sha256=stale_digest
    )
    with pytest.raises(OSError, match="cross-device"):
        await store.put_local(changed)
    assert sorted(p.name for p in (tmp_path / "assets").rglob("*") if p.is_file()) == [blob.sha256]


async def test_a_resumable_upload_lands_where_routing_says(home: Path, seaweed: RunningSeaweed) -> None:
    overrides = s3_overrides(seaweed, default_provider="fs", kind_map={"video.*": "s3"})
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, overrides=overrides) as core:
        video_bytes, other_bytes = os.urandom(300_000), os.urandom(300_000)
        video = await core.assets.get(await resumable(core, video_bytes, kind="video.clip"))
        other = await core.assets.get(await resumable(core, other_bytes))
        assert video.storage.provider == "s3"
        assert video.storage.key in seaweed.objects()
        assert await read(core, video) == video_bytes
        assert other.storage.provider == "fs"
        assert fs_path(core, other).read_bytes() == other_bytes


async def test_an_unreachable_s3_falls_back_to_the_filesystem(home: Path, storage_log: Records) -> None:  # noqa: F811
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    overrides = {
        "storage.s3.enabled": True,
        "storage.s3.endpoint_url": f"http://127.0.0.1:{dead}",
        "storage.s3.access_key": "unreachable-key",
        "storage.s3.secret_key": "unreachable-secret",
        "storage.routing.default_provider": "s3",
        "tools.exiftool_enabled": False,
    }
    async with bootstrap(home=home, env={"FACEFORGE_HOME": str(home)}, overrides=overrides) as core:
        data = os.urandom(100_000)
        asset = await core.assets.get(await resumable(core, data))
        assert asset.storage.provider == "fs"
        assert fs_path(core, asset).read_bytes() == data
    assert any("S3 is unavailable" in m for m in storage_log.messages())
