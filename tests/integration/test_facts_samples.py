"""The facts of real camera files, read by the real ExifTool with the product's own parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from exiftool_support import EXIFTOOL, EXIFTOOL_SAMPLES, needs_exiftool

from faceforge_adapters.exiftool.args import write_argfile
from faceforge_adapters.exiftool.oneshot import run_oneshot
from faceforge_domain.facts import AssetFacts, facts_of_entries, local_time
from faceforge_domain.metadata import exiftool_entry

pytestmark = [pytest.mark.anyio, needs_exiftool]


async def facts_of(sample: str, tmp_path: Path) -> AssetFacts:
    assert EXIFTOOL is not None
    argfile = write_argfile(tmp_path / "args.txt")
    output = await run_oneshot(Path(EXIFTOOL), argfile, EXIFTOOL_SAMPLES / sample)
    return facts_of_entries([exiftool_entry(output)])


async def test_gps_jpg_has_its_position_and_a_local_time(tmp_path: Path) -> None:
    facts = await facts_of("GPS.jpg", tmp_path)
    assert (facts.camera_make, facts.camera_model) == ("FUJIFILM", "FinePixS1Pro")
    assert (facts.latitude, facts.longitude) == (54.9896667, -1.9141667)  # 54 59' 22.80" N, 1 54' 51.00" W
    assert facts.taken_offset is None
    assert local_time(facts) == datetime(2002, 7, 13, 15, 58, 28)
    assert (facts.width, facts.height, facts.orientation) == (120, 80, 1)


async def test_canon_1d_mark_iii_has_lens_and_subseconds(tmp_path: Path) -> None:
    facts = await facts_of("Canon1DmkIII.jpg", tmp_path)
    assert facts.camera == "Canon EOS-1D Mark III"
    assert facts.lens == "Canon EF 16-35mm f/2.8L II USM"
    assert local_time(facts) == datetime(2007, 2, 22, 17, 2, 42, 810000)
    assert facts.latitude is None
    assert facts.duration_s is None


@pytest.mark.parametrize(
    ("sample", "make", "model", "taken"),
    [
        ("Nikon.jpg", "NIKON", "E775", datetime(2001, 8, 1, 12, 57, 23)),
        ("Sony.jpg", "SONY", "DSC-F828", datetime(2003, 12, 18, 13, 51, 33)),
    ],
)
async def test_compact_cameras(tmp_path: Path, sample: str, make: str, model: str, taken: datetime) -> None:
    facts = await facts_of(sample, tmp_path)
    assert (facts.camera_make, facts.camera_model, facts.taken_offset) == (make, model, None)
    assert local_time(facts) == taken


async def test_quicktime_mov_is_a_utc_dated_video_with_duration(tmp_path: Path) -> None:
    facts = await facts_of("QuickTime.mov", tmp_path)
    assert facts.taken_at == datetime(2005, 8, 11, 14, 3, 54, tzinfo=UTC)
    assert facts.taken_offset == "+00:00"
    assert (facts.width, facts.height, facts.duration_s) == (320, 240, 4.97)


async def test_canon_cr3_raw_has_its_zone_size_and_no_duration(tmp_path: Path) -> None:
    facts = await facts_of("CanonRaw.cr3", tmp_path)
    assert facts.camera == "Canon EOS M50"
    assert facts.lens == "Canon EF-M 15-45mm f/3.5-6.3 IS STM"
    assert (facts.taken_at, facts.taken_offset) == (
        datetime(2018, 2, 21, 12, 8, 56, 210000, tzinfo=UTC),
        "+00:00",
    )
    assert (facts.width, facts.height, facts.duration_s) == (6000, 4000, None)


async def test_google_pixel_has_its_offset_and_position(tmp_path: Path) -> None:
    facts = await facts_of("Google.jpg", tmp_path)
    assert facts.taken_offset == "+02:00"
    assert local_time(facts) == datetime(2023, 10, 6, 22, 53, 51, 724000)
    assert facts.latitude is not None
    assert facts.longitude is not None
    assert (round(facts.latitude, 4), round(facts.longitude, 4)) == (40.4001, -3.7146)


async def test_iphone_zone_comes_from_the_gps_clock(tmp_path: Path) -> None:
    facts = await facts_of("Apple.jpg", tmp_path)
    assert (facts.camera, facts.taken_offset) == ("Apple iPhone 7", "+01:00")
    assert facts.taken_at == datetime(2016, 9, 28, 17, 18, 5, 813000, tzinfo=UTC)


async def test_pentax_orientation_and_sound_duration(tmp_path: Path) -> None:
    assert (await facts_of("Pentax.jpg", tmp_path)).orientation == 8
    sound = await facts_of("RIFF.wav", tmp_path)
    assert (sound.camera_make, sound.duration_s) == ("PENTAX Corporation", 0.03)
