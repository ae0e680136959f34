"""Crash reports: what an unhandled error leaves in ``logs/crash/`` for the user to send.

One text file per crash, ``crash-<UTC yyyymmddTHHMMSSZ>-<component>[-n].txt`` (component ``core`` for
the process and the server, ``job`` for a job worker; the desktop launcher writes ``launcher`` files
beside them and watches the folder for new ones), owner-only, holding the time, the version, the
platform, the traceback and the last lines of ``logs/core.log``, with every secret removed.

Writing a report never raises: a full disk or an unwritable folder logs a warning instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import re
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio

from faceforge_adapters.config import CoreConfig
from faceforge_adapters.home import HomePaths
from faceforge_domain.jobs.models import Job
from faceforge_domain.timefmt import format_timestamp

log = logging.getLogger("faceforge.crash")
T = TypeVar("T")

CRASH_FOLDER = "crash"
LOG_TAIL_LINES = 50
REDACTED = "[redacted]"
_NAME = re.compile(r"^crash-\d{8}T\d{6}Z-[a-z]+(-\d+)?\.txt$")
# Values that look secret whatever they are: header values, key=value pairs named like a secret,
# AWS access key ids and PEM private key blocks.
_SECRET_SHAPES = (
    re.compile(r"(?is)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|\Z)"),
    re.compile(r"(?i)\b((?:proxy-)?authorization|cookie|set-cookie)(\W{1,4})[^\n]*"),
    re.compile(
        r"(?i)([\w-]*(?:key|secret|token|password|passwd|session|credential)(?:[_-]?id)?)"
        r"(\W{1,4})(?:bearer\s+)?[^\s\"',;&}\])]+"
    ),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret and every secret-looking value replaced by ``[redacted]``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for shape in _SECRET_SHAPES:
        text = shape.sub(_keep_name, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    """The name and separator of ``name=value`` stay readable; the value goes."""
    if match.lastindex and match.lastindex >= 2 and match.group(2) is not None:
        return f"{match.group(1)}{match.group(2)}{REDACTED}"
    return REDACTED


def known_secrets(config: CoreConfig) -> tuple[str, ...]:
    """The configured secrets: the install token and the S3 credentials."""
    s3 = config.storage.s3
    return tuple(s for s in (config.auth.install_token, s3.secret_key, s3.access_key) if s)


def crash_folder(logs_dir: Path) -> Path:
    return logs_dir / CRASH_FOLDER


def crash_files(logs_dir: Path) -> list[Path]:
    """The crash reports in ``logs/crash/`` (every component's), oldest first."""
    folder = crash_folder(logs_dir)
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if _NAME.match(p.name)), key=lambda p: (p.stat().st_mtime, p.name)
    )


def _log_tail(log_file: Path, lines: int) -> list[str]:
    try:
        with log_file.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - lines * 2048))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError as exc:
        return [f"(could not read {log_file}: {exc.strerror})"]


@dataclass(frozen=True, slots=True)
class CrashReports:
    """Writes crash reports for one home."""

    logs_dir: Path
    version: str
    secrets: tuple[str, ...] = ()

    @classmethod
    def for_home(cls, config: CoreConfig, paths: HomePaths, version: str) -> CrashReports:
        return cls(paths.logs_dir, version, known_secrets(config))

    def render(self, component: str, error: BaseException, details: Mapping[str, str], now: datetime) -> str:
        """The report's text, already redacted."""
        frozen = bool(getattr(sys, "frozen", False))
        head = [
            "FaceForge crash report",
            f"time: {format_timestamp(now)}",
            f"component: {component}",
            f"version: {self.version}",
            f"platform: {platform.platform()} ({sys.platform}, {platform.machine()})",
            f"python: {sys.version.split()[0]} ({sys.executable})",
            f"frozen: {'yes' if frozen else 'no'}",
            *(f"{key}: {value}" for key, value in details.items()),
        ]
        trace = "".join(traceback.format_exception(error))
        tail = _log_tail(self.logs_dir / "core.log", LOG_TAIL_LINES)
        text = "\n".join(
            [*head, "", "traceback:", trace, f"last {len(tail)} lines of logs/core.log:", *tail, ""]
        )
        return redact(text, self.secrets)

    def write(
        self, component: str, error: BaseException, details: Mapping[str, str] | None = None
    ) -> Path | None:
        """Write one report; its path, or None (with a warning logged) when it could not be written."""
        now = datetime.now(UTC)
        try:
            text = self.render(component, error, details or {}, now)
            return self._create(component, now, text.encode("utf-8"))
        except Exception as exc:  # noqa: BLE001  (a crash report must never crash Core)
            log.warning("could not write a crash report: %s", exc, exc_info=False)
            return None

    def _create(self, component: str, now: datetime, data: bytes) -> Path:
        folder = crash_folder(self.logs_dir)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
        stem = f"crash-{now:%Y%m%dT%H%M%SZ}-{component}"
        for n in range(1000):
            path = folder / (f"{stem}.txt" if n == 0 else f"{stem}-{n}.txt")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return path
        raise FileExistsError(f"too many crash reports named {stem}")


@dataclass(frozen=True, slots=True)
class JobCrashReports:
    """The ``CrashReporter`` port for the job executor: a ``job`` report per unexpected job error."""

    reports: CrashReports

    async def job_crashed(self, job: Job, error: BaseException) -> None:
        details = {"job_id": job.job_id, "job_type": job.job_type}
        await anyio.to_thread.run_sync(self.reports.write, "job", error, details)


def process_reports() -> CrashReports:
    """The reports of the home this process uses, resolved when a crash happens (the config may be
    the very thing that is broken: then only secret-looking values are redacted)."""
    from faceforge_adapters.bootstrap import core_version
    from faceforge_adapters.config import load_config
    from faceforge_adapters.home import resolve_home

    home = resolve_home()
    try:
        loaded = load_config(home)
    except Exception:  # noqa: BLE001  (a broken config still gets its crash written, less redacted)
        from faceforge_adapters.home import fixed_paths

        return CrashReports(fixed_paths(home).logs_dir, core_version())
    return CrashReports.for_home(loaded.config, loaded.paths, core_version())


@contextmanager
def crash_reports_for_process() -> Iterator[None]:
    """Write a ``core`` report for an error nothing handled, in the main thread (leaving this block)
    or any other thread, then let it go on as before (printed, exit status 1). Wraps the ``faceforge``
    process's entry point: the CLI framework replaces ``sys.excepthook`` with its own each run."""
    previous_thread_hook = threading.excepthook

    def on_thread_error(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            report_core_crash(args.exc_value, {"thread": args.thread.name if args.thread else "?"})
        previous_thread_hook(args)

    threading.excepthook = on_thread_error
    try:
        yield
    except Exception as error:
        report_core_crash(error)
        raise
    finally:
        threading.excepthook = previous_thread_hook


@asynccontextmanager
async def reporting_crashes(core: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """``core`` (the server's running Core) with a ``core`` report for an error that ends it, at start
    or later, and for an error the event loop is told nothing handled (a task whose exception nobody
    read, a failed callback); a dropped connection is not a crash."""
    loop = asyncio.get_running_loop()

    def on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, Exception) and not isinstance(error, ConnectionError):
            report_core_crash(error, {"event_loop": str(context.get("message", ""))})
        loop.default_exception_handler(context)

    previous = loop.get_exception_handler()
    loop.set_exception_handler(on_loop_error)
    try:
        async with core as running:
            yield running
    except Exception as error:
        report_core_crash(error)
        raise
    finally:
        loop.set_exception_handler(previous)


def report_core_crash(error: BaseException, details: Mapping[str, str] | None = None) -> None:
    """A ``core`` report for ``error`` in the home this process uses; its path is printed on stderr."""
    try:
        reports = process_reports()
    except Exception as exc:  # noqa: BLE001  (no home at all: nothing to write into)
        log.warning("could not write a crash report: %s", exc)
        return
    if (path := reports.write("core", error, details)) is not None:
        print(f"FaceForge stopped unexpectedly; crash report: {path}", file=sys.stderr)
