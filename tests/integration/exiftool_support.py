"""Shared by the ExifTool tests: where the real tool and the samples are, and stand-in tools."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

# tests/conftest.py:EXIFTOOL_SAMPLES (the bare name "conftest" is ambiguous from a layer folder)
EXIFTOOL_SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "exiftool-samples"
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie is dead, only not reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat_file:
        return stat_file.read().rsplit(")", 1)[1].split()[0] != "Z"


def gone_within(pid: int, seconds: float) -> bool:
    """Whether the process ends within ``seconds`` (a signal is delivered, not waited for)."""
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def fake_tool(tmp_path: Path, body: str) -> Path:
    """A stand-in executable that speaks (or breaks) the -stay_open protocol: a real process, no mocks."""
    script = tmp_path / "fake-exiftool"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


# Answers every file of a request with a small object, logging how many files each request named;
# a request naming a "stuck" file hangs, one naming a "crash" file kills the process, one naming a
# "garbage" file prints something that is not JSON, "slow" takes a while.
BATCHING_TOOL = """
count=0; paths=""
while IFS= read -r line; do
  case "$line" in
    -execute*)
      n=${line#-execute}
      echo "$count" >> "$(dirname "$0")/requests.log"
      case "$paths" in
        *stuck*) exec sleep 30;;
        *crash*) exit 3;;
        *garbage*) printf 'not json for %s\n{ready%s}\n' "$paths" "$n"; count=0; paths=""; continue;;
        *slow*) sleep 0.5;;
      esac
      printf '['; sep=''
      for p in $paths; do printf '%s{"SourceFile": "%s", "File:FileType": "FAKE"}' "$sep" "$p"; sep=','; done
      printf ']\\n{ready%s}\\n' "$n"
      count=0; paths="";;
    /*) paths="$paths $line"; count=$((count + 1));;
  esac
done
"""
