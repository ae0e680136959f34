"""File names, MIME types and asset kinds: pure rules, no I/O.

The MIME type is sniffed from the first bytes where a signature is known and only then taken from the
file name, never blindly from a client's header.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import unicodedata

from faceforge_domain.errors import FieldError, Invalid

# (offset, signature, mime) — the formats users actually drop in, checked in order.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"BM", "image/bmp"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "video/x-matroska"),
    (0, b"PK\x03\x04", "application/zip"),
    (4, b"ftypqt", "video/quicktime"),
    (4, b"ftypheic", "image/heic"),
    (4, b"ftypavif", "image/avif"),
    (4, b"ftypM4A", "audio/mp4"),
    (4, b"ftyp", "video/mp4"),
)
_RIFF_KINDS = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_LORA_EXTENSIONS = (".safetensors", ".ckpt", ".pt")
SNIFF_BYTES = 64
# What a browser shows without running anything in it. Everything else (HTML, SVG, XML, scripts...)
# could run script on the app's own origin if it were shown, so it is only ever downloaded.
_PASSIVE_FAMILIES = ("image/", "video/", "audio/")
_PASSIVE_TYPES = frozenset({"application/pdf", "text/plain"})
# An asset's kind: lowercase words joined by dots (``image.original``, ``model.lora``).
KIND_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
MAX_KIND = 64
KIND_RULE = "must be lowercase words joined by dots, like image.original"
# The longest file name accepted, as sent (every way in: multipart, PUT, tus, bulk import, PATCH).
MAX_FILENAME_CHARS = 1024


def check_filename(raw: str, field: str = "filename") -> list[FieldError]:
    """What is wrong with a file name as sent: only its length (cleaning takes care of the rest)."""
    if len(raw) > MAX_FILENAME_CHARS:
        return [FieldError(field, f"must be at most {MAX_FILENAME_CHARS} characters (got {len(raw)})")]
    return []


def clean_filename(raw: str, field: str = "filename") -> str:
    """The base name only: path parts (either slash) and control characters removed.

    A name longer than ``MAX_FILENAME_CHARS`` is ``Invalid`` (on ``field``), never cut short silently.
    """
    if errors := check_filename(raw, field):
        raise Invalid(errors)
    base = posixpath.basename(raw.replace("\\", "/"))
    printable = base.isprintable()  # the usual case, answered without a look at every character
    cleaned = (
        base if printable else "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    ).strip()
    if cleaned in ("", ".", ".."):
        return "unnamed"
    return cleaned


def sniff_mime(head: bytes, filename: str) -> str:
    """MIME type from the leading bytes, then from the name, else ``application/octet-stream``."""
    if head[:4] == b"RIFF" and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    for offset, signature, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime
    if filename.lower().endswith(".safetensors"):
        return "application/octet-stream"
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def shows_passively(mime_type: str) -> bool:
    """Whether a browser may show this type in place (``inline``) without running any of it.

    SVG and other XML images can carry script, so only non-XML images count.
    """
    media = mime_type.split(";", 1)[0].strip().lower()
    if media in _PASSIVE_TYPES:
        return True
    return media.startswith(_PASSIVE_FAMILIES) and "xml" not in media and "svg" not in media


def infer_kind(mime_type: str, filename: str) -> str:
    """The asset kind a file gets when the uploader names none."""
    if filename.lower().endswith(_LORA_EXTENSIONS):
        return "model.lora"
    if mime_type == "application/pdf":
        return "doc.pdf"
    family = mime_type.split("/", 1)[0]
    return {"image": "image.original", "video": "video.original", "audio": "audio.clip"}.get(family, "file")
