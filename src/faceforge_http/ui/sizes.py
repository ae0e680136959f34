"""Sizes as people read them, shared by the page filters and the job words."""

from __future__ import annotations

UNITS = ("bytes", "KB", "MB", "GB", "TB")


def file_size(size: int | None) -> str:
    """1536 -> '1.5 KB': sizes people read at a glance."""
    if size is None:
        return ""
    value, unit = float(size), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} bytes" if unit == 0 else f"{value:.1f} {UNITS[unit]}"
