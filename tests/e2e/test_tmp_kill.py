"""SIGKILL the server mid-upload: ``faceforge doctor`` reports what it left in tmp/, the next start
removes it."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
from servers import FACEFORGE, Server, clean_env

MIB = 1024 * 1024


def doctor_leftovers(home: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(FACEFORGE), "doctor", "--json"], env=clean_env(home), capture_output=True, text=True, check=False
    )
    report: dict[str, object] = json.loads(done.stdout)["tmp_leftovers"]
    return report


def start_a_long_upload(server: Server, sent: int) -> socket.socket:
    """A raw ``PUT`` announcing 100 MiB that sends ``sent`` bytes, then waits (the socket stays open)."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (
        "PUT /v1/assets/upload?filename=movie.mkv HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {server.token}\r\n"
        f"Content-Length: {100 * MIB}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"m" * sent)
    return sock


def process_folder(home: Path) -> Path:
    (folder,) = (home / "tmp").glob("core-*")
    return folder


@pytest.mark.slow
def test_a_killed_server_leaves_tmp_files_that_doctor_reports_and_the_next_start_removes(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    first = Server.faceforge(home)
    upload = None
    try:
        upload = start_a_long_upload(first, 9 * MIB)
        deadline = time.monotonic() + 30
        while not list((home / "tmp").glob("core-*/upload-*.part")) or not any(
            part.stat().st_size for part in (home / "tmp").glob("core-*/upload-*.part")
        ):
            assert time.monotonic() < deadline, "the upload never reached the disk"
            time.sleep(0.05)
        staging = process_folder(home) / "exiftool" / "batch-1"  # as ExifTool stages a batch
        staging.mkdir(parents=True)
        (staging / "photo.jpg").write_bytes(b"j" * 1000)
        assert doctor_leftovers(home)["entries"] == 0  # a live server's files are its own
    finally:
        first.kill()
        if upload is not None:
            upload.close()
    left = process_folder(home)
    part_bytes = sum(p.stat().st_size for p in left.glob("upload-*.part"))
    assert part_bytes >= 4 * MIB
    report = doctor_leftovers(home)
    assert report == {
        "ok": False,
        "entries": 1,
        "bytes": part_bytes + 1000,
        "note": "removed when the server next starts",
    }

    second = Server.faceforge(home, port=first.port)
    try:
        assert not left.exists()
        assert list((home / "tmp").rglob("*.part")) == []
        assert list((home / "assets").rglob("*")) == []  # the upload never completed: no blob
        assert doctor_leftovers(home)["entries"] == 0
    finally:
        second.stop()
    assert list((home / "tmp").glob("core-*")) == []  # a clean stop removes its own folder
