"""The preview worker: a child process that decodes one untrusted file at a time.

Started as ``python -m faceforge_adapters.previews.worker`` (or as the frozen ``faceforge`` with
``FACEFORGE_PREVIEW_WORKER=1``, see ``packaging/faceforge_entry.py``). It reads its settings, applies
its limits, then answers each request on stdin with one answer on stdout until stdin ends (its one
``-stay_open`` ExifTool, started with the first camera RAW, is killed then, or dies with it). Its stdout
carries messages only: what a library prints goes to stderr. A failure of the file is an answer with
a reason; a crash of a decoder ends the process, and Core fails that one file.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

import av
import pypdfium2
import pyvips

from faceforge_adapters.exiftool.blocking import BlockingExifTool
from faceforge_adapters.previews import limits
from faceforge_adapters.previews.decode_image import decode_image
from faceforge_adapters.previews.decode_media import decode_audio, decode_video
from faceforge_adapters.previews.decode_pdf import decode_pdf
from faceforge_adapters.previews.decode_raw import decode_raw, open_exiftool
from faceforge_adapters.previews.picture import Decoded, answer
from faceforge_adapters.previews.protocol import (
    MARKER,
    RenderAnswer,
    RenderRequest,
    WorkerSettings,
    frame,
    read_message,
)

# What the libraries raise for a bad file (Pillow: OSError, ValueError, SyntaxError, EOFError).
DECODE_ERRORS = (
    pyvips.Error,
    av.FFmpegError,
    pypdfium2.PdfiumError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
)


def _decode(request: RenderRequest, settings: WorkerSettings, exiftool: BlockingExifTool | None) -> Decoded:
    path, max_pixels = request.path, settings.max_pixels
    match request.engine:
        case "image":
            return decode_image(path, max_pixels)
        case "raw":
            return decode_raw(path, max_pixels, exiftool)
        case "video":
            return decode_video(path, max_pixels)
        case "audio":
            return decode_audio(path, max_pixels)
        case "pdf":
            return decode_pdf(path)


def _first_line(error: Exception, path: str) -> str:
    """What went wrong, in one line, without the file's path (a storage detail).

    libvips errors start with what it was doing ("unable to call ...", "unable to copy to memory");
    the line after says why. FFmpeg's carry an error number and the function that failed around their
    message.
    """
    if isinstance(error, av.FFmpegError) and error.strerror:
        return str(error.strerror)
    text = str(error).replace(repr(path), "the file").replace(path, "the file")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("unable to ")]
    return (useful or lines or [type(error).__name__])[0]


def render(
    request: RenderRequest, settings: WorkerSettings, exiftool: BlockingExifTool | None
) -> RenderAnswer:
    """One file's answer; a bad file is an answer with a reason, never an exception."""
    try:
        return answer(_decode(request, settings, exiftool))
    except limits.DecodeRefused as exc:
        return RenderAnswer(reason=exc.reason)
    except MemoryError:
        return RenderAnswer(reason=f"decoding needs more than the {settings.max_memory_mb} MB allowed")
    except DECODE_ERRORS as exc:
        return RenderAnswer(reason=f"the file could not be decoded: {_first_line(exc, request.path)}")


def _private_stdout() -> BinaryIO:
    """The messages' own copy of stdout; fd 1 then points at stderr, so nothing else lands in it."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    return channel


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    settings = read_message(requests, WorkerSettings)
    if settings is None:
        return
    limits.apply(settings)
    exiftool = open_exiftool(settings.exiftool)  # one for every RAW this worker reads
    try:
        while (request := read_message(requests, RenderRequest)) is not None:
            answers.write(frame(render(request, settings, exiftool)))
            answers.flush()
    finally:
        if exiftool is not None:
            exiftool.close()


def main() -> int:
    os.environ.pop(MARKER, None)  # not for the worker's own children (ExifTool)
    import pi_heif

    pi_heif.register_heif_opener()
    serve(sys.stdin.buffer, _private_stdout())
    return 0


if __name__ == "__main__":
    sys.exit(main())
