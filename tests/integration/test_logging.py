"""The log file: one JSON object per line, secrets redacted, rotated by size, shared with other writers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceforge_adapters.logging_setup import LOGGER_NAME, LogFileHandler, configure_logging


@pytest.fixture
def logger(tmp_path: Path) -> Iterator[logging.Logger]:
    configure_logging(tmp_path, secrets=["s3cr3t-token"], console=False)
    found = logging.getLogger(LOGGER_NAME)
    yield found
    for handler in list(found.handlers):
        found.removeHandler(handler)
        handler.close()


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_record_is_one_json_line_with_its_extra_fields_and_no_secret(
    logger: logging.Logger, tmp_path: Path
) -> None:
    logger.info("metadata done for %s", "s3cr3t-token", extra={"event": "metadata.done", "n": 3})
    logger.warning("plain ünïcode")
    first, second = lines(tmp_path / "core.log")
    assert first["message"] == "metadata done for [redacted]"
    assert (first["event"], first["n"], first["level"]) == ("metadata.done", 3, "info")
    assert second["message"] == "plain ünïcode"


def test_the_file_rotates_at_its_size_limit_and_keeps_every_record(tmp_path: Path) -> None:
    handler = LogFileHandler(tmp_path / "core.log", maxBytes=300, backupCount=20, encoding="utf-8")
    records = logging.getLogger("rotation-test")
    records.propagate = False
    records.addHandler(handler)
    try:
        for n in range(100):
            records.warning("record %03d", n)
        files = sorted(tmp_path.glob("core.log*"))
        assert len(files) > 2
        assert all(path.stat().st_size <= 300 for path in files)
        with (tmp_path / "core.log").open("a", encoding="utf-8") as other_writer:
            other_writer.write("x" * 290 + "\n")  # another process appended: the next record rotates
        records.warning("after the other writer")
    finally:
        records.removeHandler(handler)
        handler.close()
    text = "".join(path.read_text(encoding="utf-8") for path in tmp_path.glob("core.log*"))
    assert all(f"record {n:03d}" in text for n in range(100))
    assert (tmp_path / "core.log").read_text(encoding="utf-8") == "after the other writer\n"
