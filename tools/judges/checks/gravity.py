"""`gravity`: airborne objects accelerate downward at one common, constant rate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.judges.motion import SegmentFit, fit_quadratic
from tools.schema import RuleStatus, RuleVerdict, ShotPlan


def expected_accel(plan: ShotPlan | None) -> tuple[float | None, bool]:
    """Expected downward acceleration in px/s² (None when the scale is unknown), weightless?"""
    if plan is None:
        return None, False
    weightless = plan.gravity_m_s2 < 0.5
    if plan.px_per_m is None:
        return None, weightless
    return plan.gravity_m_s2 * plan.px_per_m, weightless


def rate_words(accel: float, plan: ShotPlan | None) -> str:
    """An acceleration in the units a reader can check: g when the scale is known."""
    if plan is not None and plan.px_per_m:
        return f"{accel / plan.px_per_m / 9.81:.2f} g"
    return f"{accel:.0f} px/s²"


def classify_segment(
    seg: SegmentFit, expected: float | None, weightless: bool, plan: ShotPlan | None
) -> tuple[RuleStatus, str, float]:
    """Status, evidence and confidence for one airborne segment's vertical motion."""
    a, where = seg.fit.accel, f"from {seg.t0:.2f} s to {seg.t1:.2f} s"
    z = a / max(seg.fit.accel_se, 1e-9)
    share = (
        f"acceleration accounts for {100 * seg.bend_ratio:.0f}% of its {seg.drop_px:.0f} px drop"
    )
    if weightless:
        if seg.bend_ratio > 0.15 and abs(z) > 4:
            return "violated", f"without gravity it should drift straight, but {where} {share}", 0.8
        return "followed", f"drifts at constant velocity {where}, as expected without gravity", 0.7
    if a < 0 and z < -3 and seg.bend_ratio < -0.06:
        return (
            "violated",
            f"it accelerates upward while airborne {where} ({rate_words(a, plan)})",
            0.85,
        )
    if expected is not None:
        ratio = a / expected
        if (ratio < 0.6 or ratio > 1.6) and abs(a - expected) > 3 * seg.fit.accel_se:
            g = plan.gravity_m_s2 if plan else 9.81
            return (
                "violated",
                f"{where} the measured acceleration is {rate_words(a, plan)}, expected about "
                f"{g / 9.81:.2f} g",
                0.85 if ratio < 0.45 or ratio > 2.2 else 0.7,
            )
    elif seg.bend_ratio < 0.08:
        return (
            "violated",
            f"it falls at nearly constant speed {where}: {share} (a fall from rest bends >= 25%)",
            0.9 if seg.bend_ratio < 0.04 else 0.7,
        )
    uneven = _uneven_halves(seg)
    if uneven:
        return "violated", f"the acceleration is not constant {where}: {uneven}", 0.75
    return "followed", f"it accelerates downward at {rate_words(a, plan)} {where}", 0.85


def _uneven_halves(seg: SegmentFit) -> str | None:
    """Why the two halves of a segment disagree with the whole, or None when they agree.

    A keyframe interpolator that draws straight lines to and from an apex bends the path as a
    whole but not within each half; a real parabola bends equally everywhere.
    """
    if seg.halves is None:
        return None
    a = seg.fit.accel
    for half in seg.halves:
        gap = abs(half.accel - a)
        # Straight halves miss the whole's rate by all of it; noise on a short half of a real
        # parabola (compression, texture) has been measured to miss it by up to two thirds.
        if gap > 0.8 * abs(a) and gap > 3 * math.hypot(half.accel_se, seg.fit.accel_se):
            first, second = seg.halves
            return (
                f"{first.accel:.0f} px/s² in the first half, {second.accel:.0f} px/s² in the "
                f"second, {a:.0f} px/s² overall"
            )
    return None


def _inconsistent(segments: list[SegmentFit]) -> tuple[SegmentFit, float] | None:
    """A segment whose rate is far from the common (median) rate, with that rate."""
    if len(segments) < 2:
        return None
    common = float(np.median([s.fit.accel for s in segments]))
    for seg in segments:
        ratio = seg.fit.accel / common if common > 0 else math.inf
        off = ratio < 1 / 1.6 or ratio > 1.6
        if off and abs(seg.fit.accel - common) > 3 * seg.fit.accel_se:
            return seg, common
    return None


def on_a_slope(motion: TrackMotion, seg: SegmentFit) -> bool:
    """True when the sideways motion accelerates along with the vertical: rolling on an incline.

    In free flight nothing pushes sideways, so x is linear in time; on a slope of angle θ the
    sideways acceleration is the vertical one over tan θ. Such stretches are supported, not
    airborne, and their slower vertical rate must not read as "falling at a different rate".
    """
    fit_x = fit_quadratic(motion.t[seg.start : seg.stop], motion.x[seg.start : seg.stop])
    sideways = abs(fit_x.accel)
    return sideways > 0.35 * abs(seg.fit.accel) and sideways > 4 * fit_x.accel_se


def usable_segments(motions: list[TrackMotion]) -> list[SegmentFit]:
    """Airborne stretches that cover real height, are smooth, and are not on a slope."""
    return [
        s
        for m in motions
        for s in m.segments
        if s.drop_px >= max(8.0, 0.6 * m.radius)
        and s.fit.rms <= max(1.5, 0.1 * s.drop_px)
        and not on_a_slope(m, s)
    ]


def check_gravity(scene: Scene) -> RuleVerdict:
    """Gravity: each airborne segment bends downward at a steady rate shared by all segments."""
    plan = scene.plan
    expected, weightless = expected_accel(plan)
    judged = [
        (s, *classify_segment(s, expected, weightless, plan))
        for s in usable_segments(scene.motions)
    ]
    scene.data["segments"] = [_segment_dict(s, st, plan) for s, st, _, _ in judged]
    followed = [s for s, st, _, _ in judged if st == "followed"]
    scene.data["gravity_px_s2"] = (
        rnd(np.median([s.fit.accel for s in followed])) if followed else None
    )
    violated = [(s, ev, c) for s, st, ev, c in judged if st == "violated"]
    if violated:
        seg, evidence, conf = max(violated, key=lambda v: v[2])
        more = (
            f" ({len(violated)} of {len(judged)} airborne stretches fail)"
            if len(judged) > 1
            else ""
        )
        return verdict(
            "gravity", "violated", conf, f"object {seg.track}: {evidence}{more}", (seg.t0, seg.t1)
        )
    odd = None if weightless else _inconsistent(followed)
    if odd:
        seg, common = odd
        evidence = (
            f"objects fall at different rates: object {seg.track} accelerates at "
            f"{rate_words(seg.fit.accel, plan)} from {seg.t0:.2f} s to {seg.t1:.2f} s, "
            f"the others at about {rate_words(common, plan)}"
        )
        return verdict("gravity", "violated", 0.7, evidence, (seg.t0, seg.t1))
    if not followed:
        evidence = "no airborne stretch long and tall enough to measure an acceleration"
        return verdict("gravity", "unclear", 0.2, evidence)
    rate = rate_words(float(np.median([s.fit.accel for s in followed])), plan)
    verb = "drift at constant velocity" if weightless else f"accelerate downward at about {rate}"
    evidence = f"{len(followed)} airborne stretch(es) {verb}, steadily and consistently"
    span = (min(s.t0 for s in followed), max(s.t1 for s in followed))
    return verdict("gravity", "followed", min(0.95, 0.7 + 0.08 * len(followed)), evidence, span)


def _segment_dict(seg: SegmentFit, status: RuleStatus, plan: ShotPlan | None) -> dict[str, Any]:
    accel_g = None
    if plan is not None and plan.px_per_m:
        accel_g = rnd(seg.fit.accel / plan.px_per_m / 9.81)
    return {
        "track": seg.track,
        "t0": rnd(seg.t0),
        "t1": rnd(seg.t1),
        "points": seg.fit.points,
        "accel_px_s2": rnd(seg.fit.accel),
        "accel_se_px_s2": rnd(seg.fit.accel_se),
        "accel_g": accel_g,
        "bend_ratio": rnd(seg.bend_ratio),
        "drop_px": rnd(seg.drop_px),
        "rms_px": rnd(seg.fit.rms),
        "half_accels_px_s2": [rnd(h.accel) for h in seg.halves] if seg.halves else None,
        "status": status,
    }
