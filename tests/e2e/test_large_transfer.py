"""A few hundred MB through a real server with real clients: curl (multipart, PUT, resume) and aria2c."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]

MIB = 1024 * 1024
SIZE_MIB = 320


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("big") / "big video.mp4"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(SIZE_MIB):
            block = os.urandom(MIB)
            digest.update(block)
            out.write(block)
    return path, digest.hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = Server.faceforge(tmp_path_factory.mktemp("e2e") / "home")
    try:
        yield started
    finally:
        started.stop()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest()


def curl(server: Server, *args: str) -> subprocess.CompletedProcess[bytes]:
    auth = f"Authorization: Bearer {server.token}"
    return subprocess.run(["curl", "-sS", "-H", auth, *args], capture_output=True, check=True, timeout=120)


def test_multipart_upload_then_full_and_resumed_downloads(
    server: Server, big_file: tuple[Path, str], tmp_path: Path
) -> None:
    path, digest = big_file
    done = curl(server, "-w", "\n%{http_code}", "-F", f"file=@{path}", f"{server.base}/v1/assets/upload")
    body, status = done.stdout.decode().rsplit("\n", 1)
    assert status == "201", body
    asset = json.loads(body)["data"]
    assert asset["asset_id"] == digest
    assert asset["size_bytes"] == SIZE_MIB * MIB
    url = f"{server.base}/v1/assets/{digest}/download"

    whole = tmp_path / "whole.bin"
    curl(server, "-o", str(whole), url)
    assert sha256_of(whole) == digest

    # Interrupt a slow download part-way, then let curl resume where it stopped.
    resumed = tmp_path / "resumed.bin"
    auth = f"Authorization: Bearer {server.token}"
    slow = subprocess.Popen(["curl", "-sS", "-H", auth, "--limit-rate", "40M", "-o", str(resumed), url])
    time.sleep(1.5)
    slow.terminate()
    slow.wait(timeout=10)
    partial = resumed.stat().st_size
    assert 0 < partial < SIZE_MIB * MIB
    curl(server, "-C", "-", "-o", str(resumed), url)
    assert sha256_of(resumed) == digest


def test_raw_put_deduplicates(server: Server, big_file: tuple[Path, str]) -> None:
    path, digest = big_file
    done = curl(
        server, "-w", "\n%{http_code}", "-T", str(path), f"{server.base}/v1/assets/upload?filename=copy.mp4"
    )
    body, status = done.stdout.decode().rsplit("\n", 1)
    assert status in ("200", "201"), body
    data = json.loads(body)["data"]
    assert data["asset_id"] == digest
    assert "copy.mp4" in data["filenames"]


@pytest.mark.skipif(shutil.which("aria2c") is None, reason="aria2c is not installed (apt: aria2)")
def test_aria2c_parallel_ranged_download(server: Server, big_file: tuple[Path, str], tmp_path: Path) -> None:
    path, digest = big_file
    curl(server, "-T", str(path), f"{server.base}/v1/assets/upload?filename=aria.mp4")
    subprocess.run(
        [
            "aria2c", "-x8", "-s8", "--min-split-size=8M", "--quiet=true", "--allow-overwrite=true",
            "--auto-file-renaming=false", f"--header=Authorization: Bearer {server.token}",
            "-d", str(tmp_path), "-o", "aria.bin", f"{server.base}/v1/assets/{digest}/download",
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    assert sha256_of(tmp_path / "aria.bin") == digest
