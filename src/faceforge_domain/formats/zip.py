"""ZIP containers told apart by their entries: EPUB, OpenDocument, Office Open XML, PyTorch checkpoints.

EPUB and OpenDocument store an uncompressed ``mimetype`` entry first that names the type. OOXML
files open with ``[Content_Types].xml`` and keep their parts under ``word/``, ``xl/`` or ``ppt/``;
a PyTorch checkpoint holds ``<name>/data.pkl``. The local file headers are walked as far as the head
reaches; what is not seen there does not count.
"""

from __future__ import annotations

from collections.abc import Iterator

from faceforge_domain.formats.binary import ascii_at, uint

ZIP = "application/zip"
PYTORCH = "application/x-pytorch"
_LOCAL_HEADER = b"PK\x03\x04"
_HEADER_SIZE = 30
_SIZES_IN_DESCRIPTOR = 0x08  # general purpose flag: sizes come after the data, so the walk stops
_MAX_MIME = 100
_OOXML_FOLDERS: dict[str, str] = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OOXML_BY_EXTENSION: dict[str, str] = {
    ".docx": _OOXML_FOLDERS["word/"],
    ".xlsx": _OOXML_FOLDERS["xl/"],
    ".pptx": _OOXML_FOLDERS["ppt/"],
}
_NAMED_TYPES = ("application/epub+zip", "application/vnd.oasis.opendocument.")


def entries(head: bytes) -> Iterator[tuple[str, int, int]]:
    """``(name, data offset, stored size)`` of each local file header found in ``head``, in order."""
    offset = 0
    while head[offset : offset + 4] == _LOCAL_HEADER:
        flags = uint(head, offset + 6, 2, little=True)
        size = uint(head, offset + 18, 4, little=True)
        name_length = uint(head, offset + 26, 2, little=True)
        extra_length = uint(head, offset + 28, 2, little=True)
        if flags is None or size is None or name_length is None or extra_length is None:
            return
        name_end = offset + _HEADER_SIZE + name_length
        if name_end > len(head):
            return
        data = name_end + extra_length
        yield head[offset + _HEADER_SIZE : name_end].decode("utf-8", "replace"), data, size
        if flags & _SIZES_IN_DESCRIPTOR:
            return
        offset = data + size


def zip_mime(head: bytes, filename: str) -> str | None:
    """The MIME type of a ZIP-based file, or ``None`` when ``head`` is not a ZIP."""
    if not head.startswith(_LOCAL_HEADER):
        return None
    names: list[str] = []
    for name, data, size in entries(head):
        if not names and name == "mimetype":
            named = ascii_at(head, data, min(size, _MAX_MIME))
            if named is not None and named.startswith(_NAMED_TYPES):
                return named
        names.append(name)
    return _by_names(names, filename)


def _by_names(names: list[str], filename: str) -> str:
    if any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        return PYTORCH
    for folder, mime in _OOXML_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return mime
    if names and names[0] == "[Content_Types].xml":
        dot = filename.rfind(".")
        return _OOXML_BY_EXTENSION.get(filename[dot:].lower() if dot >= 0 else "", ZIP)
    return ZIP
