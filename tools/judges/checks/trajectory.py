"""`trajectory`: the tracked motion agrees with a simulated reference (Physics-IQ style).

The reference rides on the plan as a note `"reference: {json}"`, holding either one object
`{"t": [...], "x": [...], "y": [...]}` in video pixels (y down) and seconds, or a list of them.
The comparison fits one scale and one offset (a camera placed differently), then measures what
is left, relative to the motion's size.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.schema import RuleVerdict, ShotPlan

AGREE, DISAGREE = 0.08, 0.2


def reference_paths(plan: ShotPlan | None) -> list[dict[str, np.ndarray]]:
    """The reference trajectories the plan carries, as arrays; [] when it carries none."""
    if plan is None:
        return []
    raw: Any = None
    for note in plan.notes:
        if raw is None and note.startswith("reference:"):
            raw = json.loads(note.split(":", 1)[1])
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [{k: np.asarray(item[k], dtype=float) for k in ("t", "x", "y")} for item in items]


def aligned_error(ref: dict[str, np.ndarray], motion: TrackMotion) -> float | None:
    """RMS distance after the best scale + offset, over the reference's extent; None if unpaired."""
    inside = (ref["t"] >= motion.t[0]) & (ref["t"] <= motion.t[-1])
    if inside.sum() < 6:
        return None
    t = ref["t"][inside]
    rx, ry = ref["x"][inside], ref["y"][inside]
    tx, ty = np.interp(t, motion.t, motion.x), np.interp(t, motion.t, motion.y)
    # Least squares for tracked = s * ref + (ox, oy), one s for both axes.
    cx, cy = rx - rx.mean(), ry - ry.mean()
    norm = float(np.sum(cx**2 + cy**2))
    if norm < 1e-6:
        return None
    scale = float(np.sum(cx * (tx - tx.mean()) + cy * (ty - ty.mean()))) / norm
    if scale <= 0:
        return 1.0
    rx2, ry2 = scale * cx + tx.mean(), scale * cy + ty.mean()
    rms = float(np.sqrt(np.mean((tx - rx2) ** 2 + (ty - ry2) ** 2)))
    return rms / (scale * np.sqrt(norm / len(t)))


def check_trajectory(scene: Scene) -> RuleVerdict:
    """Trajectory: each reference object is matched by some track within a small aligned error."""
    refs = reference_paths(scene.plan)
    if not refs:
        return verdict("trajectory", "unclear", 0.0, "the plan carries no simulated reference")
    errors = []
    for ref in refs:
        scores = [e for e in (aligned_error(ref, m) for m in scene.motions) if e is not None]
        errors.append(min(scores) if scores else None)
    scene.data["trajectory_errors"] = [None if e is None else rnd(e) for e in errors]
    known = [e for e in errors if e is not None]
    if not known:
        return verdict("trajectory", "unclear", 0.2, "no track overlaps the reference in time")
    worst = max(known)
    words = (
        f"after aligning scale and offset the tracked path is off by {100 * worst:.0f}% of its size"
    )
    if worst > DISAGREE:
        return verdict("trajectory", "violated", min(0.9, 0.5 + worst), f"{words}: it departs")
    if worst < AGREE:
        return verdict("trajectory", "followed", 0.85, f"{words}: it matches the simulation")
    return verdict("trajectory", "unclear", 0.3, f"{words}: between agreement and disagreement")
