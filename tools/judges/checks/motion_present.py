"""`motion_present`: the video is not frozen, as a whole or in a stretch, when motion is asked."""

from __future__ import annotations

import itertools
import math

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.schema import RuleVerdict, ShotPlan

MIN_STALL_STEPS = 3
# Analysis pixels a frame a body must step to be moving: a small blob's centre wanders less as
# its rim flickers, and a frozen body's through H.264 (up to one at crf 34 among clutter).
MOVING_PX = 1.5
# Whole-picture repeats need one more: a steady shot of a still scene repeats by chance.
MIN_REPEAT_STEPS = 4


def motion_expected(plan: ShotPlan | None) -> bool:
    """Whether the plan asks for motion: a scene to simulate or physical phenomena to show."""
    return plan is not None and bool(plan.scene or plan.phenomena)


def stalls(motion: TrackMotion, px: float = 1.0) -> list[tuple[float, float]]:
    """(start, end) times where a moving body stops dead mid-motion and later moves on.

    Real bodies slow down over several frames; a stall drops from full speed to exactly
    nothing at once, holds, and resumes (repeated frames, a stuttering generator). A slow
    body stalls too: it then turns up where it would have been had it gone on, a leap of
    the distance it lost. Moving means stepping by more than a small blob's centre wanders
    as its rim flickers, 1.5 analysis pixels (`px` video pixels each): a shard settling
    among others on a 720p clip steps two video pixels now and then and is still at rest.
    """
    span = np.maximum(np.diff(motion.frames), 1.0)
    step = np.hypot(np.diff(motion.x), np.diff(motion.y)) / span
    fast = max(1.5, 0.2 * motion.radius, MOVING_PX * px)
    still = step < 0.35
    found, i = [], 0
    while i < len(step):
        if not still[i]:
            i += 1
            continue
        j = i
        while j < len(step) and still[j]:
            j += 1
        after = step[j] if j < len(step) else 0.0
        sudden = i > 0 and ((step[i - 1] >= fast and after >= fast) or _leaps(motion, i, j))
        # No rest test: a frozen stretch is flat, so it always looks like resting.
        if j - i >= MIN_STALL_STEPS and sudden:
            found.append((float(motion.t[i]), float(motion.t[j])))
        i = j
    return found


def _leaps(motion: TrackMotion, i: int, j: int) -> bool:
    """Whether a body still from sample `i` to `j` then turns up where its motion before
    would have taken it by sample j + 1 (within half that distance, and at least 1.5 px)."""
    if j + 1 >= len(motion.frames) or i < 1:
        return False
    k = max(0, i - 3)
    span = motion.frames[i] - motion.frames[k]
    vx, vy = (motion.x[i] - motion.x[k]) / span, (motion.y[i] - motion.y[k]) / span
    if math.hypot(vx, vy) < 0.5:
        return False
    ahead = motion.frames[j + 1] - motion.frames[i]
    dx, dy = motion.x[j + 1] - motion.x[i], motion.y[j + 1] - motion.y[i]
    expected = math.hypot(vx * ahead, vy * ahead)
    miss = math.hypot(dx - vx * ahead, dy - vy * ahead)
    return bool(math.hypot(dx, dy) >= 1.5 and miss < 0.5 * expected)


def repeated_frames(change: np.ndarray, fps: float) -> list[tuple[float, float]]:
    """(start, end) times where the whole picture stops changing, then changes again.

    Repeated frames are identical (or, through a codec, nearly so) while everything else in
    the clip changes from frame to frame, even a resting scene's sensor noise. A run that
    lasts to the end is a scene come to rest, not a freeze.
    """
    if len(change) < 2 * MIN_REPEAT_STEPS:
        return []
    typical = float(np.median(change))
    quiet = change < max(0.15 * typical, 0.005)
    found, i = [], 0
    while i < len(change):
        if not quiet[i]:
            i += 1
            continue
        j = i
        while j < len(change) and quiet[j]:
            j += 1
        if j - i >= MIN_REPEAT_STEPS and i > 0 and j < len(change):
            edge = min(change[i - 1], change[j])
            if edge > max(4.0 * float(change[i:j].max()), 0.5 * typical):
                found.append((i / fps, j / fps))
        i = j
    return found


def _halted_in_motion(motion: TrackMotion, t0: float, t1: float, fps: float) -> bool:
    """Whether a body was moving fast into a still stretch, or leaps ahead out of it.

    Identical frames alone also come from a still scene on a steady camera. A frozen video
    holds a body that was on its way: it could not have stopped dead within one frame, and
    when the picture moves again it turns up where it would have been. A body creeping along
    or at rest does neither. Through H.264 the first repeated frame still differs from the
    next by a fraction of the usual change, so the stretch may be found a frame late: the
    step into it is either of the last two.
    """
    fast = max(3.0, 0.4 * motion.radius)
    start, stop = round(t0 * fps), round(t1 * fps)
    into = np.flatnonzero(motion.frames <= start)[-3:]
    for a, b in itertools.pairwise(into):
        if (motion.frames[b] - motion.frames[a] == 1
                and np.hypot(motion.x[b] - motion.x[a], motion.y[b] - motion.y[a]) > fast):
            return True
    before = np.flatnonzero(motion.frames <= stop)
    after = np.flatnonzero(motion.frames > stop)
    if not len(before) or not len(after):
        return False
    a, b = before[-1], after[0]
    return bool(np.hypot(motion.x[b] - motion.x[a], motion.y[b] - motion.y[a]) > fast)


def _moves_within(motion: TrackMotion, t0: float, t1: float, fps: float, px: float) -> bool:
    """Whether the body moves between consecutive frames of a still stretch by `px` or more.

    A repeated picture repeats every body in it: through H.264 a frozen body's centre
    wanders by a few tenths of an analysis pixel, up to one at CRF 34 among clutter. A
    shaken camera that happens to hold its place for a few frames makes the picture as
    quiet while a body goes on moving.
    """
    start, stop = round(t0 * fps), round(t1 * fps)
    inside = (motion.frames >= start) & (motion.frames <= stop)
    frames, x, y = motion.frames[inside], motion.x[inside], motion.y[inside]
    consecutive = np.diff(frames) == 1
    steps = np.hypot(np.diff(x), np.diff(y))[consecutive]
    return bool(steps.size and steps.max() >= px)


def check_motion_present(scene: Scene) -> RuleVerdict:
    """Motion present: something moves, and no moving body freezes in place mid-motion."""
    found = [(m.track.id, s) for m in scene.motions for s in stalls(m, scene.tracking.factor)]
    scene.data["stalls"] = [{"track": k, "t0": rnd(a), "t1": rnd(b)} for k, (a, b) in found]
    px = MOVING_PX * scene.tracking.factor  # moving, as for stalls, in the video's pixels
    repeats = [
        r
        for r in repeated_frames(scene.tracking.frame_change, scene.fps)
        if any(_halted_in_motion(m, *r, scene.fps) for m in scene.motions)
        and not any(_moves_within(m, *r, scene.fps, px) for m in scene.motions)
    ]
    scene.data["repeated_frames"] = [{"t0": rnd(a), "t1": rnd(b)} for a, b in repeats]
    if repeats and not found:
        t0, t1 = max(repeats, key=lambda r: r[1] - r[0])
        evidence = (
            f"the picture stops changing from {t0:.2f} s to {t1:.2f} s and then moves on: "
            "the same frame is repeated, the video freezes"
        )
        return verdict("motion_present", "violated", 0.8, evidence, (t0, t1))
    if found:
        track, (t0, t1) = max(found, key=lambda f: f[1][1] - f[1][0])
        evidence = (
            f"object {track} stops dead mid-motion from {t0:.2f} s to {t1:.2f} s and "
            "then moves on: the video freezes"
        )
        return verdict("motion_present", "violated", 0.85, evidence, (t0, t1))
    return verdict(
        "motion_present",
        "followed",
        0.85,
        f"{len(scene.motions)} object(s) move throughout without freezing",
    )


FROZEN_CHANGE = 0.5  # grey levels: repeated frames differ by less, even through H.264


def frozen_video(plan: ShotPlan | None, frame_change: np.ndarray) -> RuleVerdict:
    """The verdict when no moving object was found: violated only if the frames themselves
    barely change and motion was asked for; failing to find an object is not proof of none."""
    level = float(np.median(frame_change)) if len(frame_change) else 0.0
    if level >= FROZEN_CHANGE:
        return verdict(
            "motion_present",
            "unclear",
            0.2,
            f"the frames change ({level:.2f} grey levels between frames) but no "
            "moving object could be tracked",
        )
    if motion_expected(plan):
        return verdict(
            "motion_present",
            "violated",
            0.9,
            f"motion was asked for, but nothing moves (typical change between frames "
            f"{level:.2f} grey levels)",
        )
    return verdict(
        "motion_present",
        "unclear",
        0.2,
        "nothing moves, and no plan says whether motion was asked for",
    )
