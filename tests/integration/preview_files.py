"""Files made for the preview tests with the real libraries: each one exercises one decoder rule.

Every maker answers the file's bytes; sizes are small so the tests stay fast.
"""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pypdfium2 as pdfium
import pyvips
from av.stream import Disposition
from PIL import Image

RED = (220, 30, 30)
GREEN = (30, 200, 60)
BLUE = (30, 40, 220)
EXIF_ORIENTATION = 0x0112


def _pillow(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, seed: int = 1) -> np.ndarray:
    """An RGB picture of random pixels (compresses badly, decodes slowly)."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    return _pillow(Image.fromarray(pixels), "JPEG", quality=quality)


def turned_jpeg() -> bytes:
    """A 60x40 landscape JPEG whose EXIF says: turn 90 degrees clockwise to show (orientation 6)."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    return _pillow(Image.new("RGB", (60, 40), RED), "JPEG", exif=exif)


def cmyk_jpeg() -> bytes:
    """A pure cyan CMYK JPEG (C=100%)."""
    return _pillow(Image.new("CMYK", (40, 30), (255, 0, 0, 0)), "JPEG", quality=95)


def p3_jpeg() -> bytes:
    """Pure sRGB green, converted to Display P3 and saved with the P3 profile: its pixels are not green
    until converted back to sRGB."""
    green = (
        pyvips.Image.black(40, 30, bands=3).linear(1, [0, 255, 0]).cast("uchar").copy(interpretation="srgb")
    )
    return bytes(green.icc_transform("p3", input_profile="srgb", embedded=False).jpegsave_buffer(Q=95))


def png16() -> bytes:
    """A 16-bit RGB PNG of one colour (40000 of 65535 in each band, 155 of 255)."""
    image = pyvips.Image.black(50, 20, bands=3).linear(1, 40000).cast("ushort")
    return bytes(image.copy(interpretation="rgb16").pngsave_buffer(bitdepth=16))


def animated_gif() -> bytes:
    """Red first frame, then green and blue ones."""
    frames = [Image.new("RGB", (30, 20), colour) for colour in (RED, GREEN, BLUE)]
    return _pillow(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def multipage_tiff() -> bytes:
    """Page 1 green (40x30), page 2 blue and larger."""
    second = Image.new("RGB", (80, 20), BLUE)
    return _pillow(Image.new("RGB", (40, 30), GREEN), "TIFF", save_all=True, append_images=[second])


def avif() -> bytes:
    return _pillow(Image.new("RGB", (48, 32), BLUE), "AVIF")


def dark_then_bright_video(seconds: int = 5, dark_s: int = 2, fps: int = 10) -> bytes:
    """An MP4 (H.264, 64x48) whose first ``dark_s`` seconds are black, then a bright gradient."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        bright = np.dstack([np.tile(np.linspace(120, 255, 64, dtype=np.uint8), (48, 1))] * 3)
        black = np.zeros_like(bright)
        for index in range(seconds * fps):
            pixels = black if index < dark_s * fps else bright
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def mp3(seconds: float = 1.0, cover: bytes | None = None) -> bytes:
    """A 440 Hz tone as MP3, with ``cover`` (a 64x64 JPEG) as its attached picture when given."""
    rate = 22050
    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        sound = container.add_stream("libmp3lame", rate=rate, layout="mono")
        if cover is not None:
            picture = container.add_stream("mjpeg")
            picture.width, picture.height, picture.pix_fmt = 64, 64, "yuvj420p"
            picture.disposition = Disposition.attached_pic
            packet = av.Packet(cover)
            packet.stream = picture
            container.mux(packet)
        wave = (np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        container.mux(sound.encode(frame))
        container.mux(sound.encode(None))
    return out.getvalue()


def two_page_pdf() -> bytes:
    """Page 1 portrait (200x300 pt), page 2 wide (600x100 pt)."""
    document = pdfium.PdfDocument.new()
    document.new_page(200, 300)
    document.new_page(600, 100)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side: int = 50_000) -> bytes:
    """A PNG whose header says ``side`` x ``side`` grey pixels (2.5 gigapixels at 50000), with the first
    rows of zeros: a few KB of file for gigabytes of pixels."""
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def hevc_heic() -> bytes:
    """A HEIC as phones write it (HEVC-coded, brand ``heic``), made by libheif's ``heif-enc`` (x265)."""
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder, "in.png"), Path(folder, "out.heic")
        source.write_bytes(_pillow(Image.new("RGB", (48, 32), RED), "PNG"))
        subprocess.run(
            ["heif-enc", "-q", "90", "-o", str(target), str(source)], check=True, capture_output=True
        )
        return target.read_bytes()


def mif1_heif() -> bytes:
    """An AVIF still relabelled with the generic HEIF brand ``mif1`` (as many cameras write it): the
    upload sniffing calls it ``video/mp4``."""
    data = avif()
    return data[:8] + b"mif1" + data[12:]


def photo_like(seed: int, width: int = 2000, height: int = 1500) -> np.ndarray:
    """An RGB picture with a photo's structure: smooth gradients, a few solid shapes, sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    bands = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 2 * np.pi)
        wave = np.sin(x / width * fx * np.pi + phase) * np.cos(y / height * fy * np.pi)
        bands.append(128 + 90 * wave)
    pixels = np.dstack(bands)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(80, 400)
        pixels[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    pixels += rng.normal(0, 8, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)
