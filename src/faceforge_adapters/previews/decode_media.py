"""Video and sound through FFmpeg (PyAV): a poster frame and the duration; a sound's cover art.

The poster is a representative frame a few seconds in, not the first one (often black): a frame is
taken at a few points of the video, the first that is neither dark nor flat wins, else the liveliest
of them. Only a few frames are decoded, whatever the length of the video.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import av
import numpy as np
import pyvips
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from faceforge_adapters.previews.limits import DecodeRefused, check_pixels
from faceforge_adapters.previews.picture import LARGE, Decoded, from_array

# Where a poster is looked for: seconds in (capped), then shares of the duration.
POSTER_AT_S = 3.0
POSTER_SHARES = (0.1, 0.25, 0.5)
FRAMES_PER_POINT = 12  # frames decoded after a seek before the point is given up
# A frame whose mean grey is below DARK or whose spread is below FLAT (0-255) is not a poster.
DARK = 24.0
FLAT = 12.0
OPEN_TIMEOUT_S = 20.0


def _open(path: str) -> InputContainer:
    try:
        # Tags in another encoding than UTF-8 (old RealMedia, ID3v1) must not fail the whole file.
        return av.open(path, timeout=OPEN_TIMEOUT_S, metadata_errors="replace")
    except av.FFmpegError as exc:
        raise DecodeRefused(f"FFmpeg cannot read this file ({exc.strerror or type(exc).__name__})") from None


def _duration(container: InputContainer) -> float | None:
    return container.duration / av.time_base if container.duration else None


def _poster_points(duration: float | None) -> list[float]:
    if not duration:
        return [0.0]
    points = [min(POSTER_AT_S, duration * POSTER_SHARES[0])]
    points += [duration * share for share in POSTER_SHARES[1:]]
    return points


def _frame_at(container: InputContainer, stream: VideoStream, seconds: float) -> VideoFrame | None:
    if seconds > 0 and stream.time_base is not None:
        # Not seekable (a stream without an index): the frames from here on serve.
        with contextlib.suppress(av.FFmpegError):
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
    frames: Iterator[VideoFrame] = container.decode(stream)
    chosen = None
    for _ in range(FRAMES_PER_POINT):
        frame = next(frames, None)
        if frame is None:
            break
        chosen = frame
        if frame.time is None or frame.time >= seconds:
            break
    return chosen


def _liveliness(pixels: np.ndarray) -> tuple[bool, float]:
    grey = pixels.mean(axis=2)
    spread = float(grey.std())
    return (float(grey.mean()) >= DARK and spread >= FLAT), spread


def _poster(container: InputContainer, stream: VideoStream, duration: float | None) -> pyvips.Image:
    best: tuple[float, np.ndarray] | None = None
    for seconds in _poster_points(duration):
        frame = _frame_at(container, stream, seconds)
        if frame is None:
            continue
        pixels = frame.to_ndarray(format="rgb24")
        good, spread = _liveliness(pixels)
        if good:
            return from_array(pixels)
        if best is None or spread > best[0]:
            best = (spread, pixels)
    if best is None:
        raise DecodeRefused("the video has no frame that can be decoded")
    return from_array(best[1])


def _moving_streams(container: InputContainer) -> list[VideoStream]:
    return [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]


def decode_video(path: str, max_pixels: int) -> Decoded:
    with _open(path) as container:
        streams = _moving_streams(container)
        if not streams:
            raise DecodeRefused("the file has no video stream")
        stream = streams[0]
        check_pixels(stream.codec_context.width, stream.codec_context.height, max_pixels)
        stream.thread_type = "AUTO"
        duration = _duration(container)
        poster = _poster(container, stream, duration)
        width, height = stream.codec_context.width, stream.codec_context.height
        return Decoded(poster, width, height, duration)


def decode_audio(path: str, max_pixels: int) -> Decoded:
    """A sound's embedded cover art (an attached picture stream), and its duration."""
    with _open(path) as container:
        covers = [s for s in container.streams.video if s.disposition & Disposition.attached_pic]
        if not covers:
            raise DecodeRefused("the sound file has no cover art")
        packet = next(container.demux(covers[0]), None)
        if packet is None or packet.size == 0:
            raise DecodeRefused("the sound file's cover art is empty")
        data = bytes(packet)
        header = pyvips.Image.new_from_buffer(data, "", access="sequential", fail_on="error")
        check_pixels(header.width, header.height, max_pixels)
        image = pyvips.Image.thumbnail_buffer(data, LARGE, height=LARGE, size="down", fail_on="error")
        return Decoded(image.copy_memory(), duration_s=_duration(container), comparable=False)
