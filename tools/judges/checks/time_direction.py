"""`time_direction`: irreversible events are not played backwards.

Free flight looks the same backwards, so reversal shows only where energy is lost: a reversed
bounce sequence grows instead of dying away, a body resting on the floor leaps up by itself,
and a fall from rest becomes a rise that ends hanging still in mid-air.
"""

from __future__ import annotations

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, verdict
from tools.judges.checks.energy import flat_runs, growing_pairs
from tools.schema import RuleVerdict


def leaps_from_rest(motion: TrackMotion) -> float | None:
    """Time a body that starts at rest on a support rises well above it by itself, or None."""
    runs = flat_runs(motion.rest)
    if not runs or runs[0][0] > 1:
        return None
    start, stop = runs[0]
    if motion.t[stop - 1] - motion.t[start] < 0.25 or stop >= len(motion.y):
        return None
    level = float(np.median(motion.y[start:stop]))
    above = np.nonzero(motion.y[stop:] < level - max(6.0, 1.5 * motion.radius))[0]
    return float(motion.t[stop - 1]) if len(above) else None


def rises_from_the_floor(motion: TrackMotion, count: int) -> float | None:
    """Time a body first seen mid-clip, down at its lowest level, then climbs well above it.

    A body lying still is part of the background, so a reversed clip shows it appearing at
    the floor the moment it "starts" moving, then bouncing ever higher.
    """
    first = int(motion.frames[0])
    if first < 3 or motion.track.first.at_edge or len(motion.y) < 6:
        return None
    lowest = float(np.max(motion.y))
    at_floor = lowest - motion.y[0] < 0.5 * motion.radius
    climbs = lowest - float(np.min(motion.y)) > 3.0 * motion.radius
    return float(motion.t[0]) if at_floor and climbs and first < count - 6 else None


def hangs_at_the_end(motion: TrackMotion) -> float | None:
    """Time a body rising to the end of the clip comes to a dead stop in mid-air, or None."""
    if len(motion.y) < 8 or motion.rest[-4:].any():
        return None
    steps = np.hypot(np.diff(motion.x[-4:]), np.diff(motion.y[-4:]))
    rose = motion.y[-8] - motion.y[-4] > max(3.0, 0.3 * motion.radius)
    lowest = float(np.max(motion.y))
    airborne = lowest - motion.y[-1] > 2.0 * motion.radius
    if rose and airborne and steps.max() < 0.6:
        return float(motion.t[-4])
    return None


def check_time_direction(scene: Scene) -> RuleVerdict:
    """Time direction: no growing bounce series, no leap from rest, no hang at the top."""
    signs: list[tuple[float, str, tuple[float, float]]] = []
    for m in scene.motions:
        apexes, grows = growing_pairs(m)
        if grows and len(grows) == len(apexes) - 1:
            heights = " -> ".join(f"{h:.0f}" for _, h in apexes)
            signs.append(
                (
                    0.75,
                    f"object {m.track.id}'s bounces grow ({heights} px) as a decaying "
                    "bounce series played backwards does",
                    (apexes[0][0], apexes[-1][0]),
                )
            )
        leap = leaps_from_rest(m)
        if leap is not None:
            signs.append(
                (
                    0.7,
                    f"object {m.track.id} rests on a support, then at {leap:.2f} s "
                    "rises well above it by itself",
                    (leap, leap),
                )
            )
        rise = rises_from_the_floor(m, scene.count)
        if rise is not None:
            signs.append(
                (
                    0.65,
                    f"object {m.track.id} emerges from rest on the floor at "
                    f"{rise:.2f} s and climbs by itself",
                    (rise, rise),
                )
            )
        hang = hangs_at_the_end(m)
        if hang is not None:
            signs.append(
                (
                    0.6,
                    f"object {m.track.id} rises and stops dead in mid-air at "
                    f"{hang:.2f} s, like a release from rest seen backwards",
                    (hang, hang),
                )
            )
    if signs:
        conf = min(0.95, max(s[0] for s in signs) + 0.1 * (len(signs) - 1))
        best = max(signs, key=lambda s: s[0])
        evidence = "; ".join(s[1] for s in signs)
        return verdict("time_direction", "violated", conf, evidence, best[2])
    energy_losses = sum(len(growing_pairs(m)[0]) > 1 for m in scene.motions)
    if energy_losses:
        return verdict("time_direction", "followed", 0.75, "bounces die away as time runs forwards")
    return verdict(
        "time_direction",
        "unclear",
        0.2,
        "no bounce series or start from rest that shows which way time runs",
    )
