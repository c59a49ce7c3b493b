"""`penetration`: bodies do not sink through the floor they bounce or rest on."""

from __future__ import annotations

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.judges.motion import bounce_indices
from tools.schema import RuleVerdict


def support_points(motion: TrackMotion) -> list[int]:
    """Sample indices where the body touches its support: bounce contacts and rest starts."""
    points = set(bounce_indices(motion.y, motion.radius).tolist())
    rest = np.flatnonzero(motion.rest)
    if len(rest):
        points.add(int(rest[0]))
    return sorted(points)


def sinking(motion: TrackMotion) -> dict[str, float] | None:
    """The deepest later dip of the body's bottom below a support it touched, at that spot.

    The floor level is where the body was seen touching it (a contact or a rest); later
    samples above the same stretch of floor (within a radius sideways) must not sit lower.
    """
    worst = None
    steps = np.abs(np.diff(motion.y, prepend=motion.y[0], append=motion.y[-1]))
    for i in support_points(motion):
        # A sampled contact can sit above the floor by up to one frame's travel.
        tol = max(8.0, 1.5 * motion.radius, max(steps[i], steps[i + 1]))
        later = np.arange(i + 1, len(motion.y))
        same_spot = later[np.abs(motion.x[later] - motion.x[i]) < motion.radius]
        if not len(same_spot):
            continue
        depth = motion.y[same_spot] - motion.y[i]
        k = int(np.argmax(depth))
        if depth[k] > tol and (worst is None or depth[k] > worst["depth_px"]):
            worst = {
                "track": motion.track.id,
                "t_contact": rnd(motion.t[i]),
                "t": rnd(motion.t[same_spot[k]]),
                "depth_px": rnd(depth[k]),
            }
    return worst


def check_penetration(scene: Scene) -> RuleVerdict:
    """Penetration: after touching the floor, no body goes lower at the same spot."""
    touched = [m for m in scene.motions if support_points(m)]
    found = [s for s in (sinking(m) for m in touched) if s]
    scene.data["sinking"] = found
    if found:
        s = max(found, key=lambda item: item["depth_px"])
        evidence = (
            f"object {s['track']} touches its support at {s['t_contact']:.2f} s, then by "
            f"{s['t']:.2f} s sits {s['depth_px']:.0f} px lower at the same spot: it sinks "
            "through the floor"
        )
        return verdict("penetration", "violated", 0.75, evidence, (s["t_contact"], s["t"]))
    if not touched:
        return verdict("penetration", "unclear", 0.15, "no object is seen touching a support")
    evidence = f"{len(touched)} object(s) stay on top of the supports they touch"
    return verdict("penetration", "followed", 0.75, evidence)
