"""Draw the launcher icon (a face on an indigo tile) as RGBA PNGs and an ICO, with the stdlib only.

Run from desktop/: ``python3 scripts/make_icons.py``. The outputs are committed; this script is how
they were made, so they can be redrawn without any image tool or download.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "app" / "icons"
TILE = (79, 70, 229)
FACE = (255, 255, 255)
INK = (30, 27, 75)


def _inside_rounded(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _pixel(x: float, y: float) -> tuple[int, int, int, int]:
    if not _inside_rounded(x, y, 0.22):
        return (0, 0, 0, 0)
    d_face = (x - 0.5) ** 2 + (y - 0.5) ** 2
    if d_face > 0.32**2:
        return (*TILE, 255)
    for ex in (0.39, 0.61):
        if (x - ex) ** 2 + (y - 0.43) ** 2 <= 0.045**2:
            return (*INK, 255)
    smile = ((x - 0.5) ** 2 + (y - 0.5) ** 2) ** 0.5
    if 0.15 <= smile <= 0.19 and y > 0.56:
        return (*INK, 255)
    return (*FACE, 255)


def png(size: int) -> bytes:
    """An RGBA PNG of the icon, 4x4 supersampled so edges are smooth."""
    rows = bytearray()
    for j in range(size):
        rows.append(0)
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(4):
                for si in range(4):
                    px = _pixel((i + (si + 0.5) / 4) / size, (j + (sj + 0.5) / 4) / size)
                    for k in range(4):
                        acc[k] += px[k]
            rows.extend(v // 16 for v in acc)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """An ICO whose entries are PNGs (valid since Windows Vista)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return head + entries + blobs


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made = {size: png(size) for size in (32, 128, 256)}
    (OUT / "32x32.png").write_bytes(made[32])
    (OUT / "128x128.png").write_bytes(made[128])
    (OUT / "icon.png").write_bytes(made[256])
    (OUT / "icon.ico").write_bytes(ico([(32, made[32]), (256, made[256])]))
    (OUT.parent / "ui" / "icon.png").write_bytes(made[128])  # the page header


if __name__ == "__main__":
    main()
