"""The external-runner protocol end to end: a real server and the runner script, over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import Server

RUNNER = Path(__file__).resolve().parents[1] / "job_runner.py"
JOB_TYPE = "e2eplugin.echo"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    started = Server.embedded(tmp_path / "home", JOB_TYPE)
    try:
        yield started
    finally:
        started.stop()


def test_the_runner_script_claims_logs_reports_progress_and_completes(server: Server) -> None:
    job = server.call("POST", "/v1/jobs", {"job_type": JOB_TYPE, "input": {"prompt": "hello"}})
    assert job["status"] == "queued"
    done = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            server.base,
            JOB_TYPE,
            "--runner",
            "box-1",
            "--steps",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "FACEFORGE_TOKEN": server.token},
    )
    assert json.loads(done.stdout) == {"job_id": job["job_id"], "status": "succeeded"}
    final = server.call("GET", f"/v1/jobs/{job['job_id']}")
    assert final["status"] == "succeeded"
    assert final["claimed_by"] == "box-1"
    assert final["result"] == {"echo": {"prompt": "hello"}, "steps": 4}
    assert final["progress"]["percent"] == 100.0
    assert final["progress"]["step"] == "step 4"
    log = server.call("GET", f"/v1/jobs/{job['job_id']}/log")["items"]
    messages = [entry["message"] for entry in log]
    assert messages[:3] == [
        "queued; waits for an external runner",
        "claimed by runner 'box-1'",
        "box-1 started",
    ]
    assert [m for m in messages if m.startswith("finished step")] == [
        f"finished step {i}" for i in range(1, 5)
    ]
    assert messages[-1] == "succeeded"
    assert log[2]["data"] == {"prompt": "hello"}


def test_a_runner_sees_a_cancel_request_and_the_job_ends_canceled(server: Server) -> None:
    job = server.call("POST", "/v1/jobs", {"job_type": JOB_TYPE})
    server.call("POST", f"/v1/jobs/{job['job_id']}/claim", {"runner": "slow"})
    assert server.call("POST", f"/v1/jobs/{job['job_id']}/cancel")["status"] == "cancel_requested"
    answer = server.call("POST", f"/v1/jobs/{job['job_id']}/progress", {"percent": 10})
    assert answer["status"] == "cancel_requested"
    ended = server.call("POST", f"/v1/jobs/{job['job_id']}/fail", {"code": "canceled", "message": "stopped"})
    assert ended["status"] == "canceled"
