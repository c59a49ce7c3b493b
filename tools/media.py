"""Video and image I/O with PyAV: write atomically, read with sampling, hash by content."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from tools.errors import VideoReadError


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
            for frame in frames:
                rgb = _even_rgb(frame)
                if stream is None:
                    stream = container.add_stream("libx264", rate=fps)
                    stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": "veryfast"}
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
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
    path: str | os.PathLike[str], max_frames: int | None = None
) -> tuple[np.ndarray, float]:
    """Decodes a video into a (T, H, W, 3) uint8 array and its frame rate.

    Long videos are sampled evenly down to `max_frames`; the returned rate is the effective
    rate of the returned frames, so times stay right.
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
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
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
        index = np.linspace(0, len(video) - 1, max_frames).round().astype(int)
        fps = fps * (max_frames - 1) / max(1, len(video) - 1)
        video = video[index]
    return video, fps


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
