"""The "Details" card: an asset's facts as the lines a person reads (label, text, optional link)."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

from faceforge_domain.facts import ORIENTATION_NAMES, AssetFacts, local_time

OSM_ZOOM = 15


class DetailLine(NamedTuple):
    label: str
    text: str
    href: str | None = None


def taken_text(facts: AssetFacts) -> str:
    """``2023-10-06 22:53:51 (UTC+02:00)``, or ``... (local time)`` when the zone is unknown."""
    wall = local_time(facts)
    if wall is None:
        return ""
    zone = f"UTC{facts.taken_offset}" if facts.taken_offset else "local time, zone unknown"
    return f"{wall:%Y-%m-%d %H:%M:%S} ({zone})"


def duration_text(seconds: float) -> str:
    """``4.97 s`` under a minute, else ``2:29`` or ``1:02:03``."""
    if seconds < 60:
        return f"{seconds:.2f} s".replace(".00 s", " s")
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def map_link(latitude: float, longitude: float) -> str:
    """The place on openstreetmap.org, marked."""
    query = urlencode({"mlat": f"{latitude:.6f}", "mlon": f"{longitude:.6f}"})
    return f"https://www.openstreetmap.org/?{query}#map={OSM_ZOOM}/{latitude:.6f}/{longitude:.6f}"


def detail_lines(facts: AssetFacts) -> list[DetailLine]:
    """What the file's metadata says, in reading order; only what it does say."""
    lines: list[DetailLine] = []
    if facts.taken_at is not None:
        lines.append(DetailLine("Taken", taken_text(facts)))
    if facts.camera:
        lines.append(DetailLine("Camera", facts.camera))
    if facts.lens:
        lines.append(DetailLine("Lens", facts.lens))
    if facts.width and facts.height:
        lines.append(DetailLine("Dimensions", f"{facts.width} \N{MULTIPLICATION SIGN} {facts.height} pixels"))
    if facts.orientation is not None and facts.orientation != 1:
        lines.append(DetailLine("Orientation", ORIENTATION_NAMES[facts.orientation]))
    if facts.duration_s is not None:
        lines.append(DetailLine("Duration", duration_text(facts.duration_s)))
    if facts.latitude is not None and facts.longitude is not None:
        where = f"{facts.latitude:.5f}, {facts.longitude:.5f}"
        lines.append(DetailLine("Location", where, map_link(facts.latitude, facts.longitude)))
    return lines
