"""``faceforge asset add`` of a big file: killed mid-way, run again, it resumes and stores it once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_cli import FACEFORGE, ff, ok, ok_json

from faceforge_cli.resumable import CHUNK
from resumable_support import MIB, persisted_offset, random_file

SIZE = 24 * CHUNK  # 384 MiB: long enough to be caught mid-way
THRESHOLD = {"FACEFORGE_UPLOADS__RESUMABLE_THRESHOLD_BYTES": str(MIB)}


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "long take.mov"
    return path, random_file(path, SIZE)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_add_resumes_when_run_again(
    tmp_path: Path, big_file: tuple[Path, str], stop: signal.Signals
) -> None:
    path, sha = big_file
    home = tmp_path / "home"
    ok(home, "db", "migrate")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEFORGE_")}
    env.update({"FACEFORGE_HOME": str(home), **THRESHOLD})
    first = subprocess.Popen(
        [str(FACEFORGE), "asset", "add", str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while persisted_offset(home) < 2 * CHUNK:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run never got going"
        time.sleep(0.01)
    first.send_signal(stop)
    first.wait(timeout=60)
    stopped_at = persisted_offset(home)
    assert 0 < stopped_at < SIZE, "the first run must stop mid-way"

    usage = ok_json(home, "doctor", "--json")["partial_uploads"]
    assert usage["uploads"] == 1
    assert usage["bytes"] >= stopped_at

    done = ff(home, "asset", "add", str(path), "--json", extra_env=THRESHOLD)
    assert done.returncode == 0, done.stderr
    assert f"resumed {path.name} at byte " in done.stderr
    resumed_at = int(done.stderr.split("at byte ")[1].split()[0])
    assert resumed_at >= stopped_at - CHUNK  # at most the chunk in flight was lost
    assert json.loads(done.stdout)["asset_id"] == sha
    assert [p.name for p in (home / "tmp" / "uploads").glob("*/*")] == ["state.json"]


def test_a_small_file_is_not_resumable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    small = tmp_path / "small.bin"
    small.write_bytes(b"small" * 10)
    assert json.loads(ok(home, "asset", "add", str(small), "--json"))["size_bytes"] == 50
    assert not list((home / "tmp" / "uploads").glob("*"))
