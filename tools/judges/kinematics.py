"""The measured physics judge: tracks moving objects in the pixels and checks kinematic rules.

It never sees a simulator's state, so it works on any video. The rules live in
`tools/judges/checks/`, one module each: `gravity`, `continuity`, `permanence`, `rigidity`,
`energy`, `time_direction`, `penetration`, `motion_present`, and `trajectory` when the plan
carries a simulated reference. Each returns `unclear` with low confidence when the tracking
cannot support a measurement; a guess is never dressed up as one.

Score (documented contract, see `physics_score`):
    physics = base * prod over violated rules of (1 - c / 2), where
    base = (sum_followed c + 0.5 * sum_unclear c / 4) / (sum_followed c + sum_unclear c / 4)
(c = the rule's confidence; base = 0.5 when no rule is followed or unclear). A violation
multiplies the score down by up to a half whatever the number of rules checked, so adding
rules never dilutes a confident violation: one at 0.9 caps the score at 0.55, two at 0.3.
Unclear rules weigh a quarter and pull the base gently toward 0.5.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tools.errors import BadInputError
from tools.judges.adherence import Adherence, run_score
from tools.judges.adherence_tracking import adherence_for
from tools.judges.checks import (
    CHECKS,
    RULE_TEXT,
    Scene,
    TrackMotion,
    frozen_video,
    reference_paths,
    verdict,
)
from tools.judges.checks.base import rnd
from tools.judges.motion import (
    airborne_runs,
    fit_segment,
    position_gaps,
    rest_mask,
    step_ratios,
)
from tools.judges.tracking import (
    ANALYSIS_MAX_SIDE,
    Track,
    Tracking,
    is_moving,
    track_objects,
)
from tools.media import read_video, video_size
from tools.schema import Ledger, RuleVerdict, ShotPlan, Verdict

MIN_FRAMES = 8
MAX_MOVING_TRACKS = 6


class KinematicsOptions(BaseModel):
    """Options of the kinematics judge (`registry.resolve('judge', 'kinematics', **options)`)."""

    model_config = ConfigDict(extra="forbid")

    max_frames: int = Field(240, ge=MIN_FRAMES, description="Frames analysed at most.")
    max_side: int = Field(ANALYSIS_MAX_SIDE, ge=64, description="Analysis resolution, long side.")


class KinematicsJudge:
    """Judge backend `kinematics`: cheap, measured, always available."""

    spec = "kinematics"

    def __init__(self, model: str | None = None, **options: Any) -> None:
        if model:
            raise BadInputError(
                f"the kinematics judge measures pixels and takes no model (got {model!r}): "
                "use the spec 'kinematics', or 'vlm:<model>' for a model-based judge"
            )
        self.options = KinematicsOptions(**options)

    def judge(self, video: Path, plan: ShotPlan | None = None) -> Verdict:
        """Decodes `video` (raises VideoReadError if it cannot) and judges its frames.

        The decoder samples with one even stride and shrinks frames to the analysis size, so
        a long or large video costs little more than a short small one; positions are still
        reported in the video's own pixels (the plan's scale refers to those).
        """
        started = time.perf_counter()
        width, _ = video_size(video)
        opts = self.options
        frames, fps = read_video(video, max_frames=opts.max_frames, max_side=opts.max_side)
        scale = width / frames.shape[2]
        verdict_ = judge_frames(frames, fps, plan, max_side=opts.max_side, scale=scale)
        return verdict_.model_copy(update={"cost": Ledger(seconds=time.perf_counter() - started)})


def judge_frames(
    frames: np.ndarray,
    fps: float,
    plan: ShotPlan | None = None,
    max_side: int = ANALYSIS_MAX_SIDE,
    scale: float = 1.0,
) -> Verdict:
    """Judges (T, H, W, 3) uint8 RGB frames shown at `fps`; pure apart from the clock.

    `scale` is how many of the original video's pixels one pixel of `frames` stands for.
    """
    started = time.perf_counter()
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise BadInputError(f"frames must be (T, H, W, 3) uint8 RGB, got {frames.shape}")
    if fps <= 0:
        raise BadInputError(f"fps must be positive, got {fps}")
    count, height, width = frames.shape[:3]
    size = (round(width * scale), round(height * scale))
    base: dict[str, Any] = {
        "fps": round(float(fps), 4),
        "frames": int(count),
        "duration_s": round(count / fps, 4),
        "frame_size": list(size),
        "px_per_m": plan.px_per_m if plan else None,
    }
    if count < MIN_FRAMES:
        return _unclear_verdict(f"only {count} frames: too few to measure motion", base, started)
    tracking = track_objects(frames, fps, max_side, scale)
    diagonal = math.hypot(*size)
    moving = [t for t in tracking.tracks if is_moving(t, diagonal, tracking.min_area)]
    base |= _tracking_measurements(tracking, moving, fps)
    reason = _unreliable_reason(tracking, moving, count)
    busy = tracking.busy_frames > 0.3 * count
    adherence = adherence_for(plan, None if busy else moving, fps, size, count, reason)
    if reason:
        extra = [frozen_video(plan, tracking.frame_change)] if not moving else []
        return _unclear_verdict(reason, base, started, extra, adherence)
    motions = [analyse_track(track, fps, diagonal) for track in moving]
    scene = Scene(tracking, motions, plan, fps, size, count, base)
    wanted = [r for r in CHECKS if r != "trajectory" or reference_paths(plan)]
    rules = [CHECKS[rule_id](scene) for rule_id in wanted]
    return _verdict(rules, base, started, adherence)


def _unreliable_reason(tracking: Tracking, moving: list[Track], count: int) -> str | None:
    """Why the tracks cannot be trusted, or None when they can."""
    if tracking.busy_frames > 0.3 * count:
        return (
            f"the whole image changes in {tracking.busy_frames} of {count} frames (camera motion "
            "or lighting), so moving objects cannot be separated from the background"
        )
    if not moving:
        return "no moving object large enough to track was found"
    if len(moving) > MAX_MOVING_TRACKS:
        return f"{len(moving)} moving regions found: too many to follow reliably"
    return None


def analyse_track(track: Track, fps: float, diagonal: float) -> TrackMotion:
    """Times, jumps, rests and airborne segment fits of one track."""
    frames, xs, ys = track.arrays()
    t = frames / fps
    radius = track.radius
    step, ratio = step_ratios(frames, xs, ys)
    gaps = position_gaps(frames, xs, ys)
    jumps: list[dict[str, float]] = []
    breaks = [int(i) + 1 for i in np.nonzero(ratio > 4.0)[0]]
    for i in range(len(step)):
        span = max(frames[i + 1] - frames[i], 1.0)
        distance = float(step[i] * span)
        if distance <= max(2.0 * radius, 0.04 * diagonal):
            continue
        # A jump is a step far longer than its neighbours, or a break in the position itself
        # that the motion on either side cannot bridge (the ball teleports while falling fast).
        around = max(step[i - 1] if i else 0.0, step[i + 1] if i + 1 < len(step) else 0.0)
        # Down at the floor a body's blob bobs with its shadow: a short vertical hop between
        # two floor-level sightings is that, not a jump.
        low = float(np.max(ys)) - radius
        dx, dy = abs(xs[i + 1] - xs[i]), abs(ys[i + 1] - ys[i])
        if ys[i] > low and ys[i + 1] > low and dy > 2.0 * dx and distance < 4.0 * radius:
            continue
        # A bounce leaves a gap of about one step; a teleport leaves its whole offset.
        broken = bool(gaps[i] > max(2.0 * around * span, 2.0 * radius, 0.04 * diagonal))
        if ratio[i] > 4.0 or broken:
            breaks.append(i + 1)
            jumps.append(
                {
                    "track": track.id,
                    "t0": rnd(t[i]),
                    "t1": rnd(t[i + 1]),
                    "distance_px": rnd(distance),
                    "usual_px_per_frame": rnd(step[i] / max(ratio[i], 1e-9)),
                    "ratio": rnd(ratio[i]),
                }
            )
    runs = airborne_runs(t, ys, radius, sorted(set(breaks)))
    segments = [fit_segment(track.id, t, ys, a, b) for a, b in runs]
    rest = rest_mask(t, ys, radius)
    return TrackMotion(track, frames, t, xs, ys, radius, rest, runs, segments, jumps)


# --- verdict assembly ------------------------------------------------------------------------


def physics_score(rules: list[RuleVerdict]) -> float:
    """Confidence-weighted score; see the module docstring for the formula and its reasons."""
    num = den = 0.0
    penalty = 1.0
    for rule in rules:
        if rule.status == "violated":
            penalty *= 1.0 - 0.5 * rule.confidence
        elif rule.status == "followed":
            num += rule.confidence
            den += rule.confidence
        else:
            num += 0.5 * 0.25 * rule.confidence
            den += 0.25 * rule.confidence
    base = num / den if den > 0 else 0.5
    return base * penalty


def _verdict(rules: list[RuleVerdict], data: dict[str, Any], started: float,
             adherence: Adherence | None = None) -> Verdict:
    score = physics_score(rules)
    seconds = time.perf_counter() - started
    data["judge_seconds"] = rnd(seconds)
    if adherence is not None:
        data["adherence"] = adherence.measurements
    return Verdict(
        judge="kinematics",
        score=run_score(score, adherence.score if adherence else None),
        physics=score,
        adherence=adherence.score if adherence else None,
        adherence_checks=adherence.checks if adherence else [],
        rules=rules,
        measurements=data,
        cost=Ledger(seconds=seconds),
    )


def _unclear_verdict(
    reason: str, data: dict[str, Any], started: float, known: list[RuleVerdict] | None = None,
    adherence: Adherence | None = None,
) -> Verdict:
    """Every rule unclear, at low confidence, for the one reason the tracking failed.

    `known` holds the few verdicts that need no tracks (e.g. a frozen video's motion_present).
    """
    data["unreliable_reason"] = reason
    given = {r.id: r for r in known or []}
    rules = [
        given.get(rule_id) or verdict(rule_id, "unclear", 0.1, reason)
        for rule_id in RULE_TEXT
        if rule_id != "trajectory"
    ]
    return _verdict(rules, data, started, adherence)


def _tracking_measurements(tracking: Tracking, moving: list[Track], fps: float) -> dict[str, Any]:
    moving_ids = {t.id for t in moving}
    return {
        "analysis_factor": tracking.factor,
        "noise_threshold": rnd(float(np.median(tracking.threshold))),
        "busy_frames": tracking.busy_frames,
        "unreliable_reason": None,
        "tracks": [_track_dict(t, fps, t.id in moving_ids) for t in tracking.tracks],
        "moving_tracks": len(moving),
    }


def _track_dict(track: Track, fps: float, moving: bool) -> dict[str, Any]:
    _, xs, ys = track.arrays()
    return {
        "id": track.id,
        "t0": rnd(track.first.frame / fps),
        "t1": rnd(track.last.frame / fps),
        "detections": len(track.detections),
        "radius_px": rnd(track.radius),
        "colour": [round(float(c)) for c in track.first.colour],
        "moving": moving,
        "path_px": rnd(float(np.hypot(np.diff(xs), np.diff(ys)).sum())),
        "joins": len(track.joins),
    }
