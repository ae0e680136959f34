"""File names and types: cleaning client-supplied names, sniffing MIME types, choosing a kind."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceforge_domain.errors import Invalid
from faceforge_domain.filetypes import (
    INFERRED_KINDS,
    MAX_FILENAME_CHARS,
    clean_filename,
    infer_kind,
    shows_passively,
    sniff_mime,
)


@given(st.text(max_size=200))
def test_clean_filename_is_never_empty_and_never_holds_separators_or_control_characters(raw: str) -> None:
    cleaned = clean_filename(raw)
    assert cleaned
    assert cleaned not in (".", "..")
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert all(unicodedata.category(ch)[0] != "C" for ch in cleaned)
    assert cleaned == cleaned.strip()


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=["C"], blacklist_characters="/\\"),
        min_size=1,
        max_size=MAX_FILENAME_CHARS,
    )
)
def test_clean_filename_keeps_an_ordinary_name(name: str) -> None:
    if name.strip() not in ("", ".", ".."):
        assert clean_filename(name) == name.strip()


@given(st.integers(min_value=MAX_FILENAME_CHARS - 2, max_value=MAX_FILENAME_CHARS * 10))
def test_a_name_past_the_limit_is_refused_never_cut_short(length: int) -> None:
    raw = "dir/" + "n" * (length - 4)
    if length <= MAX_FILENAME_CHARS:
        assert clean_filename(raw) == "n" * (length - 4)
        return
    with pytest.raises(Invalid) as refused:
        clean_filename(raw)
    assert refused.value.errors[0].field == "filename"
    assert f"at most {MAX_FILENAME_CHARS} characters" in refused.value.message


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\photo.jpg", "photo.jpg"),
        ("ph\x00o\nto.png", "photo.png"),
        ("dir/", "unnamed"),
        ("..", "unnamed"),
        ("   ", "unnamed"),
        ("Ada Lovelace.jpg", "Ada Lovelace.jpg"),
    ],
)
def test_clean_filename_examples(raw: str, cleaned: str) -> None:
    assert clean_filename(raw) == cleaned


@pytest.mark.parametrize(
    ("head", "name", "mime"),
    [
        (b"\xff\xd8\xff\xe0rest", "x.bin", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "x.jpg", "image/png"),
        (b"GIF89a", "x", "image/gif"),
        (b"%PDF-1.7", "x", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "x", "audio/wav"),
        (b"\x00\x00\x00\x18ftypheic", "x", "image/heic"),
        (b"\x00\x00\x00\x18ftypisom", "x", "video/mp4"),
        (b"\x00\x00\x00\x18ftypisom", "x.heic", "video/mp4"),
        (b"\x1a\x45\xdf\xa3", "x", "video/x-matroska"),
        (b"II*\x00\x08\x00\x00\x00\x00\x00", "x.nef", "image/x-nikon-nef"),
        (b"II*\x00\x08\x00\x00\x00\x00\x00", "x.tif", "image/tiff"),
        (b"\x00\x01", "model.onnx", "application/x-onnx"),
        (b"\x00\x01", "photo.NEF", "image/x-nikon-nef"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x", "image/svg+xml"),
        (b"fLaC", "x", "audio/flac"),
        (b"plain words", "notes.txt", "text/plain"),
        (b"\x00\x01", "weights.safetensors", "application/octet-stream"),
        (b"\x00\x01", "no-extension", "application/octet-stream"),
    ],
)
def test_sniff_mime_prefers_the_bytes_then_the_name(head: bytes, name: str, mime: str) -> None:
    assert sniff_mime(head, name) == mime


@pytest.mark.parametrize(
    ("mime", "name", "kind"),
    [
        ("application/octet-stream", "face.safetensors", "model.lora"),
        ("application/octet-stream", "FACE.CKPT", "model.lora"),
        ("application/octet-stream", "face.pt", "model.lora"),
        ("application/zip", "face.ckpt", "model.lora"),
        ("image/jpeg", "a.jpg", "image.original"),
        ("video/mp4", "a.mp4", "video.original"),
        ("audio/flac", "a.flac", "audio.clip"),
        ("application/pdf", "a.pdf", "doc.pdf"),
        ("text/plain", "a.txt", "file"),
        ("application/octet-stream", "a.bin", "file"),
        ("image/x-canon-cr3", "a.cr3", "image.raw"),
        ("image/x-adobe-dng", "a.dng", "image.raw"),
        ("image/heic", "a.heic", "image.original"),
        ("image/avif", "a.avif", "image.original"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx", "doc.document"),
        ("application/vnd.oasis.opendocument.text", "a.odt", "doc.document"),
        ("application/epub+zip", "a.epub", "doc.document"),
        ("text/rtf", "a.rtf", "doc.document"),
        ("application/x-safetensors", "face.safetensors", "model.lora"),
        ("application/x-safetensors", "base", "model.weights"),
        ("application/x-gguf", "llm.gguf", "model.weights"),
        ("application/x-onnx", "net.onnx", "model.weights"),
        ("application/x-pytorch", "net.pth", "model.weights"),
        ("application/zip", "a.zip", "archive"),
        ("application/x-7z-compressed", "a.7z", "archive"),
    ],
)
def test_infer_kind_table(mime: str, name: str, kind: str) -> None:
    assert infer_kind(mime, name) == kind


@given(st.binary(max_size=600), st.sampled_from(["x", "a.tif", "a.nef", "a.docx", "a.pkl", "a.onnx"]))
def test_any_bytes_get_a_type_and_a_known_kind(head: bytes, name: str) -> None:
    mime = sniff_mime(head, name)
    assert "/" in mime
    assert infer_kind(mime, name) in INFERRED_KINDS


@pytest.mark.parametrize(
    ("mime", "passive"),
    [
        ("image/jpeg", True),
        ("IMAGE/PNG", True),
        ("video/mp4", True),
        ("audio/mpeg", True),
        ("application/pdf", True),
        ("text/plain; charset=utf-8", True),
        ("image/svg+xml", False),
        ("IMAGE/SVG+XML; charset=utf-8", False),
        ("image/svg", False),
        ("image/x-canon-cr3", True),
        ("text/html", False),
        ("application/xhtml+xml", False),
        ("text/xml", False),
        ("text/javascript", False),
        ("application/octet-stream", False),
        ("", False),
    ],
)
def test_only_types_shown_without_running_anything_count_as_passive(mime: str, passive: bool) -> None:
    assert shows_passively(mime) is passive
