"""Which engine makes the preview of a file, from its MIME type and name alone (no I/O).

Camera RAW files are told by their extension: most are TIFF or ISO-media inside, so their sniffed
type says ``image/tiff`` or ``video/mp4``. So are HEIF and AVIF stills, whatever their brands made
of their sniffed type. SVG and other XML images are left out (their pictures are programs), and so
is every type no engine reads.
"""

from __future__ import annotations

from faceforge_adapters.previews.protocol import Engine

RAW_EXTENSIONS = frozenset(
    {
        ".3fr",
        ".arw",
        ".cr2",
        ".cr3",
        ".crw",
        ".dcr",
        ".dng",
        ".erf",
        ".iiq",
        ".k25",
        ".kdc",
        ".mef",
        ".mos",
        ".mrw",
        ".nef",
        ".nrw",
        ".orf",
        ".pef",
        ".raf",
        ".raw",
        ".rw2",
        ".rwl",
        ".sr2",
        ".srf",
        ".srw",
        ".x3f",
    }
)
STILL_EXTENSIONS = frozenset({".avif", ".heic", ".heif", ".hif"})
_FAMILIES: dict[str, Engine] = {"image/": "image", "video/": "video", "audio/": "audio"}
_TYPES: dict[str, Engine] = {"application/pdf": "pdf"}


def extension(filename: str) -> str:
    """The lowercase extension with its dot, or ``""``."""
    stem, dot, suffix = filename.rpartition(".")
    return f".{suffix.lower()}" if dot and stem else ""


def engine_for(mime_type: str, filename: str) -> Engine | None:
    """The engine for this file, or ``None`` when it cannot have a preview."""
    if extension(filename) in RAW_EXTENSIONS:
        return "raw"
    if extension(filename) in STILL_EXTENSIONS:
        return "image"
    media = mime_type.split(";", 1)[0].strip().lower()
    if "svg" in media or "xml" in media:
        return None
    if media in _TYPES:
        return _TYPES[media]
    return next((engine for family, engine in _FAMILIES.items() if media.startswith(family)), None)
