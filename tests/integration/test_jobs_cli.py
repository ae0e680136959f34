"""``faceforge import`` and ``faceforge job``: the real console script in subprocesses, no server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from faceforge_cli.main import app

FACEFORGE = Path(sys.executable).parent / "faceforge"


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env["FACEFORGE_HOME"] = str(home)
    return env


def ff(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FACEFORGE), *args], env=env_for(home), capture_output=True, text=True, timeout=120, check=False
    )


def jobs(home: Path) -> list[dict[str, Any]]:
    done = ff(home, "job", "list", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow  # five console-script starts
def test_import_runs_the_job_and_jobs_commands_show_it(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.txt").write_text("beta")
    (folder / "a.txt_meta.json").write_text('{"tags": ["t"]}')
    done = ff(home, "import", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "succeeded"
    assert (job["result"]["imported"], job["result"]["sidecars"]) == (2, 1)
    listed = ff(home, "job", "list")
    assert listed.stdout.startswith(f"{job['job_id']}  succeeded")
    followed = ff(home, "job", "log", job["job_id"], "-f")
    assert "a.txt: imported" in followed.stdout
    assert "sub/b.txt: imported" in followed.stdout
    assert followed.stdout.rstrip().endswith("job succeeded")
    refused = ff(home, "job", "cancel", job["job_id"])
    assert refused.returncode == 1
    assert "already succeeded" in refused.stderr


def test_import_refuses_bad_folders_before_any_job(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "file.txt").write_text("x")
    cases = [
        ("/etc", 1, "system folder"),  # refused, not a usage error
        (str(tmp_path / "file.txt"), 2, "is not a folder"),  # the rest of the checks: tests/integration
    ]
    for folder, status, words in cases:
        done = ff(home, "import", folder)
        assert done.returncode == status, done.stderr
        assert words in done.stderr
    assert jobs(home) == []


def test_ctrl_c_offers_to_cancel_and_yes_cancels_the_import(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "big"
    folder.mkdir()
    for i in range(4000):
        (folder / f"f{i:05d}.txt").write_bytes(f"file {i}\n".encode() * 30)
    process = subprocess.Popen(
        [str(FACEFORGE), "import", str(folder)],
        env=env_for(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (home / "db" / "core.sqlite3").exists() or not _running(home):
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate("y\n", timeout=60)
    assert process.returncode == 130, err
    assert "Cancel import job" in err
    assert "import canceled" in err
    assert [j["status"] for j in jobs(home)] == ["canceled"]


def _running(home: Path) -> bool:
    import sqlite3

    try:
        with sqlite3.connect(home / "db" / "core.sqlite3", timeout=5) as db:
            row = db.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row[0])


def test_import_refuses_a_nul_character_in_the_path_with_a_clear_error(home: Path) -> None:
    """A shell cannot pass a NUL, but a program calling the command can: it is a usage error."""
    result = CliRunner().invoke(app, ["import", "/tmp/in\x00/etc/shadow"], env={"FACEFORGE_HOME": str(home)})
    assert result.exit_code == 2, result.output
    assert "path: must not contain a NUL character" in result.output
    assert jobs(home) == []
