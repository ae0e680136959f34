"""Crash reports: an unhandled error leaves an owner-only report in logs/crash/, with no secret in it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import stat
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import ff, ok, ok_json

from faceforge_adapters.bootstrap import Core
from faceforge_adapters.crash import REDACTED, CrashReports, crash_files, redact, reporting_crashes
from faceforge_domain.jobs.models import Job, JsonObject
from faceforge_domain.jobs.ports import JobReporter

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
pytestmark = pytest.mark.anyio
NAME = re.compile(r"^crash-\d{8}T\d{6}Z-(core|job)(-\d+)?\.txt$")


def raised(error: BaseException) -> BaseException:
    """``error`` with a real traceback."""
    try:
        raise error
    except BaseException as caught:  # noqa: BLE001
        return caught


# -- redaction --------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    secret=st.text(TOKEN_ALPHABET, min_size=16, max_size=64),
    before=st.text(max_size=80),
    after=st.text(max_size=80),
)
def test_a_known_secret_planted_anywhere_never_survives_redaction(
    secret: str, before: str, after: str
) -> None:
    assert secret not in redact(before + secret + after, [secret])


@settings(max_examples=100)
@given(
    value=st.text(TOKEN_ALPHABET, min_size=8, max_size=40),
    name=st.sampled_from(["api_key", "secret_key", "token", "X-FaceForge-Token", "password", "ff_session"]),
    sep=st.sampled_from(["=", ": ", '": "', "="]),
)
def test_a_secret_looking_value_is_redacted_without_being_known(value: str, name: str, sep: str) -> None:
    text = f"request failed {name}{sep}{value} at step 3"
    assert value not in redact(text, [])
    assert name in redact(text, [])


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer abcdefghijklmnop",
        "cookie: ff_session=0123456789abcdef; ff_csrf=fedcba9876543210",
        "aws key AKIAIOSFODNN7EXAMPLE in config",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_headers_cookies_aws_keys_and_private_keys_are_redacted(line: str) -> None:
    cleaned = redact(line, [])
    assert REDACTED in cleaned
    for secret in ("abcdefghijklmnop", "0123456789abcdef", "AKIAIOSFODNN7EXAMPLE", "MIIEpAIBAAKCAQEA"):
        assert secret not in cleaned


@pytest.mark.parametrize(
    "line",
    [
        '{"level": "info", "message": "core built", "home": "/home/ada/faceforge"}',
        "KeyError: 'width'",
        '{"message": "job 3f1c failed", "job_type": "core.bulk_import", "tokens_seen": 3}',
    ],
)
def test_ordinary_log_lines_and_errors_are_kept(line: str) -> None:
    assert redact(line, ["not-in-the-line-at-all"]) == line


# -- the report file --------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(secret=st.text(TOKEN_ALPHABET, min_size=16, max_size=48), where=st.sampled_from(["log", "error"]))
def test_a_report_holds_the_facts_and_never_a_planted_secret(
    tmp_path_factory: pytest.TempPathFactory, secret: str, where: str
) -> None:
    logs = tmp_path_factory.mktemp("logs")
    planted = f"connecting with {secret} now"
    (logs / "core.log").write_text(
        "\n".join([f'{{"message": "line {n}"}}' for n in range(80)] + [planted if where == "log" else "x"])
        + "\n"
    )
    error = raised(RuntimeError(planted if where == "error" else "disk gone"))
    path = CrashReports(logs, "1.2.3", (secret,)).write("core", error)
    assert path is not None
    text = path.read_text()
    assert secret not in text
    assert NAME.match(path.name)
    for fact in ("version: 1.2.3", "component: core", "python: ", "platform: ", "frozen: no", "RuntimeError"):
        assert fact in text
    assert '"line 79"' in text
    assert '"line 20"' not in text  # only the last 50 lines
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_two_crashes_in_the_same_second_get_two_files(tmp_path: Path) -> None:
    reports = CrashReports(tmp_path, "1.0")
    first = reports.write("job", raised(ValueError("a")))
    second = reports.write("job", raised(ValueError("b")))
    assert first is not None
    assert second is not None
    assert first != second
    assert crash_files(tmp_path) == sorted([first, second], key=lambda p: (p.stat().st_mtime, p.name))


def test_a_report_that_cannot_be_written_logs_a_warning_and_raises_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "crash").write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="faceforge.crash"):
        assert CrashReports(tmp_path, "1.0").write("core", raised(OSError(28, "No space left"))) is None
    assert "could not write a crash report" in caplog.text


# -- crashes in a running Core ----------------------------------------------------------------


async def test_a_job_whose_handler_breaks_fails_and_leaves_a_job_crash_report(core: Core) -> None:
    async def broken(job: Job, ctx: JobReporter) -> JsonObject:
        raise ZeroDivisionError(f"while using {core.install_token}")

    core.jobs.registry.register("test.broken", broken)
    job = await core.jobs.create("test.broken")
    with anyio.fail_after(20):
        while (await core.jobs.get(job.job_id)).status != "failed":  # noqa: ASYNC110
            await anyio.sleep(0.05)
    [report] = crash_files(core.paths.logs_dir)
    text = report.read_text()
    assert report.name.endswith("-job.txt")
    assert f"job_id: {job.job_id}" in text
    assert "job_type: test.broken" in text
    assert "ZeroDivisionError" in text
    assert core.install_token not in text


def overwrite_database(home: Path) -> None:
    """The database file replaced by other bytes: SQLite cannot open it, nothing in Core expects that."""
    (home / "db" / "core.sqlite3").write_bytes(b"this is not a database, it was overwritten" * 100)
    for name in ("core.sqlite3-wal", "core.sqlite3-shm"):
        (home / "db" / name).unlink(missing_ok=True)


def test_the_console_script_writes_a_core_report_for_an_error_nothing_handled(home: Path) -> None:
    ok(home, "entity", "create", "Ada")
    token = json.loads((home / "config" / "core.json").read_text())["auth"]["install_token"]
    with (home / "logs" / "core.log").open("a") as log_file:  # as an older release might have logged it
        log_file.write(f'{{"message": "GET /v1/entities?token={token}"}}\n{{"message": "saw {token}"}}\n')
    overwrite_database(home)

    crashed = ff(home, "entity", "list")

    assert crashed.returncode == 1
    assert "DatabaseError" in crashed.stderr
    [report] = crash_files(home / "logs")
    assert f"crash report: {report}" in crashed.stderr
    assert NAME.match(report.name)
    assert report.name.endswith("-core.txt")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    text = report.read_text()
    assert "file is not a database" in text
    assert "saw [redacted]" in text
    assert token not in text
    doctor = ok_json(home, "doctor", "--json")
    assert doctor["crash_reports"] == {"ok": True, "count": 1, "newest": str(report)}
    assert doctor["database"]["ok"] is False
    assert "file is not a database" in doctor["database"]["error"]


def test_a_clear_error_the_cli_reports_is_not_a_crash(home: Path) -> None:
    done = ff(home, "entity", "show", "0" * 64)
    assert done.returncode != 0
    assert crash_files(home / "logs") == []


def test_a_server_whose_core_cannot_start_writes_a_core_report_and_exits(home: Path) -> None:
    ok(home, "entity", "create", "Ada")
    overwrite_database(home)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    crashed = ff(home, "serve", "--port", str(port))
    assert crashed.returncode != 0
    assert "FaceForge stopped unexpectedly; crash report:" in crashed.stderr
    [report] = crash_files(home / "logs")
    assert report.name.endswith("-core.txt")
    assert "file is not a database" in report.read_text()


async def test_an_error_the_event_loop_is_told_nobody_handled_writes_a_core_report(home: Path) -> None:
    @asynccontextmanager
    async def running() -> AsyncIterator[str]:
        yield "core"

    async with reporting_crashes(running()) as core:
        assert core == "core"
        loop = asyncio.get_running_loop()
        error = raised(LookupError("a task nobody awaited"))
        loop.call_exception_handler({"message": "Task exception was never retrieved", "exception": error})
        loop.call_exception_handler({"message": "peer gone", "exception": ConnectionResetError()})
    [report] = crash_files(home / "logs")
    text = report.read_text()
    assert "event_loop: Task exception was never retrieved" in text
    assert "LookupError: a task nobody awaited" in text
