"""A job's progress and an import's result in words, as the Jobs pages show them.

The bar and its text use one measure: the job's ``percent`` (bytes when the job counts bytes, else
items), and the text gives both figures beside it, so "37%" never sits next to a bar 96% full. A job
stopped before the end shows how far it got, never 100%.
"""

from __future__ import annotations

from typing import Any

from faceforge_http.ui.sizes import file_size

FINISHED_EARLY = ("canceled", "failed")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def progress_text(progress: dict[str, Any], status: str) -> str:
    """'37% · 148 of 406 files · 1.2 MB of 3.4 MB'; '' before there is anything to count."""
    parts: list[str] = []
    percent = progress.get("percent")
    if percent is not None:
        parts.append(f"{int(percent)}%")
    total, bytes_total = progress.get("total"), progress.get("bytes_total")
    if total:
        parts.append(f"{progress.get('current') or 0} of {_count(total, 'file')}")
    if bytes_total:
        parts.append(f"{file_size(progress.get('bytes_current') or 0)} of {file_size(bytes_total)}")
    if not parts:
        return ""
    text = " · ".join(parts)
    return f"Stopped at {text}" if status in FINISHED_EARLY else text


def import_summary(result: dict[str, Any]) -> list[str]:
    """An import's result as sentences: imported, duplicates, skipped with reasons, failed."""
    read = file_size(result.get("bytes", 0))
    lines = [f"{_count(result.get('imported', 0), 'file')} imported ({read} read in all)."]
    if duplicates := result.get("duplicates", 0):
        lines.append(f"{_count(duplicates, 'file was', 'files were')} already stored, so kept once.")
    if skipped := result.get("skipped", 0):
        reasons = result.get("skipped_by_reason") or {}
        why = "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items(), key=lambda r: -r[1]))
        lines.append(f"{skipped} skipped" + (f": {why}." if why else "."))
    if failed := result.get("failed", 0):
        lines.append(f"{_count(failed, 'file')} could not be imported; the log below says why.")
    if sidecars := result.get("sidecars", 0):
        lines.append(f"{_count(sidecars, 'metadata file')} (_meta.json) read.")
    if warnings := result.get("warnings", 0):
        lines.append(f"{_count(warnings, 'warning')} in the log below.")
    return lines
