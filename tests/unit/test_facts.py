"""The facts derived from ExifTool's JSON: the rules one by one, and that odd values never raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from faceforge_domain import facts as facts_module
from faceforge_domain.facts import (
    AssetFacts,
    derive_facts,
    facts_of_entries,
    local_time,
    parse_coordinate,
    parse_duration,
    parse_exif_date,
    parse_offset,
    parse_orientation,
)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TAG_NAMES = st.sampled_from(
    [
        "Composite:SubSecDateTimeOriginal", "ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal",
        "ExifIFD:SubSecTimeOriginal", "QuickTime:CreateDate", "Composite:GPSDateTime", "IFD0:Make",
        "IFD0:Model", "Composite:LensID", "Composite:ImageSize", "File:ImageWidth", "File:ImageHeight",
        "IFD0:Orientation", "Composite:Rotation", "Composite:Duration", "File:MIMEType",
        "Composite:GPSLatitude", "Composite:GPSLongitude", "GPS:GPSLatitude", "GPS:GPSLatitudeRef",
        "GPS:GPSLongitude", "GPS:GPSLongitudeRef", "Keys:GPSCoordinates", "Composite:GPSPosition",
    ]
)  # fmt: skip


@given(st.dictionaries(TAG_NAMES | st.text(max_size=20), JSON_VALUES, max_size=12))
def test_any_tag_values_give_facts_within_their_ranges(data: dict[str, Any]) -> None:
    facts = derive_facts(data)
    if facts.latitude is not None or facts.longitude is not None:
        assert facts.latitude is not None
        assert facts.longitude is not None
        assert -90 <= facts.latitude <= 90
        assert -180 <= facts.longitude <= 180
        assert (facts.latitude, facts.longitude) != (0, 0)
    for side in (facts.width, facts.height):
        assert side is None or side > 0
    assert facts.orientation is None or 1 <= facts.orientation <= 8
    assert facts.duration_s is None or facts.duration_s > 0
    if facts.taken_at is not None:
        assert facts.taken_at.tzinfo is UTC
        assert facts.taken_at.microsecond % 1000 == 0
    assert facts.taken_offset is None or parse_offset(facts.taken_offset) is not None
    for text in (facts.camera_make, facts.camera_model, facts.lens):
        assert text is None or (text == text.strip() and 0 < len(text) <= 200)


A_CAMERA_FILE = {
    "ExifIFD:DateTimeOriginal": "2024:05:06 07:08:09",
    "ExifIFD:SubSecTimeOriginal": "25",
    "ExifIFD:OffsetTimeOriginal": "+02:00",
    "IFD0:Make": "Canon",
    "IFD0:Model": "Canon EOS 5D",
    "Composite:LensID": "EF 50mm f/1.8",
    "File:ImageWidth": 4000,
    "File:ImageHeight": 3000,
    "IFD0:Orientation": 6,
    "GPS:GPSLatitude": 48.5,
    "GPS:GPSLatitudeRef": "N",
    "GPS:GPSLongitude": 2.25,
    "GPS:GPSLongitudeRef": "E",
    "Doc1:Track4:LensType": "not the file's own",
    "MakerNotes:Software": "1.0",
}


@given(st.dictionaries(TAG_NAMES | st.text(max_size=20), JSON_VALUES, max_size=12))
@example(A_CAMERA_FILE)
def test_the_facts_are_the_same_whether_their_tags_are_indexed_up_front_or_found_by_a_scan(
    data: dict[str, Any],
) -> None:
    indexed = derive_facts(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(facts_module, "_READ", frozenset())  # every lookup scans
        assert derive_facts(data) == indexed


@given(JSON_VALUES)
def test_anything_that_is_not_an_object_gives_no_facts(value: Any) -> None:
    if not isinstance(value, dict):
        assert derive_facts(value) == AssetFacts()


@given(
    st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2999, 12, 31)),
    st.integers(min_value=-14 * 4, max_value=14 * 4),
)
def test_a_date_with_its_offset_is_the_instant_and_shows_the_cameras_clock(
    wall: datetime, quarters: int
) -> None:
    offset = timedelta(minutes=15 * quarters)
    sign = "-" if quarters < 0 else "+"
    minutes = abs(quarters) * 15
    text = (
        wall.strftime("%Y:%m:%d %H:%M:%S")
        + f".{wall.microsecond:06d}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    )
    facts = derive_facts({"ExifIFD:DateTimeOriginal": text})
    millis = wall.replace(microsecond=wall.microsecond - wall.microsecond % 1000)
    assert facts.taken_at == (millis - offset).replace(tzinfo=UTC)
    assert local_time(facts) == millis


def test_date_taken_prefers_the_original_with_subseconds_and_offset() -> None:
    facts = derive_facts(
        {
            "ExifIFD:DateTimeOriginal": "2023:10:06 22:53:51",
            "ExifIFD:SubSecTimeOriginal": 724,
            "ExifIFD:OffsetTimeOriginal": "+02:00",
            "ExifIFD:CreateDate": "2020:01:01 00:00:00",
        }
    )
    assert facts.taken_at == datetime(2023, 10, 6, 20, 53, 51, 724000, tzinfo=UTC)
    assert facts.taken_offset == "+02:00"


def test_a_date_without_zone_is_local_time_kept_as_written() -> None:
    facts = derive_facts({"ExifIFD:DateTimeOriginal": "2007:02:22 17:02:42"})
    assert facts.taken_offset is None
    assert local_time(facts) == datetime(2007, 2, 22, 17, 2, 42)


def test_a_quicktime_date_is_utc() -> None:
    facts = derive_facts({"QuickTime:CreateDate": "2005:08:11 14:03:54"})
    assert (facts.taken_at, facts.taken_offset) == (datetime(2005, 8, 11, 14, 3, 54, tzinfo=UTC), "+00:00")


def test_the_gps_clock_gives_the_zone_of_a_local_time_when_it_is_near_a_quarter_hour() -> None:
    local = {"ExifIFD:DateTimeOriginal": "2016:09:28 18:18:05"}
    near = derive_facts({**local, "Composite:GPSDateTime": "2016:09:28 17:17:58.65Z"})
    assert near.taken_offset == "+01:00"
    assert near.taken_at == datetime(2016, 9, 28, 17, 18, 5, tzinfo=UTC)
    far = derive_facts({**local, "Composite:GPSDateTime": "2016:09:28 17:10:00Z"})
    assert far.taken_offset is None


def test_the_gps_date_is_the_last_resort() -> None:
    facts = derive_facts({"Composite:GPSDateTime": "2016:09:28 17:17:58Z"})
    assert (facts.taken_at, facts.taken_offset) == (datetime(2016, 9, 28, 17, 17, 58, tzinfo=UTC), "+00:00")


def test_unusable_dates_fall_through_to_the_next_candidate() -> None:
    facts = derive_facts(
        {"ExifIFD:DateTimeOriginal": "0000:00:00 00:00:00", "ExifIFD:CreateDate": "2001:02:30 10:00:00",
         "QuickTime:CreateDate": "2001:02:03 04:05:06"}
    )  # fmt: skip
    assert facts.taken_at == datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_date_and_offset_parsing_refuse_what_they_cannot_read() -> None:
    for bad in (
        "",
        "2001:13:01 00:00:00",
        "1700:01:01 00:00:00",
        "2001:01:01 00:00:00+15:00",
        "yesterday",
        7,
    ):
        assert parse_exif_date(bad) is None
    for bad_offset in ("+14:30", "+02:75", "02:00", None, "local"):
        assert parse_offset(bad_offset) is None
    assert parse_offset("-0530") == -timedelta(hours=5, minutes=30)


def test_camera_is_trimmed_but_faithful() -> None:
    facts = derive_facts({"RIFF:Make": "PENTAX Corporation ", "RIFF:Model": "  PENTAX\x00  Optio WP"})
    assert (facts.camera_make, facts.camera_model) == ("PENTAX Corporation", "PENTAX Optio WP")
    assert facts.camera == "PENTAX Optio WP"
    assert AssetFacts(camera_make="Canon", camera_model="EOS M50").camera == "Canon EOS M50"


def test_ifd0_make_wins_over_a_thumbnails() -> None:
    facts = derive_facts({"IFD1:Make": "Thumb Inc", "IFD0:Make": "SONY", "Doc1:IFD0:Make": "Embedded"})
    assert facts.camera_make == "SONY"


def test_placeholder_lens_names_are_skipped() -> None:
    facts = derive_facts({"Canon:LensType": "n/a", "Canon:LensModel": "EF-M15-45mm f/3.5-6.3 IS STM"})
    assert facts.lens == "EF-M15-45mm f/3.5-6.3 IS STM"
    assert derive_facts({"Composite:LensID": "Unknown (0 0 0)"}).lens is None


def test_size_is_shown_turned_by_orientation_or_rotation() -> None:
    assert (
        derive_facts({"Composite:ImageSize": "4000x3000", "IFD0:Orientation": "Rotate 90 CW"}).width
    ) == 3000
    assert derive_facts({"Composite:ImageSize": "4000 3000", "IFD0:Orientation": 1}).width == 4000
    video = derive_facts({"Composite:ImageSize": "1920x1080", "Composite:Rotation": 90})
    assert (video.width, video.height, video.orientation) == (1080, 1920, None)
    assert derive_facts({"File:ImageWidth": 10, "File:ImageHeight": 0}).width is None


def test_orientation_words_and_numbers() -> None:
    assert parse_orientation("Mirror horizontal and rotate 270 CW") == 5
    assert parse_orientation(" rotate  180 ") == 3
    for bad in (0, 9, True, "sideways", 6.0):
        assert parse_orientation(bad) is None


def test_durations_in_exiftool_words() -> None:
    assert parse_duration("4.97 s") == 4.97
    assert parse_duration("0:02:29") == 149.0
    assert parse_duration("1:02:03.5") == 3723.5
    for bad in ("0 s", "1:75:00", float("inf"), -3, "soon", True):
        assert parse_duration(bad) is None


def test_a_still_pictures_container_duration_is_ignored() -> None:
    assert (
        derive_facts({"File:MIMEType": "image/x-canon-cr3", "QuickTime:Duration": "1.00 s"}).duration_s
        is None
    )
    assert (
        derive_facts({"File:MIMEType": "video/quicktime", "QuickTime:Duration": "1.00 s"}).duration_s == 1.0
    )


def test_coordinates_apply_their_hemisphere() -> None:
    assert parse_coordinate("54 deg 59' 22.80\" N", limit=90) == 54.9896667
    assert parse_coordinate("1 deg 54' 51.00\"", "West", limit=180) == -1.9141667
    assert parse_coordinate(12.5, "S", limit=90) == -12.5
    for bad in ("91 deg 0' 0\" N", "10 deg 61' 0\" N", "north", "10 deg 0' 0\" Q", float("nan")):
        assert parse_coordinate(bad, limit=90) is None


def test_position_needs_both_coordinates_and_refuses_null_island() -> None:
    assert derive_facts({"GPS:GPSLatitude": "10 deg 0' 0\"", "GPS:GPSLatitudeRef": "North"}).latitude is None
    zero = {"Composite:GPSLatitude": "0 deg 0' 0.00\" N", "Composite:GPSLongitude": "0 deg 0' 0.00\" E"}
    assert derive_facts(zero).latitude is None
    video = derive_facts(
        {"Keys:GPSCoordinates": "37 deg 20' 5.04\" N, 122 deg 1' 59.04\" W, 12.3 m Above Sea Level"}
    )
    assert (video.latitude, video.longitude) == (37.3347333, -122.0330667)


def test_facts_come_from_the_exiftool_entry_only() -> None:
    entries = [
        {"Source": "plugin", "Type": "JsonMetadata", "Data": {"IFD0:Make": "Wrong"}},
        {"Source": "ExifTool", "Type": "JsonMetadata", "Data": {"IFD0:Make": "Canon"}},
    ]
    assert facts_of_entries(entries).camera_make == "Canon"
    assert facts_of_entries([]) == AssetFacts()


def test_a_duration_under_half_a_millisecond_is_no_play_time() -> None:
    assert parse_duration(0.0004) is None
    assert parse_duration("0.0004 s") is None
    assert parse_duration(0.0005) == 0.001
