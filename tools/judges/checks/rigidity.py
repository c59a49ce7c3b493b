"""`rigidity`: rigid bodies keep their size (the blob's area) while they move."""

from __future__ import annotations

import math

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.judges.tracking import soft_radius
from tools.schema import RuleVerdict

MIN_SIZES = 12


def clean_sizes(motion: TrackMotion, scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """(times, radii) of detections whose area is trustworthy.

    Skips detections cut by the frame edge, close to another moving object (blobs merge),
    resting ones (a body at rest fades into the median background) and those that cannot be
    told from the scenery behind them (see `soft_radius`).
    """
    others = [m for m in scene.motions if m is not motion]
    times, radii = [], []
    step = np.hypot(np.diff(motion.x, prepend=np.nan), np.diff(motion.y, prepend=np.nan))
    still = motion.rest & ~(step > 0.5)  # rolling is fine; lying still is not
    for k, det in enumerate(motion.track.detections):
        if det.at_edge or still[k]:
            continue
        near = any(_near(o, det.frame, det.x, det.y, motion.radius) for o in others)
        size = None if near else soft_radius(scene.tracking, det)
        if size is not None:
            times.append(motion.t[k])
            radii.append(size)
    return np.asarray(times), np.asarray(radii)


def _near(other: TrackMotion, frame: int, x: float, y: float, radius: float) -> bool:
    index = np.searchsorted(other.frames, frame)
    if index >= len(other.frames) or other.frames[index] != frame:
        return False
    gap = math.hypot(other.x[index] - x, other.y[index] - y)
    return gap < 2.5 * (radius + other.radius)


def size_change(times: np.ndarray, radii: np.ndarray) -> tuple[float, float, float] | None:
    """(ratio of late to early radius, t early, t late) from medians of the first and last
    quarter of the sizes: the ends of the clip, where a gradual change has gone furthest."""
    if len(radii) < MIN_SIZES:
        return None
    part = max(3, len(radii) // 4)
    early, late = float(np.median(radii[:part])), float(np.median(radii[-part:]))
    # Blob noise (compression, anti-aliasing) must not pass for growth or shrinkage; it is
    # measured frame to frame, so a steady trend does not count as noise. What is compared
    # is two medians of `part` sizes each, whose own error is far below one size's.
    noise = 1.4826 * float(np.median(np.abs(np.diff(radii)))) / np.sqrt(2.0)
    error = 1.2533 * noise * np.sqrt(2.0 / part)
    if abs(late - early) < max(1.0, 4.0 * error):
        return 1.0, float(times[0]), float(times[-1])
    return late / max(early, 1e-9), float(times[part // 2]), float(times[-part // 2 - 1])


def check_rigidity(scene: Scene) -> RuleVerdict:
    """Rigidity: a moving body's apparent radius stays within about 25% over the clip."""
    measured, worst = [], None
    for m in scene.motions:
        found = size_change(*clean_sizes(m, scene))
        if found is None:
            continue
        ratio, t0, t1 = found
        measured.append({"track": m.track.id, "radius_ratio": rnd(ratio)})
        if worst is None or abs(math.log(ratio)) > abs(math.log(worst[1])):
            worst = (m.track.id, ratio, t0, t1)
    scene.data["sizes"] = measured
    if worst is None:
        return verdict("rigidity", "unclear", 0.15, "no object seen clearly long enough to size")
    track, ratio, t0, t1 = worst
    if ratio < 0.75 or ratio > 1.33:
        word = "shrinks" if ratio < 1 else "grows"
        evidence = (
            f"object {track} {word} to {ratio:.2f}x its radius between {t0:.2f} s and "
            f"{t1:.2f} s while moving in open view"
        )
        conf = min(0.95, 0.6 + 1.2 * abs(math.log(ratio)))
        return verdict("rigidity", "violated", conf, evidence, (t0, t1))
    evidence = f"{len(measured)} object(s) keep their size within {abs(ratio - 1) * 100:.0f}%"
    return verdict("rigidity", "followed", 0.8, evidence)
