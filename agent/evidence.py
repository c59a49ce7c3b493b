"""Pictures of what the judge saw: each violation's tracked path drawn on the video's frame.

A verdict says "object 0 glides from 1.92 s to 3.96 s"; a person should not have to take that
on trust. For each stretch a violated rule names (`RuleVerdict.where`), the frame at its middle
is shown with the body's tracked positions over the stretch drawn on it (a red line with a dot
per frame, the stretch's ends marked), cropped around the path; a thing the judge did not follow
(one that turns up at rest) is ringed where it appears. Positions on a moving camera's canvas do
not map onto a frame directly, so for such clips only the frame is shown.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from agent.state import RuleVerdict, Verdict
from tools.errors import BadInputError, VideoReadError

PICTURE_HEIGHT = 180
MAX_PICTURES = 3
PAD_S = 0.15  # the path is drawn a little beyond the stretch, so its ends show in context


def _points(verdict: Verdict, track: int, t: float) -> list[list[float]]:
    """The tracked (t, x, y) of `track`, in the shot that holds time `t`."""
    shots = verdict.measurements.get("shots")
    sources = shots if isinstance(shots, list) else [verdict.measurements]
    for source in sources:
        offset = float(source.get("t0", 0.0)) if shots else 0.0
        if shots and not offset <= t <= float(source.get("t1", offset)):
            continue
        for item in source.get("tracks", []):
            if item.get("id") == track and item.get("points"):
                return [[p[0] + offset, p[1], p[2]] for p in item["points"]]
    return []


def evidence_pictures(video: Path, verdict: Verdict, rule: RuleVerdict) -> list[str]:
    """Up to `MAX_PICTURES` JPEG data URLs, one per stretch the rule names; [] when the video
    cannot be read or the rule names none."""
    if not rule.where:
        return []
    from tools.media import read_video

    try:
        frames, fps = read_video(video, max_side=640)
    except (VideoReadError, BadInputError):
        return []
    width = int(verdict.measurements.get("frame_size", [frames.shape[2]])[0] or frames.shape[2])
    scale = frames.shape[2] / max(width, 1)
    moving_camera = bool(verdict.measurements.get("camera")) or any(
        s.get("camera") for s in verdict.measurements.get("shots", []) or [])
    pictures = []
    for where in rule.where[:MAX_PICTURES]:
        t0, t1 = float(where["t0"]), float(where["t1"])
        index = min(len(frames) - 1, max(0, round(0.5 * (t0 + t1) * fps)))
        points = [] if moving_camera else [
            (x * scale, y * scale) for t, x, y in _points(verdict, int(where["track"]), t0)
            if t0 - PAD_S <= t <= t1 + PAD_S]
        if not points and not moving_camera and "x" in where and "y" in where:
            # A body that is not followed (a thing that turns up at rest): ring its place.
            points = [(float(where["x"]) * scale, float(where["y"]) * scale)]
        pictures.append(_drawn(frames[index], points, f"{where.get('kind', '')} "
                               f"{t0:.2f} to {t1:.2f} s"))
    return pictures


def _around(points: list[tuple[float, float]], width: int, height: int
            ) -> tuple[int, int, int, int]:
    """A box around the path with room for context: at least half the frame each way,
    never past its edges."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = 0.1 * max(width, height)
    half_w = max((max(xs) - min(xs)) / 2 + pad, 0.25 * width)
    half_h = max((max(ys) - min(ys)) / 2 + pad, 0.25 * height)
    cx = min(max((max(xs) + min(xs)) / 2, half_w), width - half_w)
    cy = min(max((max(ys) + min(ys)) / 2, half_h), height - half_h)
    return (max(0, int(cx - half_w)), max(0, int(cy - half_h)),
            min(width, int(cx + half_w)), min(height, int(cy + half_h)))


def _drawn(frame: Any, points: list[tuple[float, float]], label: str) -> str:
    from PIL import Image, ImageDraw

    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    if len(points) >= 2:
        draw.line(points, fill=(230, 30, 30), width=2)
    for x, y in points:
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], outline=(255, 255, 255), fill=(230, 30, 30))
    if len(points) == 1:
        (x, y), r = points[0], 0.04 * max(image.width, image.height)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(230, 30, 30), width=2)
    if points:
        image = image.crop(_around(points, image.width, image.height))
    draw = ImageDraw.Draw(image)
    if image.height != PICTURE_HEIGHT:
        image = image.resize((max(1, round(image.width * PICTURE_HEIGHT / image.height)),
                              PICTURE_HEIGHT))
    draw = ImageDraw.Draw(image)
    right = min(image.width, round(draw.textlength(label)) + 6)
    draw.rectangle([0, 0, right, 14], fill=(0, 0, 0))
    draw.text((3, 1), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
