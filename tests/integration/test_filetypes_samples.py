"""``sniff_mime`` and ``infer_kind`` over real sample files, checked against what ExifTool says."""

from __future__ import annotations

import subprocess

import pytest
from exiftool_support import EXIFTOOL, EXIFTOOL_SAMPLES, needs_exiftool

from faceforge_domain.filetypes import SNIFF_BYTES, infer_kind, sniff_mime

# Camera RAW and ISO media samples, where our answer must be ExifTool's.
AGREES_WITH_EXIFTOOL = [
    ("CanonRaw.cr3", "image.raw"),
    ("FujiFilm.raf", "image.raw"),
    ("Panasonic.rw2", "image.raw"),
    ("Minolta.mrw", "image.raw"),
    ("Sigma.x3f", "image.raw"),
    ("QuickTime.mov", "video.original"),
    ("Matroska.mkv", "video.original"),
    ("JXL.jxl", "image.original"),
    ("GeoTiff.tif", "image.original"),
    ("PDF.pdf", "doc.pdf"),
    ("FLAC.flac", "audio.clip"),
]
# Where we answer otherwise, on purpose: (sample, ExifTool's type, ours, kind, why).
DIFFERS_FROM_EXIFTOOL = [
    ("QuickTime.heic", "image/heif", "image/heic", "image.original", "a heic brand beats the mif1 major"),
    ("BigTIFF.btf", "image/x-tiff-big", "image/tiff", "image.original", "BigTIFF is TIFF to every reader"),
    (
        "Photoshop.psd",
        "application/vnd.adobe.photoshop",
        "image/vnd.adobe.photoshop",
        "image.original",
        "IANA",
    ),
    ("RIFF.wav", "audio/x-wav", "audio/wav", "audio.clip", "IANA"),
    (
        "OOXML.docx",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "doc.document",
        "[Content_Types].xml first and a .docx name",
    ),
    ("RTF.rtf", "text/rtf", "text/rtf", "doc.document", "same type"),
    ("ZIP.rar", "-", "application/vnd.rar", "archive", "ExifTool names no type for RAR"),
    ("AIFF.aif", "audio/x-aiff", "audio/x-aiff", "audio.clip", "same type"),
    ("Jpeg2000.j2c", "image/x-j2c", "image/x-j2c", "image.original", "same type"),
    ("XMP.svg", "image/svg+xml", "image/svg+xml", "image.original", "same type"),
]


def sniffed(name: str) -> str:
    with (EXIFTOOL_SAMPLES / name).open("rb") as handle:
        return sniff_mime(handle.read(SNIFF_BYTES), name)


def exiftool_mime(name: str) -> str:
    assert EXIFTOOL is not None
    found = subprocess.run(
        [EXIFTOOL, "-s3", "-MIMEType", str(EXIFTOOL_SAMPLES / name)],
        capture_output=True,
        check=False,  # a file ExifTool cannot read is an empty answer, compared as "-"
        text=True,
    )
    return found.stdout.strip() or "-"


@needs_exiftool
@pytest.mark.parametrize(("name", "kind"), AGREES_WITH_EXIFTOOL)
def test_raw_and_media_samples_get_the_type_exiftool_names(name: str, kind: str) -> None:
    mime = sniffed(name)
    assert mime == exiftool_mime(name)
    assert infer_kind(mime, name) == kind


@needs_exiftool
@pytest.mark.parametrize(("name", "theirs", "ours", "kind", "why"), DIFFERS_FROM_EXIFTOOL)
def test_samples_where_our_type_is_chosen_on_purpose(
    name: str, theirs: str, ours: str, kind: str, why: str
) -> None:
    assert exiftool_mime(name) == theirs, why
    assert sniffed(name) == ours
    assert infer_kind(ours, name) == kind


def test_a_sample_renamed_without_extension_keeps_its_type() -> None:
    for name, _ in AGREES_WITH_EXIFTOOL:
        if name != "GeoTiff.tif":
            data = (EXIFTOOL_SAMPLES / name).read_bytes()[:SNIFF_BYTES]
            assert sniff_mime(data, "upload") == sniffed(name), name
