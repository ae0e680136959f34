"""Camera RAW formats: their MIME types, the file extensions that name them, and the makers' words.

Shared by the TIFF probe (which reads a maker from IFD0) and by ``filetypes`` (which falls back to a
file's extension and turns every RAW type into the ``image.raw`` kind).
"""

from __future__ import annotations

RAW_BY_EXTENSION: dict[str, str] = {
    ".3fr": "image/x-hasselblad-3fr",
    ".arw": "image/x-sony-arw",
    ".cr2": "image/x-canon-cr2",
    ".cr3": "image/x-canon-cr3",
    ".crw": "image/x-canon-crw",
    ".dcr": "image/x-kodak-dcr",
    ".dng": "image/x-adobe-dng",
    ".erf": "image/x-epson-erf",
    ".iiq": "image/x-phaseone-iiq",
    ".kdc": "image/x-kodak-kdc",
    ".mef": "image/x-mamiya-mef",
    ".mos": "image/x-leaf-mos",
    ".mrw": "image/x-minolta-mrw",
    ".nef": "image/x-nikon-nef",
    ".nrw": "image/x-nikon-nrw",
    ".orf": "image/x-olympus-orf",
    ".pef": "image/x-pentax-pef",
    ".raf": "image/x-fujifilm-raf",
    ".rw2": "image/x-panasonic-rw2",
    ".rwl": "image/x-leica-rwl",
    ".sr2": "image/x-sony-sr2",
    ".srf": "image/x-sony-srf",
    ".srw": "image/x-samsung-srw",
    ".x3f": "image/x-sigma-x3f",
}
RAW_TYPES = frozenset(RAW_BY_EXTENSION.values())
DNG = RAW_BY_EXTENSION[".dng"]
# The start of IFD0's Make (upper case) for makers whose RAW files are TIFFs without a magic of their own.
RAW_BY_MAKE: tuple[tuple[str, str], ...] = (
    ("NIKON", RAW_BY_EXTENSION[".nef"]),
    ("SONY", RAW_BY_EXTENSION[".arw"]),
    ("PENTAX", RAW_BY_EXTENSION[".pef"]),
    ("RICOH IMAGING", RAW_BY_EXTENSION[".pef"]),
    ("SAMSUNG", RAW_BY_EXTENSION[".srw"]),
    ("HASSELBLAD", RAW_BY_EXTENSION[".3fr"]),
    ("SEIKO EPSON", RAW_BY_EXTENSION[".erf"]),
    ("LEAF", RAW_BY_EXTENSION[".mos"]),
    ("PHASE ONE", RAW_BY_EXTENSION[".iiq"]),
    ("MAMIYA", RAW_BY_EXTENSION[".mef"]),
)


def raw_by_name(filename: str) -> str | None:
    """The RAW type a file's extension names, if any."""
    dot = filename.rfind(".")
    return None if dot < 0 else RAW_BY_EXTENSION.get(filename[dot:].lower())


def raw_by_make(make: str) -> str | None:
    """The RAW type of a TIFF-based file from the camera maker IFD0 names."""
    upper = make.strip().upper()
    return next((mime for prefix, mime in RAW_BY_MAKE if upper.startswith(prefix)), None)
