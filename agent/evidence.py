"""Pictures of what the judge saw: each violation's tracked path drawn on the video's frame.

A verdict says "object 0 glides from 1.92 s to 3.96 s"; a person should not have to take that
on trust. For each stretch a violated rule names (`RuleVerdict.where`), the frame at its middle
is shown with the body's tracked positions over the stretch drawn on it (a red line with a dot
per frame, the stretch's ends marked), cropped around the path; where the rule compared the path
with the plan's simulation, the simulated path (aligned to the video) is drawn on it in green,
and a chart beside the frame plots both against time (a ball that rises at the wrong pace
follows the right line on the frame: only time shows it); a thing the judge did not follow
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
        timed = [] if moving_camera else [
            (t, x * scale, y * scale) for t, x, y in _points(verdict, int(where["track"]), t0)
            if t0 - PAD_S <= t <= t1 + PAD_S]
        points = [(x, y) for _, x, y in timed]
        label = f"{where.get('kind', '')} {t0:.2f} to {t1:.2f} s"
        simulated = [(float(t), float(x) * scale, float(y) * scale)
                     for t, x, y in where.get("expected", [])]
        if simulated and timed:  # (no track is drawn on a moving camera's frames)
            frame = _picture(frames[index], points, label,
                             expected=[(x, y) for _, x, y in simulated])
            pictures.append(_side_by_side([frame, _chart(timed, simulated, (t0, t1))]))
            continue
        if not points and not moving_camera and "x" in where and "y" in where:
            # A body that is not followed (a thing that turns up at rest, or goes): ring its
            # place, as it looked before and after the change where both are known.
            spot = [(float(where["x"]) * scale, float(where["y"]) * scale)]
            ring = float(where["r"]) * scale if "r" in where else None
            if "t_before" in where and "t_after" in where:
                views = [_frame_at(frames, fps, float(where[k])) for k in ("t_before", "t_after")]
                pictures.append(_side_by_side([
                    _picture(views[0], spot, f"before, {float(where['t_before']):.2f} s", ring),
                    _picture(views[1], spot, f"after, {float(where['t_after']):.2f} s", ring)]))
                continue
            points = spot
        pictures.append(_encoded(_picture(frames[index], points, label)))
    return pictures


def _chart(seen: list[tuple[float, float, float]], simulated: list[tuple[float, float, float]],
           stretch: tuple[float, float]) -> Any:
    """Position against time along the axis the body moves most on, the video's (red) over
    the simulation's (green), the flagged stretch shaded; up on the frame is up."""
    from PIL import Image, ImageDraw

    width, height, pad = 220, PICTURE_HEIGHT, 18
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    both = [*seen, *simulated]
    axis = 2 if (max(p[2] for p in both) - min(p[2] for p in both)
                 >= max(p[1] for p in both) - min(p[1] for p in both)) else 1
    ts = [p[0] for p in both]
    vs = [p[axis] for p in both]
    t_lo, t_hi = min(ts), max(ts) if max(ts) > min(ts) else min(ts) + 1e-3
    v_lo, v_hi = min(vs), max(vs) if max(vs) > min(vs) else min(vs) + 1.0

    def xy(t: float, v: float) -> tuple[float, float]:
        u = pad + (width - 2 * pad) * (t - t_lo) / (t_hi - t_lo)
        share = (v - v_lo) / (v_hi - v_lo)
        return u, pad + (height - 2 * pad) * (share if axis == 2 else 1 - share)

    left, right = xy(stretch[0], v_lo)[0], xy(stretch[1], v_lo)[0]
    draw.rectangle([left - 1, pad, right + 1, height - pad], fill=(238, 238, 238))
    draw.rectangle([pad, pad, width - pad, height - pad], outline=(160, 160, 160))
    for points, colour in ((simulated, (40, 200, 60)), (seen, (230, 30, 30))):
        line = [xy(p[0], p[axis]) for p in points]
        if len(line) >= 2:
            draw.line(line, fill=colour, width=2)
    x = 3.0
    for words, colour in ((("height" if axis == 2 else "across") + " vs time:", (0, 0, 0)),
                          ("video", (230, 30, 30)), ("simulated", (30, 160, 50))):
        draw.text((x, 1), words, fill=colour)
        x += draw.textlength(words) + 5
    draw.text((3, height - 14), f"{t_lo:.2f} s", fill=(0, 0, 0))
    end = f"{t_hi:.2f} s"
    draw.text((width - 3 - draw.textlength(end), height - 14), end, fill=(0, 0, 0))
    return image


def _frame_at(frames: Any, fps: float, t: float) -> Any:
    return frames[min(len(frames) - 1, max(0, round(t * fps)))]


def _side_by_side(images: list[Any]) -> str:
    from PIL import Image

    joined = Image.new("RGB", (sum(i.width for i in images) + 4 * (len(images) - 1),
                               max(i.height for i in images)))
    x = 0
    for image in images:
        joined.paste(image, (x, 0))
        x += image.width + 4
    return _encoded(joined)


def _around(points: list[tuple[float, float]], width: int, height: int, ring: float = 0.0
            ) -> tuple[int, int, int, int]:
    """A box around the path (and the ring around a spot) with room for context: at least
    half the frame each way, never past its edges."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    pad = max(0.1 * max(width, height), 1.2 * ring)
    half_w = max((max(xs) - min(xs)) / 2 + pad, 0.25 * width)
    half_h = max((max(ys) - min(ys)) / 2 + pad, 0.25 * height)
    cx = min(max((max(xs) + min(xs)) / 2, half_w), width - half_w)
    cy = min(max((max(ys) + min(ys)) / 2, half_h), height - half_h)
    return (max(0, int(cx - half_w)), max(0, int(cy - half_h)),
            min(width, int(cx + half_w)), min(height, int(cy + half_h)))


def _picture(frame: Any, points: list[tuple[float, float]], label: str,
             ring: float | None = None,
             expected: list[tuple[float, float]] | None = None) -> Any:
    """The frame (a PIL image) with the path, or one ringed spot (`ring` px wide where
    known), and the path it should have taken (green) where known, cropped around them and
    labelled."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    if expected and len(expected) >= 2:
        draw.line(expected, fill=(40, 200, 60), width=2)
    if len(points) >= 2:
        draw.line(points, fill=(230, 30, 30), width=2)
    for x, y in points:
        draw.ellipse([x - 2, y - 2, x + 2, y + 2], outline=(255, 255, 255), fill=(230, 30, 30))
    r = 0.0
    if len(points) == 1:
        (x, y), r = points[0], max(ring or 0.0, 0.04 * max(image.width, image.height))
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(230, 30, 30), width=2)
    if points or expected:
        image = image.crop(_around([*points, *(expected or [])], image.width, image.height, r))
    draw = ImageDraw.Draw(image)
    if image.height != PICTURE_HEIGHT:
        image = image.resize((max(1, round(image.width * PICTURE_HEIGHT / image.height)),
                              PICTURE_HEIGHT))
    draw = ImageDraw.Draw(image)
    right = min(image.width, round(draw.textlength(label)) + 6)
    draw.rectangle([0, 0, right, 14], fill=(0, 0, 0))
    draw.text((3, 1), label, fill=(255, 255, 255))
    return image


def _encoded(image: Any) -> str:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
