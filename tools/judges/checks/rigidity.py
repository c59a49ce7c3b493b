"""`rigidity`: rigid bodies keep their size, shape and look while they move.

Three ways a generated body morphs: it grows or shrinks (the blob's size, measured where the
body is clearly seen), its colour changes (a pink frisbee turning blue and back, measured as
chromaticity, which lighting and shadows barely move), or one body is replaced by another at
the same place and speed (a track ends and one of another size or colour starts where the
first was going: a stick that becomes a sphere).
"""

from __future__ import annotations

import math

import numpy as np

from tools.judges.checks.base import (
    CHROMA_CHANGE,
    Scene,
    TrackMotion,
    chromaticity,
    one_body,
    rnd,
    verdict,
)
from tools.judges.tracking import Detection, same_look, soft_radius
from tools.schema import RuleVerdict

MIN_SIZES = 12


def clean_sizes(motion: TrackMotion, scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """(times, radii) of detections whose area is trustworthy.

    Only from the longest stretch of the track that shows one body (`one_body`). Skips
    detections cut by the frame edge, close to another moving object (blobs merge), resting
    ones (a body at rest fades into the median background) and those that cannot be told
    from the scenery behind them (see `soft_radius`).
    """
    others = [m for m in scene.motions if m is not motion]
    times, radii = [], []
    step = np.hypot(np.diff(motion.x, prepend=np.nan), np.diff(motion.y, prepend=np.nan))
    still = motion.rest & ~(step > 0.5)  # rolling is fine; lying still is not
    body = one_body(scene, motion)
    for k, det in enumerate(motion.track.detections):
        if det.at_edge or still[k] or motion.held_at(k) or not body.start <= k < body.stop:
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


# Brightness of one body before a moment and after it: white turning black, grey turning
# white. Clean clips of the studied calibration seed stay under 1.5x (shading, compression);
# a body passing into a cast shadow, or glass tumbling in the light, comes near 2x.
LIGHTNESS_CHANGE = 2.2
# Shares of scenery blurred into two stretches of a body further apart than this are not
# compared for hue: a fifth of the way from a saturated ball to a grey wall is about 0.07 in
# chromaticity, well under `CHROMA_CHANGE`.
MIXED_APART = 0.2


def colour_change(motion: TrackMotion, scene: Scene) -> tuple[float, float, float, str] | None:
    """(how far past the threshold, t from, t to, what changed) between two stretches of 3
    sightings of a body in open view, when its hue or its brightness changes; else None.

    Chromaticity catches a pink frisbee turning blue; brightness catches what chromaticity
    cannot see, a white ball turning black (greys have no hue). The amount is in units of the
    threshold, so the two compare."""
    others = [m for m in scene.motions if m is not motion]
    usual = float(np.median([d.area for d in motion.track.detections]))
    # Sightings at rest count too, as long as the blob is the body, not what is left of it
    # as it fades into the background.
    # Nor sightings smeared along the motion (longer than the body's usual shape by 40%):
    # motion blur mixes the scenery into the body's colour.
    shapes = [_elongation(d) for d in motion.track.detections]
    shape = float(np.median(shapes))
    keep = [(motion.t[k], d.colour, d.area) for k, d in enumerate(motion.track.detections)
            if not d.at_edge and d.area >= 0.5 * usual and not motion.held_at(k)
            and shapes[k] <= 1.4 * shape
            and not any(_near(o, d.frame, d.x, d.y, motion.radius) for o in others)]
    if len(keep) < 6:
        return None
    times = np.array([t for t, _, _ in keep])
    chroma = np.array([chromaticity(c) for _, c, _ in keep])
    windows = [np.median(chroma[i : i + 3], axis=0) for i in range(len(chroma) - 2)]
    # Blur smears a fast body over more pixels than its own, each a mix of it and the
    # scenery: the share of scenery in its colour is about the share of its blob beyond
    # the body's own size (a low quartile of its sizes: the body seen slow). Hues are compared
    # between stretches mixed alike, or a red ball falling fast past a grey wall would turn
    # pink. (A body that turns fainter shrinks its blob, and that is no mixing.)
    areas = np.array([a for _, _, a in keep])
    own = float(np.percentile(areas, 25))
    mixed = [float(np.median(np.clip(1.0 - own / areas[i : i + 3], 0.0, None)))
             for i in range(len(areas) - 2)]
    worst = None
    for i, a in enumerate(windows):
        for j in range(i + 3, len(windows)):
            if abs(mixed[j] - mixed[i]) > MIXED_APART:
                continue
            hue = float(np.hypot(*(windows[j] - a))) / CHROMA_CHANGE
            if hue > 1.0 and (worst is None or hue > worst[0]):
                worst = (hue, float(times[i + 1]), float(times[j + 1]),
                         f"chromaticity off by {hue * CHROMA_CHANGE:.2f}")
    # Brightness as a lasting step: the body before a moment and after it, each side a fifth
    # of the sightings at least, so a glint off a tumbling shard (a few bright frames) is not
    # a change of colour while a white ball turned black stays black.
    light = np.log(np.maximum([float(np.mean(c)) for _, c, _ in keep], 1.0))
    side = max(3, len(light) // 5)
    for k in range(side, len(light) - side + 1):
        step = float(np.median(light[k:]) - np.median(light[:k]))
        amount = abs(step) / math.log(LIGHTNESS_CHANGE)
        if amount > 1.0 and (worst is None or amount > worst[0]):
            worst = (amount, float(times[max(0, k - 3)]), float(times[min(len(times) - 1, k + 2)]),
                     f"{math.exp(abs(step)):.1f}x {'brighter' if step > 0 else 'darker'}")
    return worst


def _elongation(det: Detection) -> float:
    x0, y0, x1, y1 = det.bbox
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    return max(w, h) / min(w, h)


def swaps(scene: Scene) -> list[dict[str, float]]:
    """Bodies replaced by another where they were going: a track ends in open view and,
    within a few frames, one that does not look like it (tracking would have joined the two
    otherwise: about another size or colour) starts at its predicted place. Worked out once
    per scene (`permanence` reads them too)."""
    return scene.shared("swaps", lambda: _swaps(scene))


def _swaps(scene: Scene) -> list[dict[str, float]]:
    found = []
    motions = scene.motions
    for a in motions:
        end = a.track.last
        if end.at_edge or end.frame >= scene.count - 2 or len(a.t) < 2:
            continue
        vx = (a.x[-1] - a.x[-2]) / max(a.frames[-1] - a.frames[-2], 1.0)
        vy = (a.y[-1] - a.y[-2]) / max(a.frames[-1] - a.frames[-2], 1.0)
        for b in motions:
            start = b.track.first
            lag = start.frame - end.frame
            if b is a or not 1 <= lag <= 3:
                continue
            miss = math.hypot(start.x - end.x - vx * lag, start.y - end.y - vy * lag)
            size = max(start.area, end.area) / max(min(start.area, end.area), 1.0)
            colour = float(np.hypot(*(chromaticity(start.colour) - chromaticity(end.colour))))
            other = size > 2.5 or colour > CHROMA_CHANGE or not same_look(end, start)
            if miss <= max(end.radius, start.radius) and other:
                found.append({"track": a.track.id, "into": b.track.id,
                              "t": rnd(start.frame / scene.fps), "size_ratio": rnd(size),
                              "colour_change": rnd(colour)})
    return found


def check_rigidity(scene: Scene) -> RuleVerdict:
    """Rigidity: a moving body keeps its apparent radius within about 25% over the clip, its
    colour, and its identity."""
    changed = swaps(scene)
    scene.data["swaps"] = changed
    if changed:
        e = max(changed, key=lambda item: item["size_ratio"] + 5 * item["colour_change"])
        evidence = (f"object {e['track']} turns into a different body (object {e['into']}, "
                    f"{e['size_ratio']:.1f}x the size, colour off by {e['colour_change']:.2f}) "
                    f"at {e['t']:.2f} s, where it was heading, with nothing touching it")
        return verdict("rigidity", "violated", 0.75, evidence, (e["t"], e["t"]),
                       [{"track": e["track"], "t0": e["t"], "t1": e["t"], "kind": "swap"}])
    colours = [(m.track.id, c) for m in scene.motions if (c := colour_change(m, scene))]
    scene.data["colour_changes"] = [{"track": k, "past_threshold": rnd(c[0]), "t0": rnd(c[1]),
                                     "t1": rnd(c[2]), "what": c[3]} for k, c in colours]
    if colours:
        track, (amount, t0, t1, what) = max(colours, key=lambda item: item[1][0])
        evidence = (f"object {track} changes colour between {t0:.2f} s and {t1:.2f} s "
                    f"({what}) in open view, with nothing touching it")
        return verdict("rigidity", "violated", min(0.9, 0.55 + CHROMA_CHANGE * amount),
                       evidence, (t0, t1),
                       [{"track": track, "t0": rnd(t0), "t1": rnd(t1), "kind": "colour"}])
    return _size_verdict(scene)


def _size_verdict(scene: Scene) -> RuleVerdict:
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
