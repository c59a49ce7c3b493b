"""Video and image I/O with PyAV: write atomically, read with sampling, hash by content."""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from tools.errors import VideoReadError


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The same frames must encode to the same pixels on every call, or a verdict measured on them
# changes with the run. With x264's macroblock-tree rate control on, this build of PyAV was
# measured to encode identical frames differently from call to call (one thread or many; x264
# without assembly was deterministic, so it looks like a SIMD read of stale memory). With it off,
# every encode is identical, as fast, and about 30% larger at the same crf on a noisy clip.
ENCODER_OPTIONS = {"x264-params": "mbtree=0"}


def write_video(
    frames: Iterable[np.ndarray], path: str | os.PathLike[str], fps: int, crf: int = 18
) -> Path:
    """Encodes RGB uint8 frames as H.264 MP4 (yuv420p, plays everywhere).

    The file is written beside its destination and renamed into place, so a crash never leaves a
    half-written video under the final name.
    """
    import av

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".mp4", dir=target.parent, prefix=".tmp-")
    os.close(fd)
    try:
        with av.open(tmp_name, mode="w", format="mp4") as container:
            stream = None
            for index, frame in enumerate(frames):
                rgb = _even_rgb(frame)
                if stream is None:
                    stream = container.add_stream("libx264", rate=fps)
                    stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": "veryfast", **ENCODER_OPTIONS}
                picture = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                picture.pts, picture.time_base = index, Fraction(1, fps)
                for packet in stream.encode(picture):
                    container.mux(packet)
            if stream is None:
                raise ValueError("no frames to write")
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def _even_rgb(frame: np.ndarray) -> np.ndarray:
    """yuv420p needs even sides: crop one pixel where a side is odd."""
    array = np.asarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"frames must be HxWx3 uint8 RGB, got {array.shape} {array.dtype}")
    h, w = array.shape[0] - array.shape[0] % 2, array.shape[1] - array.shape[1] % 2
    return np.ascontiguousarray(array[:h, :w])


def read_video(
    path: str | os.PathLike[str], max_frames: int | None = None, max_side: int | None = None
) -> tuple[np.ndarray, float]:
    """Decodes a video into a (T, H, W, 3) uint8 array and its frame rate.

    Long videos keep every `stride`-th frame, with one integer stride chosen so at most
    `max_frames` remain: evenly spaced samples, because uneven spacing reads as acceleration
    noise to anything that measures motion. Frames are sampled while decoding, so a long video
    never sits in memory whole. With `max_side`, frames are shrunk by the decoder's scaler
    (area averaging) so the long side is at most `max_side`. The returned rate is the
    effective rate of the returned frames, so times stay right.
    """
    import av

    source = Path(path)
    if not source.is_file():
        raise VideoReadError(f"cannot read video {str(source)!r}: no such file")
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise VideoReadError(f"{str(source)!r} has no video stream: pass a video file")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fps = float(stream.average_rate or stream.guessed_rate or 24)
            stride = _stride(_frame_count(container, stream, fps), max_frames)
            size = _scaled_size(stream.codec_context.width, stream.codec_context.height, max_side)
            frames = [
                _to_rgb(frame, size)
                for index, frame in enumerate(container.decode(stream))
                if index % stride == 0
            ]
    except VideoReadError:
        raise
    except Exception as exc:  # PyAV raises many types for corrupt input
        raise VideoReadError(
            f"cannot decode {str(source)!r} ({type(exc).__name__}): pass an MP4/WebM/MOV video"
        ) from exc
    if not frames:
        raise VideoReadError(f"{str(source)!r} holds no frames: pass a non-empty video")
    video = np.stack(frames)
    if max_frames is not None and len(video) > max_frames:
        # The container under-reported its length: thin again, still with one even stride.
        extra = math.ceil(len(video) / max_frames)
        video, stride = video[::extra], stride * extra
    return video, fps / stride


def _frame_count(container: Any, stream: Any, fps: float) -> int | None:
    """Frames in the stream as the container reports them, or estimated from its duration."""
    if stream.frames:
        return int(stream.frames)
    if stream.duration is not None and stream.time_base is not None:
        return math.ceil(float(stream.duration * stream.time_base) * fps)
    if container.duration:
        return math.ceil(container.duration / 1_000_000 * fps)
    return None


def _stride(count: int | None, max_frames: int | None) -> int:
    """The one integer step that keeps at most `max_frames` of `count` frames."""
    if max_frames is None or count is None or count <= max_frames:
        return 1
    return math.ceil(count / max_frames)


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int] | None:
    """Output (width, height) with the long side at most `max_side`, or None to keep size."""
    if max_side is None or max(width, height) <= max_side:
        return None
    scale = max_side / max(width, height)
    return max(2, round(width * scale)), max(2, round(height * scale))


def _to_rgb(frame: Any, size: tuple[int, int] | None) -> np.ndarray:
    if size is None:
        return np.asarray(frame.to_ndarray(format="rgb24"))
    small = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
    return np.asarray(small.to_ndarray())


def write_png(image: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Saves an RGB uint8 image as PNG atomically."""
    from PIL import Image

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{target.name}")
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(tmp, format="PNG")
    os.replace(tmp, target)
    return target


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def video_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) of a video's first stream, without decoding it."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoReadError(f"{str(path)!r} has no video stream: pass a video file")
            codec = container.streams.video[0].codec_context
            return int(codec.width), int(codec.height)
    except VideoReadError:
        raise
    except Exception as exc:  # PyAV raises many types for missing or corrupt input
        raise VideoReadError(
            f"cannot read video {str(path)!r} ({type(exc).__name__}): pass an MP4/WebM/MOV video"
        ) from exc
