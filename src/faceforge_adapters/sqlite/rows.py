"""Column codecs shared by the SQLite repositories: JSON text and RFC 3339 timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from faceforge_domain.timefmt import format_timestamp, parse_timestamp


def to_json(value: Any) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def from_json(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


def to_ts(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def from_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text)


def require_ts(text: str) -> datetime:
    return parse_timestamp(text)
