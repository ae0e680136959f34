"""Logging: JSON lines to ``logs/core.log`` (rotated) and readable lines on the console.

Every record passes a redaction filter, so a secret (the install token) never reaches a log even if a
caller puts it in a message by mistake.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from faceforge_domain.timefmt import format_timestamp

LOGGER_NAME = "faceforge"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_BACKUPS = 5
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_MARK = "_faceforge_handler"


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, plus any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": format_timestamp(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # already formatted (and redacted) by RedactSecrets
            entry["exception"] = record.exc_text
        return msgspec.json.encode(entry, enc_hook=str).decode("utf-8")


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """Size-rotated log file that formats each record once.

    The standard handler formats every record twice (once to learn its size) and asks the filesystem
    twice per record whether the log is still a regular file; at thousands of records a second (a bulk
    import logs each file's metadata) that was a tenth of the event loop's time.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            if self.stream is None:
                self.stream = self._open()
            self.stream.seek(0, 2)  # other processes (the CLI) may append to the same file
            if self.maxBytes > 0 and self.stream.tell() + len(line.encode("utf-8")) >= self.maxBytes:
                self.doRollover()  # reopens the file (the handler is not delayed)
            self.stream.write(line)
            self.flush()
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001  (logging must never break the caller: report as logging does)
            self.handleError(record)


class RedactSecrets(logging.Filter):
    """Replaces every known secret with ``[redacted]`` in a record's message, its ``extra=`` fields and
    its exception text, so a secret in a request path or an error message never reaches a log."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if any(secret in text for secret in self.secrets):
            record.msg, record.args = self._scrub(text), None
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self._scrub(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text, record.exc_info = self._scrub(record.exc_text), None
        return True


def configure_logging(
    logs_dir: Path, *, level: str = "info", secrets: Iterable[str] = (), console: bool = True
) -> None:
    """Install FaceForge's handlers on the ``faceforge`` logger (idempotent: replaces earlier ones)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level.upper())
    logger.propagate = False
    redact = RedactSecrets(secrets)
    logs_dir.mkdir(parents=True, exist_ok=True)
    file_handler = LogFileHandler(
        logs_dir / "core.log",
        maxBytes=LOG_FILE_BYTES,
        backupCount=LOG_FILE_BACKUPS,
        encoding="utf-8",
    )
    file_handler.setFormatter(JsonLinesFormatter())
    handlers: list[logging.Handler] = [file_handler]
    if console:
        console_handler = logging.StreamHandler()
        console_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
        handlers.append(console_handler)
    for handler in handlers:
        handler.addFilter(redact)
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
