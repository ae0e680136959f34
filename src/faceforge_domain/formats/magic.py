"""Formats told by a fixed signature or a few header fields: images, audio, documents, archives, models.

``magic_mime`` answers from the fixed table first, then from the small probes that need more than a
prefix (RIFF and IFF chunk types, Matroska's DocType, MPEG audio frame headers, safetensors' header
length, pickles, tar, SVG).
"""

from __future__ import annotations

from faceforge_domain.formats.binary import uint

# (offset, signature, mime), checked in order.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"BM", "image/bmp"),
    (0, b"8BPS", "image/vnd.adobe.photoshop"),
    (0, b"\xff\x0a", "image/jxl"),
    (0, b"\x00\x00\x00\x0cJXL \r\n\x87\n", "image/jxl"),
    (0, b"\xff\x4f\xff\x51", "image/x-j2c"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (0, b"FUJIFILMCCD-RAW", "image/x-fujifilm-raf"),
    (0, b"\x00MRM", "image/x-minolta-mrw"),
    (0, b"FOVb", "image/x-sigma-x3f"),
    (6, b"HEAPCCDR", "image/x-canon-crw"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"{\\rtf", "text/rtf"),
    (0, b"GGUF", "application/x-gguf"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"\xfd7zXZ\x00", "application/x-xz"),
    (0, b"BZh", "application/x-bzip2"),
)
_RIFF_TYPES = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_IFF_TYPES = {b"AIFF": "audio/x-aiff", b"AIFC": "audio/x-aiff"}
_EBML = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = b"\x42\x82"
_EBML_HEADER_SCAN = 64  # the DocType sits in the first few dozen bytes of the EBML header
_DOCTYPES = {"webm": "video/webm", "matroska": "video/x-matroska"}
_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024  # the format's own cap on its JSON header
_PICKLE_PROTOCOLS = range(2, 6)
_PICKLE_NAMES = (".pkl", ".pickle")
_TAR_MAGIC_OFFSET = 257
_SVG_SCAN = 1024


def magic_mime(head: bytes, filename: str) -> str | None:
    """The MIME type a signature or a small header probe finds in ``head``, or ``None``."""
    for offset, signature, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime
    return (
        _chunked(head)
        or _matroska(head)
        or _mpeg_audio(head)
        or _safetensors(head)
        or _pickle(head, filename)
        or _tar(head)
        or _svg(head)
    )


def _chunked(head: bytes) -> str | None:
    """RIFF (WebP, WAV, AVI) and IFF (AIFF) files: the form type after the chunk size."""
    if head[:4] == b"RIFF":
        return _RIFF_TYPES.get(head[8:12])
    if head[:4] == b"FORM":
        return _IFF_TYPES.get(head[8:12])
    return None


def _matroska(head: bytes) -> str | None:
    """Matroska or WebM, by the DocType element of the EBML header."""
    if not head.startswith(_EBML):
        return None
    at = head.find(_EBML_DOCTYPE, 4, _EBML_HEADER_SCAN)
    size = head[at + 2] if at >= 0 and at + 2 < len(head) else 0
    if size & 0x80:  # a one-byte length, as every muxer writes it
        doctype = head[at + 3 : at + 3 + (size & 0x7F)]
        return _DOCTYPES.get(doctype.decode("ascii", "replace"), "video/x-matroska")
    return "video/x-matroska"


def _mpeg_audio(head: bytes) -> str | None:
    """A raw MPEG audio stream: an AAC ADTS header or an MP3 frame header with valid fields."""
    if len(head) < 3 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0xF6 == 0xF0:
        return "audio/aac"
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    if version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3:
        return "audio/mpeg"
    return None


def _safetensors(head: bytes) -> str | None:
    """safetensors: an 8-byte little-endian header length, then the JSON header itself."""
    length = uint(head, 0, 8, little=True)
    if length is not None and 2 <= length <= _SAFETENSORS_MAX_HEADER and head[8:10] == b'{"':
        return "application/x-safetensors"
    return None


def _pickle(head: bytes, filename: str) -> str | None:
    """A pickle (protocol 2 to 5): a legacy PyTorch checkpoint, unless named as a plain pickle."""
    if len(head) < 2 or head[0] != 0x80 or head[1] not in _PICKLE_PROTOCOLS:
        return None
    if filename.lower().endswith(_PICKLE_NAMES):
        return "application/x-python-pickle"
    return "application/x-pytorch"


def _tar(head: bytes) -> str | None:
    magic = head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5]
    return "application/x-tar" if magic == b"ustar" else None


def _svg(head: bytes) -> str | None:
    """SVG text: an XML declaration or comment or the ``<svg`` element first, ``<svg`` near the top."""
    start = head[:_SVG_SCAN].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg")) and b"<svg" in start:
        return "image/svg+xml"
    return None
