"""The format probes: ISO-BMFF brands, TIFF IFD0, ZIP entries and signatures, on built and random bytes."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.filetypes import SNIFF_BYTES, sniff_mime
from faceforge_domain.formats.isobmff import brands, isobmff_mime
from faceforge_domain.formats.tiff import read_ifd0, tiff_mime
from faceforge_domain.formats.zip import entries, zip_mime

KNOWN_BRANDS = [
    b"crx ",
    b"heic",
    b"heix",
    b"avif",
    b"avis",
    b"mif1",
    b"msf1",
    b"qt  ",
    b"M4A ",
    b"3gp4",
    b"isom",
]
brand = st.one_of(st.sampled_from(KNOWN_BRANDS), st.binary(min_size=4, max_size=4))


def ftyp(major: bytes, compatible: list[bytes], size: int | None = None) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", len(body) + 4 if size is None else size) + body


@pytest.mark.parametrize(
    ("major", "compatible", "mime"),
    [
        (b"heic", [b"mif1", b"heic"], "image/heic"),
        (b"mif1", [b"mif1", b"heic", b"hevc"], "image/heic"),
        (b"mif1", [b"mif1", b"miaf"], "image/heif"),
        (b"msf1", [b"msf1"], "image/heif"),
        (b"avif", [b"mif1", b"miaf"], "image/avif"),
        (b"mif1", [b"avif"], "image/avif"),
        (b"avis", [b"msf1"], "image/avif"),
        (b"crx ", [b"crx ", b"isom"], "image/x-canon-cr3"),
        (b"qt  ", [b"qt  "], "video/quicktime"),
        (b"M4A ", [b"M4A ", b"mp42", b"isom"], "audio/mp4"),
        (b"M4B ", [], "audio/mp4"),
        (b"3gp5", [b"isom"], "video/3gpp"),
        (b"3g2a", [], "video/3gpp2"),
        (b"isom", [b"isom", b"iso2", b"avc1", b"mp41"], "video/mp4"),
        (b"mp42", [b"mp42", b"qt  "], "video/mp4"),
        (b"dash", [b"iso6"], "video/mp4"),
        (b"M4V ", [b"M4V ", b"M4A "], "video/mp4"),
    ],
)
def test_iso_media_files_are_told_by_their_brands(major: bytes, compatible: list[bytes], mime: str) -> None:
    assert isobmff_mime(ftyp(major, compatible)) == mime


def test_a_quicktime_file_without_ftyp_is_told_by_its_first_atom() -> None:
    assert isobmff_mime(b"\x00\x00\x0f\x17moov\x00\x00\x00\x6cmvhd") == "video/quicktime"
    assert isobmff_mime(b"\x00\x00\x0f\x17junk") is None


@given(brand, st.lists(brand, max_size=80), st.one_of(st.none(), st.integers(0, 2**32 - 1)), st.data())
def test_any_ftyp_box_parses_within_the_head(
    major: bytes, compatible: list[bytes], size: int | None, data: st.DataObject
) -> None:
    whole = ftyp(major, compatible, size)
    head = whole[: data.draw(st.integers(0, len(whole)))]
    found = brands(head)
    if found is not None:
        assert all(len(b) == 4 for b in found)
        assert found[0] == major
    assert isobmff_mime(head) in (None, *_ISO_TYPES)


_ISO_TYPES = (
    "image/x-canon-cr3",
    "image/heic",
    "image/heif",
    "image/avif",
    "video/quicktime",
    "audio/mp4",
    "video/3gpp",
    "video/3gpp2",
    "video/mp4",
)


def tiff(entries_: list[tuple[int, int, int, bytes]], *, little: bool, extra: bytes = b"") -> bytes:
    """A TIFF with IFD0 at 8 holding ``(tag, type, count, value/offset bytes)``, then ``extra``."""
    order = "<" if little else ">"
    ifd = struct.pack(order + "H", len(entries_))
    for tag, kind, count, value in entries_:
        ifd += struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\x00")
    header = (b"II*\x00" if little else b"MM\x00*") + struct.pack(order + "I", 8)
    return header + ifd + struct.pack(order + "I", 0) + extra


def with_make(make: bytes, *, little: bool, dng: bool = False) -> bytes:
    """A camera TIFF whose Make string sits after IFD0, as cameras write it."""
    order = "<" if little else ">"
    count = 2 if dng else 1
    after_ifd = 8 + 2 + 12 * count + 4
    fields = [(0x010F, 2, len(make) + 1, struct.pack(order + "I", after_ifd))]
    if dng:
        fields.append((0xC612, 1, 4, b"\x01\x04\x00\x00"))
    return tiff(fields, little=little, extra=make + b"\x00")


@pytest.mark.parametrize("little", [True, False])
@pytest.mark.parametrize(
    ("make", "mime"),
    [
        (b"NIKON CORPORATION", "image/x-nikon-nef"),
        (b"SONY", "image/x-sony-arw"),
        (b"PENTAX Corporation", "image/x-pentax-pef"),
        (b"SAMSUNG", "image/x-samsung-srw"),
        (b"Hasselblad", "image/x-hasselblad-3fr"),
        (b"SEIKO EPSON CORP.", "image/x-epson-erf"),
        (b"Phase One A/S", "image/x-phaseone-iiq"),
        (b"Scanner Co", "image/tiff"),
    ],
)
def test_tiff_raws_are_told_by_the_make_in_ifd0(make: bytes, mime: str, little: bool) -> None:
    assert tiff_mime(with_make(make, little=little), "DSC_0001") == mime


@pytest.mark.parametrize("little", [True, False])
def test_dng_version_makes_a_dng_whatever_the_make_and_name(little: bool) -> None:
    for name in ("a.tif", "a.pef", "a"):
        assert tiff_mime(with_make(b"PENTAX", little=little, dng=True), name) == "image/x-adobe-dng"


def test_a_short_make_is_read_inline() -> None:
    assert read_ifd0(tiff([(0x010F, 2, 4, b"SONY")], little=True)).make == "SONY"


def test_a_file_named_tiff_stays_a_tiff_and_a_raw_name_decides_without_a_make() -> None:
    assert tiff_mime(with_make(b"NIKON", little=True), "export.TIFF") == "image/tiff"
    assert tiff_mime(tiff([], little=False), "a.arw") == "image/x-sony-arw"
    assert tiff_mime(tiff([], little=False), "a.jpg") == "image/tiff"


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"IIRO\x08\x00\x00\x00", "image/x-olympus-orf"),
        (b"MMOR\x00\x00\x00\x08", "image/x-olympus-orf"),
        (b"IIU\x00\x18\x00\x00\x00", "image/x-panasonic-rw2"),
        (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "image/x-canon-cr2"),
        (b"II+\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00+\x00\x08\x00\x00", "image/tiff"),
    ],
)
def test_tiff_raws_with_a_magic_of_their_own(head: bytes, mime: str) -> None:
    assert tiff_mime(head, "x") == mime


ifd_entry = st.tuples(
    st.sampled_from([0x010F, 0xC612, 0x0100, 0x014A]) | st.integers(0, 0xFFFF),
    st.integers(0, 20),
    st.integers(0, 2**32 - 1),
    st.binary(min_size=4, max_size=4),
)


@given(st.lists(ifd_entry, max_size=20), st.booleans(), st.binary(max_size=64), st.data())
def test_any_tiff_structure_parses_within_bounds(
    fields: list[tuple[int, int, int, bytes]], little: bool, extra: bytes, data: st.DataObject
) -> None:
    whole = tiff(fields, little=little, extra=extra)
    head = whole[: data.draw(st.integers(0, len(whole)))]
    ifd0 = read_ifd0(head)
    assert ifd0.make is None or ifd0.make.isascii()
    assert tiff_mime(head, "x") is None or len(head) >= 4


def zipped(*files: tuple[str, bytes], stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(files):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()[:SNIFF_BYTES]


@pytest.mark.parametrize(
    ("files", "name", "mime"),
    [
        ((("mimetype", b"application/epub+zip"), ("OEBPS/a.xhtml", b"<a/>")), "x", "application/epub+zip"),
        (
            (("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<a/>")),
            "x",
            "application/vnd.oasis.opendocument.text",
        ),
        (
            (("[Content_Types].xml", b"<Types/>"), ("_rels/.rels", b"<r/>"), ("xl/workbook.xml", b"<w/>")),
            "x",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            (("[Content_Types].xml", b"<Types/>"),),
            "deck.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ((("[Content_Types].xml", b"<Types/>"),), "x.zip", "application/zip"),
        (
            (("archive/data.pkl", b"\x80\x02}q\x00."), ("archive/data/0", b"\x00" * 8)),
            "x",
            "application/x-pytorch",
        ),
        ((("notes.txt", b"hello"),), "x.docx", "application/zip"),
    ],
)
def test_zip_containers_are_told_by_their_entries(
    files: tuple[tuple[str, bytes], ...], name: str, mime: str
) -> None:
    assert zip_mime(zipped(*files, stored_first=True), name) == mime


def test_a_mimetype_entry_naming_something_else_is_only_a_zip() -> None:
    assert zip_mime(zipped(("mimetype", b"text/html"), stored_first=True), "x") == "application/zip"


zip_files = st.lists(
    st.tuples(st.from_regex(r"\w[\w./-]{0,29}", fullmatch=True), st.binary(max_size=300)),
    max_size=8,
    unique_by=lambda f: f[0],
)


@given(zip_files, st.data())
def test_any_zip_head_parses_within_bounds(files: list[tuple[str, bytes]], data: st.DataObject) -> None:
    whole = zipped(*files)
    head = whole[: data.draw(st.integers(0, len(whole)))]
    seen = [name for name, _, _ in entries(head)]
    assert seen == [name for name, _ in files[: len(seen)]]
    mime = zip_mime(head, "x")
    assert mime is None or mime.startswith("application/")


SIGNATURES = [
    (b"8BPS\x00\x01", "image/vnd.adobe.photoshop"),
    (b"\xff\x0a\x08\x04", "image/jxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
    (b"\xff\x4f\xff\x51", "image/x-j2c"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (b"FUJIFILMCCD-RAW 0201", "image/x-fujifilm-raf"),
    (b"\x00MRM\x00\x00", "image/x-minolta-mrw"),
    (b"FOVb\x02\x00", "image/x-sigma-x3f"),
    (b"II\x1a\x00\x00\x00HEAPCCDR", "image/x-canon-crw"),
    (b"{\\rtf1\\ansi", "text/rtf"),
    (b"GGUF\x03\x00\x00\x00", "application/x-gguf"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07\x01\x00", "application/vnd.rar"),
    (b"\x1f\x8b\x08", "application/gzip"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"BZh91AY", "application/x-bzip2"),
    (b"FORM\x00\x00\x01\x1aAIFF", "audio/x-aiff"),
    (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
    (b"\x1a\x45\xdf\xa3\x93\x42\x82\x88matroska", "video/x-matroska"),
    (b"\xff\xfb\x90\x64", "audio/mpeg"),
    (b"\xff\xf1\x50\x80", "audio/aac"),
    (struct.pack("<Q", 120) + b'{"__metadata__":{}}', "application/x-safetensors"),
    (b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.", "application/x-pytorch"),
    (b"\x00" * 257 + b"ustar\x0000", "application/x-tar"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg width="1"/>', "image/svg+xml"),
]


@given(st.sampled_from(SIGNATURES), st.binary(max_size=200))
def test_known_signatures_round_trip_whatever_follows(signature: tuple[bytes, str], tail: bytes) -> None:
    head, mime = signature
    assert sniff_mime(head + tail, "unnamed") == mime


def test_a_pickle_named_as_one_is_not_a_model() -> None:
    assert sniff_mime(b"\x80\x04\x95", "frame.pkl") == "application/x-python-pickle"


def test_the_frame_sync_alone_is_not_mp3() -> None:
    assert sniff_mime(b"\xff\xff\xff\xff", "x") == "application/octet-stream"
