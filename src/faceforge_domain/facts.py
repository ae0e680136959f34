"""The facts people look for in a file's metadata, derived from the ExifTool output Core stores.

ExifTool reports thousands of tags grouped by its own group names (``IFD0:Make``, ``Composite:GPSLatitude``,
``Doc1:Track1:...`` for embedded documents), with values as ExifTool prints them (``54 deg 59' 22.80" N``,
``4.97 s``, ``Rotate 90 CW``). ``derive_facts`` turns one such object into ``AssetFacts``: date taken,
camera, lens, shown size, orientation, duration and position. Pure and total: any odd, missing or
malformed value is left out, never raised, so a file with strange metadata still ingests.

Date taken: the moment is kept as ``taken_at`` (UTC) when its time zone offset is known (written beside the
time, ``OffsetTimeOriginal``, a QuickTime date, which is UTC by definition, or inferred from the GPS clock),
with the offset in ``taken_offset``; without one the camera's wall-clock time is kept as if it were UTC and
``taken_offset`` is ``None`` ("local time, zone unknown"). Either way ``taken_at`` sorts and filters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

MAX_TEXT = 200
MIN_YEAR = 1800
MAX_YEAR = 2999
MAX_PIXELS_PER_SIDE = 1_000_000
MAX_DURATION_S = 10_000_000.0
MAX_OFFSET = timedelta(hours=14)
# A GPS clock and a camera clock a few minutes apart still name the same zone (quarter-hour offsets).
GPS_ZONE_SLACK = timedelta(minutes=3)

# ExifTool's words for the EXIF orientation codes 1 to 8.
ORIENTATION_NAMES: dict[int, str] = {
    1: "Horizontal (normal)",
    2: "Mirror horizontal",
    3: "Rotate 180",
    4: "Mirror vertical",
    5: "Mirror horizontal and rotate 270 CW",
    6: "Rotate 90 CW",
    7: "Mirror horizontal and rotate 90 CW",
    8: "Rotate 270 CW",
}
EXIF_ORIENTATIONS: dict[str, int] = {name.casefold(): code for code, name in ORIENTATION_NAMES.items()}
# Orientations 5 to 8 turn the picture a quarter: it is shown with width and height swapped.
QUARTER_TURNS = frozenset({5, 6, 7, 8})

_DATE = re.compile(
    r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"^\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))\s*$", re.IGNORECASE)
_DMS = re.compile(
    r"^\s*(-?\d+(?:\.\d+)?)\s*deg\s*(?:(\d+(?:\.\d+)?)'\s*)?(?:(\d+(?:\.\d+)?)\"\s*)?([NSEW])?\s*$",
    re.IGNORECASE,
)
_SIZE = re.compile(r"^\s*(\d+)\s*[x ]\s*(\d+)\s*$", re.IGNORECASE)
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s\b")
_CLOCK = re.compile(r"^\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)\b")
_SPACES = re.compile(r"\s+")
_UNKNOWN_TEXT = frozenset({"", "n/a", "unknown", "none", "0", "-", "----"})


class AssetFacts(msgspec.Struct, kw_only=True):
    """What a person looks for in a file's metadata; every field is ``None`` where the file does not say."""

    taken_at: datetime | None = None
    taken_offset: str | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    duration_s: float | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def taken_local(self) -> str | None:
        """The date taken as the camera's clock showed it, ISO 8601 without a zone (milliseconds)."""
        wall = local_time(self)
        return None if wall is None else wall.isoformat(timespec="milliseconds")

    @property
    def camera(self) -> str | None:
        """Make and model as one name; the make is left out when the model already starts with its first
        word (``Canon`` + ``Canon EOS M50``, ``PENTAX Corporation`` + ``PENTAX K10D``)."""
        make, model = self.camera_make, self.camera_model
        if make and model:
            brand = make.split(" ", 1)[0].casefold()
            return model if model.casefold().startswith(brand) else f"{make} {model}"
        return make or model


class _Tags:
    """The main document's tags of one ExifTool object, looked up by tag name, group by group.

    Only the names the facts are read from are indexed up front (``_READ``): a camera file has
    thousands of tags, and indexing them all cost 3 ms a file. Any other name is found by a scan.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        self._by_name: dict[str, list[tuple[str, Any]]] = {name: [] for name in _READ}
        for key, value in data.items():
            # "Doc1:Track4:LensType" (an embedded document, not the file itself) leaves a name with ":"
            group, _, name = key.partition(":")
            if (found := self._by_name.get(name)) is not None:
                found.append((group, value))

    def _named(self, name: str) -> list[tuple[str, Any]]:
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name[name] = [
                (group, value)
                for key, value in self._data.items()
                for group, _, tag in [key.partition(":")]
                if tag == name
            ]
        return found

    def values(self, name: str, groups: Iterable[str] | None = None) -> list[Any]:
        """Values of tag ``name``: those of ``groups`` in that order, or of every group (file order)."""
        found = self._named(name)
        if groups is None:
            return [value for _, value in found]
        by_group = dict(found)
        return [by_group[group] for group in groups if group in by_group]

    def by_group(self, name: str) -> list[tuple[str, Any]]:
        """(group, value) of tag ``name`` in every group, in file order."""
        return self._named(name)

    def first(self, name: str, groups: Iterable[str] | None = None) -> Any:
        found = self.values(name, groups)
        return found[0] if found else None


def derive_facts(data: Mapping[str, Any] | None) -> AssetFacts:
    """The facts in one ExifTool JSON object (as ``exiftool_entry`` stores it); never raises."""
    if not isinstance(data, Mapping):
        return AssetFacts()
    tags = _Tags(data)
    taken_at, taken_offset = _taken(tags)
    width, height = _size(tags)
    orientation = _orientation(tags)
    if width is not None and height is not None and _quarter_turned(tags, orientation):
        width, height = height, width
    latitude, longitude = _position(tags)
    return AssetFacts(
        taken_at=taken_at,
        taken_offset=taken_offset,
        camera_make=_first_text(tags.values("Make", ("IFD0",)) + tags.values("Make")),
        camera_model=_first_text(tags.values("Model", ("IFD0",)) + tags.values("Model")),
        lens=_lens(tags),
        width=width,
        height=height,
        orientation=orientation,
        duration_s=_duration(tags),
        latitude=latitude,
        longitude=longitude,
    )


def facts_of_entries(entries: Iterable[Mapping[str, Any]]) -> AssetFacts:
    """The facts of an asset's stored ``extracted_metadata``: from its ExifTool entry, if it has one."""
    for entry in entries:
        if isinstance(entry, Mapping) and (entry.get("Source"), entry.get("Type")) == (
            "ExifTool",
            "JsonMetadata",
        ):
            return derive_facts(entry.get("Data"))
    return AssetFacts()


def clean_text(value: Any) -> str | None:
    """A tag value as text for a fact: trimmed, inner whitespace collapsed, control characters dropped,
    at most ``MAX_TEXT`` characters; ``None`` for non-text values and placeholders like ``n/a``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = "".join(ch for ch in str(value) if ch.isprintable() or ch.isspace())
    text = _SPACES.sub(" ", text).strip()[:MAX_TEXT].strip()
    if text.casefold() in _UNKNOWN_TEXT or text.casefold().startswith("unknown ("):
        return None
    return text


def _first_text(values: Iterable[Any]) -> str | None:
    for value in values:
        if (text := clean_text(value)) is not None:
            return text
    return None


# -- date taken ------------------------------------------------------------------------------------


def parse_offset(value: Any) -> timedelta | None:
    """``+02:00``, ``-0530`` or ``Z`` as a UTC offset; ``None`` for anything else or beyond +-14 h."""
    if not isinstance(value, str) or not (match := _OFFSET.match(value)):
        return None
    if match.group(1):
        return timedelta(0)
    hours, minutes = int(match.group(3)), int(match.group(4))
    if minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes) * (-1 if match.group(2) == "-" else 1)
    return offset if abs(offset) <= MAX_OFFSET else None


def format_offset(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_exif_date(value: Any) -> tuple[datetime, timedelta | None] | None:
    """An ExifTool date (``2023:10:06 22:53:51.724+02:00``): the wall-clock time (naive) and its
    offset when written; ``None`` for a date that is not one (``0000:00:00 00:00:00``, month 13...)."""
    if not isinstance(value, str) or not (match := _DATE.match(value)):
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = match.group(7)
    micro = round(float(fraction) * 1_000_000) if fraction else 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        wall = datetime(year, month, day, hour, minute, min(second, 59), min(micro, 999_999))
    except ValueError:
        return None
    offset = parse_offset(match.group(8)) if match.group(8) else None
    if match.group(8) and offset is None:
        return None
    return wall, offset


def _with_subseconds(wall: datetime, subsec: Any) -> datetime:
    """ExifTool's ``SubSecTimeOriginal`` (``81`` means .81 s) added to a whole-second time."""
    text = clean_text(subsec)
    if wall.microsecond or text is None or not text.isdigit():
        return wall
    return wall.replace(microsecond=round(float("0." + text) * 1_000_000) % 1_000_000)


# Candidates for the date taken, best first: (tag, groups, subsecond tag, offset tags, offset if unwritten).
_EXIF = ("ExifIFD", "IFD0", "XMP-exif", "XMP-photoshop", "XMP-xmp")
_TAKEN_SOURCES: tuple[
    tuple[str, tuple[str, ...] | None, str | None, tuple[str, ...], timedelta | None], ...
] = (
    ("SubSecDateTimeOriginal", ("Composite",), None, ("OffsetTimeOriginal", "OffsetTime"), None),
    ("DateTimeOriginal", _EXIF, "SubSecTimeOriginal", ("OffsetTimeOriginal", "OffsetTime"), None),
    ("DateCreated", _EXIF, None, (), None),
    ("DateTimeOriginal", None, None, (), None),
    ("CreationDate", ("Keys", "ItemList", "UserData"), None, (), None),
    ("CreateDate", _EXIF, "SubSecTimeDigitized", ("OffsetTimeDigitized", "OffsetTime"), None),
    # QuickTime dates are UTC by the format's definition (ExifTool prints them unconverted).
    ("CreateDate", ("QuickTime",), None, (), timedelta(0)),
    ("GPSDateTime", ("Composite",), None, (), timedelta(0)),
)


# Every tag name the facts are read from: the dates above and the tags the other facts read.
_READ = frozenset(
    {tag for date, _, subsec, offsets, _ in _TAKEN_SOURCES for tag in (date, subsec, *offsets) if tag}
    | {"Make", "Model", "GPSDateTime", "LensID", "LensModel", "LensType", "Lens", "ImageSize"}
    | {"ImageWidth", "ExifImageWidth", "ImageHeight", "ExifImageHeight", "Orientation", "Rotation"}
    | {"MIMEType", "Duration", "GPSLatitude", "GPSLatitudeRef", "GPSLongitude", "GPSLongitudeRef"}
    | {"GPSCoordinates", "GPSPosition"}
)


def _taken(tags: _Tags) -> tuple[datetime | None, str | None]:
    for name, groups, subsec_tag, offset_tags, implied in _TAKEN_SOURCES:
        for value in tags.values(name, groups):
            parsed = parse_exif_date(value)
            if parsed is None:
                continue
            wall, offset = parsed
            if subsec_tag is not None:
                wall = _with_subseconds(wall, tags.first(subsec_tag, ("ExifIFD",)))
            for tag in offset_tags:
                if offset is None:
                    offset = parse_offset(tags.first(tag, ("ExifIFD",)))
            offset = offset if offset is not None else implied
            if offset is None:
                offset = _offset_from_gps(wall, tags)
            return _stored_moment(wall, offset)
    return None, None


def _offset_from_gps(wall: datetime, tags: _Tags) -> timedelta | None:
    """The zone of a local time, from the GPS clock (UTC) written beside it: their difference, when it is
    within a few minutes of a whole quarter hour and no more than 14 hours."""
    parsed = parse_exif_date(tags.first("GPSDateTime", ("Composite",)))
    if parsed is None or parsed[1] is None:
        return None
    difference = wall - parsed[0]
    quarter = timedelta(minutes=15)
    rounded = quarter * round(difference / quarter)
    if abs(difference - rounded) > GPS_ZONE_SLACK or abs(rounded) > MAX_OFFSET:
        return None
    return rounded


def _stored_moment(wall: datetime, offset: timedelta | None) -> tuple[datetime, str | None]:
    """The instant (UTC) for a known offset; otherwise the wall-clock time read as UTC, zone unknown."""
    micro = wall.microsecond - wall.microsecond % 1000  # stored with millisecond precision
    wall = wall.replace(microsecond=micro)
    if offset is None:
        return wall.replace(tzinfo=UTC), None
    return (wall - offset).replace(tzinfo=UTC), format_offset(offset)


def local_time(facts: AssetFacts) -> datetime | None:
    """The date taken as the camera's clock showed it (naive): in its zone when known, else as recorded."""
    if facts.taken_at is None:
        return None
    offset = parse_offset(facts.taken_offset) if facts.taken_offset else None
    return (facts.taken_at + (offset or timedelta(0))).replace(tzinfo=None)


# -- lens, size, orientation, duration -------------------------------------------------------------


def _lens(tags: _Tags) -> str | None:
    candidates = (
        tags.values("LensID", ("Composite",))
        + tags.values("LensModel", ("ExifIFD", "XMP-exifEX", "XMP-aux"))
        + tags.values("LensModel")
        + tags.values("LensType")
        + tags.values("Lens")
    )
    return _first_text(candidates)


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 0 < value <= MAX_PIXELS_PER_SIDE:
        return value
    return None


def _size(tags: _Tags) -> tuple[int | None, int | None]:
    """Pixels as stored (before orientation): ExifTool's own ``ImageSize`` judgement, else the first
    width and height reported together by one group."""
    size = tags.first("ImageSize", ("Composite",))
    if isinstance(size, str) and (match := _SIZE.match(size)):
        width, height = _positive_int(match.group(1)), _positive_int(match.group(2))
        if width and height:
            return width, height
    widths = tags.by_group("ImageWidth") + tags.by_group("ExifImageWidth")
    heights = dict(tags.by_group("ImageHeight") + tags.by_group("ExifImageHeight"))
    for group, raw_width in widths:
        width, height = _positive_int(raw_width), _positive_int(heights.get(group))
        if width and height:
            return width, height
    return None, None


def parse_orientation(value: Any) -> int | None:
    """An EXIF orientation (1 to 8), from ExifTool's words (``Rotate 90 CW``) or the number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 8 else None
    if isinstance(value, str):
        text = _SPACES.sub(" ", value).strip().casefold()
        if text.isdigit():
            return parse_orientation(int(text))
        return EXIF_ORIENTATIONS.get(text)
    return None


def _orientation(tags: _Tags) -> int | None:
    for value in tags.values("Orientation", ("IFD0",)) + tags.values("Orientation"):
        if (code := parse_orientation(value)) is not None:
            return code
    return None


def _quarter_turned(tags: _Tags, orientation: int | None) -> bool:
    """Whether the picture is shown turned a quarter: by its EXIF orientation, or a video's rotation."""
    if orientation is not None:
        return orientation in QUARTER_TURNS
    rotation = tags.first("Rotation", ("Composite", "QuickTime", "Track1"))
    if isinstance(rotation, str) and rotation.strip().lstrip("-").isdigit():
        rotation = int(rotation)
    return isinstance(rotation, int) and not isinstance(rotation, bool) and rotation % 180 == 90


def parse_duration(value: Any) -> float | None:
    """Seconds from ExifTool's ``4.97 s``, ``0:02:29`` or ``1:02:03.5`` (or a number); positive only."""
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        if match := _SECONDS.match(value):
            seconds = float(match.group(1))
        elif match := _CLOCK.match(value):
            minutes = int(match.group(2))
            if minutes < 60 and float(match.group(3)) < 60:
                seconds = int(match.group(1)) * 3600 + minutes * 60 + float(match.group(3))
    if seconds is None or not math.isfinite(seconds):
        return None
    seconds = round(seconds, 3)  # to the millisecond: a few microseconds is no play time
    return seconds if 0 < seconds <= MAX_DURATION_S else None


def _duration(tags: _Tags) -> float | None:
    """Play time of a video or sound; a still picture's container may carry one (a CR3 says 1 s): ignored."""
    mime = tags.first("MIMEType", ("File",))
    if isinstance(mime, str) and mime.startswith("image/"):
        return None
    for value in tags.values("Duration", ("Composite", "QuickTime", "Matroska")) + tags.values("Duration"):
        if (seconds := parse_duration(value)) is not None:
            return seconds
    return None


# -- position -------------------------------------------------------------------------------------


def parse_coordinate(value: Any, ref: Any = None, *, limit: float) -> float | None:
    """Signed decimal degrees from ``54 deg 59' 22.80" N`` (or a number with a ``North``/``S``... ref);
    ``None`` when malformed or beyond ``limit`` (90 for latitude, 180 for longitude)."""
    degrees: float | None = None
    hemisphere: str | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        degrees = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            degrees = float(text)
        except ValueError:
            match = _DMS.match(text)
            if match is None:
                return None
            minutes, seconds = float(match.group(2) or 0), float(match.group(3) or 0)
            if minutes >= 60 or seconds >= 60:
                return None
            whole = float(match.group(1))
            degrees = math.copysign(abs(whole) + minutes / 60 + seconds / 3600, whole)
            hemisphere = (match.group(4) or "").upper() or None
    if degrees is None or not math.isfinite(degrees):
        return None
    if hemisphere is None and isinstance(ref, str) and ref.strip():
        hemisphere = ref.strip()[0].upper()
    if hemisphere in ("S", "W"):
        degrees = -abs(degrees)
    elif hemisphere not in (None, "N", "E"):
        return None
    if abs(degrees) > limit:
        return None
    return round(degrees, 7)


def _position(tags: _Tags) -> tuple[float | None, float | None]:
    """Latitude and longitude, refs applied; none at all when either is missing or the pair is 0, 0 (the
    value of a GPS that had no fix)."""
    pairs: list[tuple[Any, Any, Any, Any]] = [
        (tags.first("GPSLatitude", ("Composite",)), None, tags.first("GPSLongitude", ("Composite",)), None),
        (
            tags.first("GPSLatitude", ("GPS",)),
            tags.first("GPSLatitudeRef", ("GPS",)),
            tags.first("GPSLongitude", ("GPS",)),
            tags.first("GPSLongitudeRef", ("GPS",)),
        ),
        (
            tags.first("GPSLatitude"),
            tags.first("GPSLatitudeRef"),
            tags.first("GPSLongitude"),
            tags.first("GPSLongitudeRef"),
        ),
    ]
    for coordinates in tags.values("GPSCoordinates") + tags.values("GPSPosition", ("Composite",)):
        if isinstance(coordinates, str) and coordinates.count(",") >= 1:
            lat_text, lon_text = (part.strip() for part in coordinates.split(",")[:2])
            pairs.append((lat_text, None, lon_text, None))
    for lat_value, lat_ref, lon_value, lon_ref in pairs:
        latitude = parse_coordinate(lat_value, lat_ref, limit=90.0)
        longitude = parse_coordinate(lon_value, lon_ref, limit=180.0)
        if latitude is None or longitude is None:
            continue
        if latitude == 0 and longitude == 0:
            return None, None
        return latitude, longitude
    return None, None
