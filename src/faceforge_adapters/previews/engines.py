"""The preview engines' versions, for ``faceforge doctor``: libvips, FFmpeg, PDFium, LibRaw, libheif.

Each is asked of the Python library the worker decodes with, so a version here means the library and
its shared libraries load in this install (in the frozen build: the ones bundled in ``_internal/``).
The libraries are imported inside each probe, only when doctor asks: Core's own process never loads
them otherwise (the workers do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """One engine: its version, or ``note`` saying why it could not be loaded."""

    name: str
    version: str | None
    note: str | None = None

    @property
    def found(self) -> bool:
        return self.version is not None


def _dotted(parts: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in parts)


def _libvips() -> str:
    import pyvips

    return _dotted(tuple(int(pyvips.version(flag)) for flag in (0, 1, 2)))


def _ffmpeg() -> str:
    import av

    return f"{av.ffmpeg_version_info} (libavcodec {_dotted(av.library_versions['libavcodec'])})"


def _pdfium() -> str:
    import pypdfium2

    return str(pypdfium2.PDFIUM_INFO.tag)


def _libraw() -> str:
    import rawpy

    return _dotted(rawpy.libraw_version)


def _libheif() -> str:
    import pi_heif

    info = pi_heif.libheif_info()
    decoders = ", ".join(sorted(info["decoders"])) or "none"
    return f"{info['libheif']} (decoders: {decoders})"


PROBES: dict[str, Callable[[], str]] = {
    "libvips": _libvips,
    "ffmpeg": _ffmpeg,
    "pdfium": _pdfium,
    "libraw": _libraw,
    "libheif": _libheif,
}


def probe(name: str, ask: Callable[[], str]) -> EngineInfo:
    """One engine's version; a library or shared library that does not load is a note, not a crash."""
    try:
        return EngineInfo(name, ask())
    except (ImportError, OSError) as exc:
        return EngineInfo(name, None, f"cannot be loaded: {exc}")


def engines() -> list[EngineInfo]:
    """Every preview engine, in ``PROBES`` order."""
    return [probe(name, ask) for name, ask in PROBES.items()]
