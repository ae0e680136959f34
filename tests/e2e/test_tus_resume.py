"""tuspy, a tus client from outside the project, against the real server: interrupted, then resumed.

A killed client resumes a 2 GiB file, as users' uploads are; the Core-kill case uses 256 MiB, since
what it checks (the offset persisted inside one long PATCH) does not need more.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import Server

from resumable_support import MIB, persisted_offset, random_file

pytestmark = pytest.mark.slow

SIZE = 256 * MIB
TWO_GIB = 2048 * MIB
# The client, run as its own process so the test can kill it: it stores each upload's URL by the
# file's fingerprint and resumes from the server's offset when run again.
CLIENT = """
import hashlib, sys
from tusclient.client import TusClient
from tusclient.storage.filestorage import FileStorage
from tusclient.uploader import Uploader

class Sha256Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)

base, token, path, storage, chunk, checksum = sys.argv[1:7]
tus = TusClient(base + "/v1/uploads/", headers={"Authorization": "Bearer " + token})
uploader = Sha256Uploader(
    file_path=path, client=tus, chunk_size=int(chunk), metadata={"filename": "clip.mp4"},
    store_url=True, url_storage=FileStorage(storage), upload_checksum=checksum == "yes",
)
print(uploader.offset, uploader.url, flush=True)
uploader.upload()
"""


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "clip.mp4"
    return path, random_file(path, SIZE)


@pytest.fixture
def two_gib_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "clip.mp4"
    return path, random_file(path, TWO_GIB)


def client(server: Server, path: Path, storage: Path, chunk: int, *, checksum: bool) -> subprocess.Popen[str]:
    args = [server.base, server.token, str(path), str(storage), str(chunk), "yes" if checksum else "no"]
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_offset(home: Path, at_least: int, running: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while persisted_offset(home) < at_least:
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "the upload never got that far"
        time.sleep(0.01)


def finish(server: Server, running: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a resumed client; its first line is the offset it resumed from and the upload URL."""
    out, err = running.communicate(timeout=300)
    assert running.returncode == 0, err
    offset, url = out.split()[:2]
    return int(offset), url


def asset_of(server: Server, url: str, size: int) -> str:
    status = server.call("GET", url.removeprefix(server.base))
    assert status["state"] == "complete"
    asset_id: str = status["asset_id"]
    assert server.call("GET", f"/v1/assets/{asset_id}")["size_bytes"] == size
    return asset_id


def test_killed_client_resumes_from_the_servers_offset(
    tmp_path: Path, two_gib_file: tuple[Path, str]
) -> None:
    path, sha = two_gib_file
    storage = tmp_path / "tus-urls.json"
    server = Server.faceforge(tmp_path / "home")
    try:
        first = client(server, path, storage, 64 * MIB, checksum=True)
        wait_for_offset(server.home, 512 * MIB, first)
        first.kill()
        first.communicate()
        stopped_at = persisted_offset(server.home)
        assert stopped_at < TWO_GIB
        resumed_from, url = finish(server, client(server, path, storage, 64 * MIB, checksum=True))
        assert resumed_from == stopped_at  # with checksums, only whole chunks count
        assert asset_of(server, url, TWO_GIB) == sha
    finally:
        server.stop()


def test_core_killed_mid_upload_resumes_after_restart(tmp_path: Path, big_file: tuple[Path, str]) -> None:
    """One 256 MiB PATCH; kill -9 Core inside it; the offset persisted along the way survives."""
    path, sha = big_file
    storage = tmp_path / "tus-urls.json"
    home = tmp_path / "home"
    server = Server.faceforge(home)
    first = client(server, path, storage, SIZE, checksum=False)
    try:
        wait_for_offset(home, 48 * MIB, first)
        server.kill()
    finally:
        first.kill()
        first.communicate()
    stopped_at = persisted_offset(home)
    assert 0 < stopped_at < SIZE
    restarted = Server.faceforge(home, server.port)
    try:
        resumed_from, url = finish(restarted, client(restarted, path, storage, 64 * MIB, checksum=True))
        assert resumed_from == stopped_at
        assert asset_of(restarted, url, SIZE) == sha
    finally:
        restarted.stop()
