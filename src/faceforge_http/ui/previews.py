"""What the UI shows for a file: its preview pictures, or an icon saying what kind of file it is.

Pages never show an original file in a tile: a 40 MB RAW is not a thumbnail. A file with a preview
shows its WebP picture, by a URL that names the picture's content hash so the browser keeps it for
good; any other file shows the icon of its kind, with a label a person reads (Model, Archive...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from faceforge_domain.previews import PreviewRecord
from faceforge_domain.services.previews import PreviewService
from faceforge_http.routes.previews import preview_url

# The first part of an asset's kind, as the icon's label.
KIND_LABELS = {
    "image": "Image",
    "video": "Video",
    "audio": "Audio",
    "doc": "Document",
    "model": "Model",
    "archive": "Archive",
}


def duration_text(seconds: float | None) -> str | None:
    """``1:05`` or ``1:02:03``: how a video's length reads on its poster."""
    if seconds is None:
        return None
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def kind_icon(kind: str) -> dict[str, str]:
    family = kind.split(".", 1)[0]
    return {"family": family if family in KIND_LABELS else "file", "label": KIND_LABELS.get(family, "File")}


def preview_view(asset_id: str, kind: str | None, record: PreviewRecord | None) -> dict[str, Any]:
    """What a template needs to show one file: picture URLs (or None), duration, and its kind's icon."""
    made = record if record is not None and record.status == "done" else None
    return {
        "small": preview_url(asset_id, made, "small") if made else None,
        "large": preview_url(asset_id, made, "large") if made else None,
        "duration": duration_text(made.duration_s) if made else None,
        "status": record.status if record else "pending",
        "reason": record.reason if record else None,
        "icon": kind_icon(kind or "file"),
    }


async def preview_views(
    previews: PreviewService, files: Sequence[tuple[str, str | None]]
) -> dict[str, dict[str, Any]]:
    """``preview_view`` of each ``(asset_id, kind)`` (kind None: unknown), by asset id, in one read."""
    records = await previews.records([asset_id for asset_id, _ in files])
    return {asset_id: preview_view(asset_id, kind, records.get(asset_id)) for asset_id, kind in files}
