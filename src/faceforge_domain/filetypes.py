"""File names, MIME types and asset kinds: pure rules, no I/O.

The MIME type is sniffed from the first bytes where a signature is known and only then taken from the
file name, never blindly from a client's header; the probes for each format family live in
``formats/``. The kind follows from the type (``infer_kind``).
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import unicodedata

from faceforge_domain.errors import FieldError, Invalid
from faceforge_domain.formats.isobmff import isobmff_mime
from faceforge_domain.formats.magic import magic_mime
from faceforge_domain.formats.raw import RAW_TYPES, raw_by_name
from faceforge_domain.formats.tiff import tiff_mime
from faceforge_domain.formats.zip import zip_mime

_LORA_EXTENSIONS = (".safetensors", ".ckpt", ".pt")
# How much of a file's start the sniffing reads: a camera's TIFF IFD0 and the strings it points at
# (Make), a ZIP's first local headers (an OOXML file's ``word/`` part comes after a few small
# entries) and a tar header (at 257) all fall in the first 4 KiB. Everything that ingests bytes
# keeps this much of the head (small files: all of it), so no file is read twice for its type.
SNIFF_BYTES = 4096
OCTET_STREAM = "application/octet-stream"
# Types only the name tells (ONNX has no signature), where ``mimetypes`` may know none. Formats with
# a signature are not here: a ``.safetensors`` name on other bytes does not make them safetensors.
_TYPES_BY_EXTENSION: dict[str, str] = {".onnx": "application/x-onnx", ".svg": "image/svg+xml"}
DOCUMENT_TYPES = frozenset(
    {
        "application/epub+zip",
        "application/msword",
        "application/rtf",
        "text/rtf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
_DOCUMENT_FAMILIES = ("application/vnd.oasis.opendocument.",)
MODEL_TYPES = frozenset(
    {"application/x-safetensors", "application/x-pytorch", "application/x-gguf", "application/x-onnx"}
)
ARCHIVE_TYPES = frozenset(
    {
        "application/zip",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/gzip",
        "application/x-xz",
        "application/x-bzip2",
        "application/x-tar",
    }
)
_KINDS_BY_TYPE: tuple[tuple[frozenset[str], str], ...] = (
    (RAW_TYPES, "image.raw"),
    (DOCUMENT_TYPES, "doc.document"),
    (MODEL_TYPES, "model.weights"),
    (ARCHIVE_TYPES, "archive"),
)
# The kinds ``infer_kind`` gives on its own (a client may name any other).
INFERRED_KINDS = (
    "image.original",
    "image.raw",
    "video.original",
    "audio.clip",
    "doc.pdf",
    "doc.document",
    "model.lora",
    "model.weights",
    "archive",
    "file",
)
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
    """MIME type from the leading bytes, then from the name, else ``application/octet-stream``.

    ``head`` is the file's first ``SNIFF_BYTES`` (all of it when shorter); any bytes at all are
    answered, never an error.
    """
    found = isobmff_mime(head) or tiff_mime(head, filename) or zip_mime(head, filename)
    return found or magic_mime(head, filename) or _mime_by_name(filename)


def _mime_by_name(filename: str) -> str:
    dot = filename.rfind(".")
    extension = filename[dot:].lower() if dot >= 0 else ""
    known = _TYPES_BY_EXTENSION.get(extension) or raw_by_name(filename)
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return known or guessed or OCTET_STREAM


def shows_passively(mime_type: str) -> bool:
    """Whether a browser may show this type in place (``inline``) without running any of it.

    SVG and other XML images can carry script, so only non-XML images count.
    """
    media = mime_type.split(";", 1)[0].strip().lower()
    if media in _PASSIVE_TYPES:
        return True
    return media.startswith(_PASSIVE_FAMILIES) and "xml" not in media and "svg" not in media


def infer_kind(mime_type: str, filename: str) -> str:
    """The asset kind a file gets when the uploader names none (the list: ``INFERRED_KINDS``)."""
    if filename.lower().endswith(_LORA_EXTENSIONS):
        return "model.lora"
    if mime_type == "application/pdf":
        return "doc.pdf"
    for types, kind in _KINDS_BY_TYPE:
        if mime_type in types:
            return kind
    if mime_type.startswith(_DOCUMENT_FAMILIES):
        return "doc.document"
    return family_kind(mime_type)


def family_kind(mime_type: str) -> str:
    """The broad kind of a type's family (``image.original``, ``video.original``, ``audio.clip``), else
    ``file``: what ``infer_kind`` falls back to, and all it knew of most types before it knew RAWs,
    documents, models and archives."""
    family = mime_type.split("/", 1)[0]
    return {"image": "image.original", "video": "video.original", "audio": "audio.clip"}.get(family, "file")
