"""SIGKILL the server during a bulk import, start it again: the job is recovered and finishes once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from servers import Server

FILES = 3000


@pytest.mark.slow
def test_a_killed_import_resumes_after_restart_without_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for i in range(FILES):
        sub = folder / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"p{i:05d}.txt").write_bytes(f"picture {i}\n".encode() * 40)
    home = tmp_path / "home"
    first = Server.faceforge(home)
    try:
        job = first.call("POST", "/v1/assets/bulk-import", {"path": str(folder)})
        deadline = time.monotonic() + 60
        while not first.call("GET", f"/v1/jobs/{job['job_id']}")["progress"].get("current"):
            assert time.monotonic() < deadline, "the import never started"
            time.sleep(0.02)
    finally:
        first.kill()
    with sqlite3.connect(home / "db" / "core.sqlite3") as db:
        status, stored = db.execute("SELECT status, (SELECT count(*) FROM assets) FROM jobs").fetchone()
    assert status == "running"  # what the killed process left behind
    assert 0 < stored < FILES

    second = Server.faceforge(home)
    try:
        recovered = second.call("GET", f"/v1/jobs/{job['job_id']}")
        assert recovered["status"] in ("queued", "running", "succeeded")
        done = second.wait_job(job["job_id"], "succeeded", "failed")
        assert done["status"] == "succeeded", done["error"]
        assert done["result"]["imported"] + done["result"]["duplicates"] == FILES
        assert done["result"]["failed"] == 0
        log = second.call("GET", f"/v1/jobs/{job['job_id']}/log?limit=1000")["items"]
        assert any(e["message"] == "re-queued: its process stopped; it resumes" for e in log)
    finally:
        second.stop()
    with sqlite3.connect(home / "db" / "core.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM assets").fetchone()[0] == FILES
        assert db.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()[0] == 0
