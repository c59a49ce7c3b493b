"""`continuity`: no teleports, and frames in their order (no back-and-forth shuffles)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, handed_off, rnd, verdict
from tools.judges.checks.gravity import expected_accel
from tools.judges.checks.permanence import teleports
from tools.schema import RuleVerdict

# One misplaced detection makes two reversals (out and back); shuffled frames make many.
MIN_REVERSALS = 3


def position_noise(motion: TrackMotion) -> float:
    """Robust std of the centroid noise (px) from third differences, which vanish on any
    constant-acceleration path: compression and low contrast make centroids wobble."""
    if len(motion.x) < 8:
        return 0.0
    third = np.concatenate([np.diff(motion.x, 3), np.diff(motion.y, 3)])
    return float(1.4826 * np.median(np.abs(third)) / np.sqrt(20.0))


def near_ground(motion: TrackMotion) -> np.ndarray:
    """Samples down at the body's floor whose blob is not the whole body.

    There a body touches its own shadow and the floor's edge: its blob swells with the shadow
    or loses what matches the floor, and the centroid bobs by up to a radius. Such a sample
    (within three radii of the lowest level, its area off the body's size in open air by
    more than 30%) is no evidence of a reversal. A whole blob at the floor still counts:
    shuffled low bounces show there too.
    """
    area = np.array([d.area for d in motion.track.detections], dtype=float)
    low = float(np.max(motion.y)) if len(area) else 0.0
    aloft = area[motion.y < low - 3.0 * motion.radius]
    usual = float(np.median(aloft if len(aloft) >= 5 else area)) if len(area) else 0.0
    odd = np.abs(area - usual) > 0.3 * usual
    return np.asarray((motion.y > low - 3.0 * motion.radius) & odd)


def frame_gravity(scene: Scene) -> float | None:
    """Downward acceleration in px per frame², from the plan's scale or else the clip's own
    airborne fits; None when neither tells."""
    expected, weightless = expected_accel(scene.plan)
    if expected is not None and not weightless:
        return expected / scene.fps**2
    rates = [s.fit.accel for m in scene.motions for s in m.segments if s.fit.accel > 0]
    return float(np.median(rates)) / scene.fps**2 if rates else None


def reversal_events(motion: TrackMotion, gravity: float | None = None) -> list[float]:
    """Times of abrupt reversals that no collision with the floor explains.

    A bounce turns a fall into a rise at once; nothing turns a rise into a fall at once (that
    is gravity's slow work at an apex, one `gravity` of speed per frame), and nothing flips
    sideways motion back and forth in open air, nor along a support. Shuffled or
    out-of-order frames do both, again and again. (A fall kicked faster at once is no
    evidence of order: straight lines between keyframes do that, a gravity fault.)
    Thresholds sit well above the centroid noise, so slow motion counts too.
    """
    if len(motion.x) < 3:
        return []
    span = np.maximum(np.diff(motion.frames), 1.0)
    vx, vy = np.diff(motion.x) / span, np.diff(motion.y) / span
    noise = position_noise(motion)
    if gravity is None:
        floor = change = max(3.0, 0.5 * motion.radius)
    else:
        floor = max(0.5, 2.5 * noise)
        change = max(2.0, 2.5 * gravity, 8.0 * noise)
    ground = near_ground(motion)
    events = []
    for i in range(len(vx) - 1):
        if ground[i : i + 3].any():
            continue
        settled = motion.rest[i] or motion.rest[i + 1]
        up_then_down = (not settled and vy[i] < -floor and vy[i + 1] > floor
                        and vy[i + 1] - vy[i] > change)
        # A frame out of order steps back by at least the body's own step; a centroid that
        # wobbles as the blob meets the floor steps back by a fraction of it.
        pace = 0.5 * float(np.median(np.abs(vx[max(0, i - 3) : i + 5])))
        flip = (
            vx[i] * vx[i + 1] < 0
            and min(abs(vx[i]), abs(vx[i + 1])) > max(floor, pace)
            and abs(vx[i + 1] - vx[i]) > change
        )
        if up_then_down or flip:
            events.append(float(motion.t[i + 1]))
    return events


def _out_of_order(scene: Scene) -> tuple[int, float, float, int] | None:
    """(track, first, last time, count) of the densest burst of reversals within 1 s.

    Events of all objects count together: out-of-order frames jerk every object at once, and
    a shuffle that breaks a track into pieces spreads its reversals over them.
    """
    gravity = frame_gravity(scene)
    corners = _corners(scene)
    smooth = _smooth_flights(scene)
    swinging = _swinging(scene)
    events = sorted((t, m.track.id) for m in scene.motions if m.track.id not in swinging
                    for t in reversal_events(m, gravity)
                    if not any(abs(t - c) <= 1.5 / scene.fps for c in corners.get(m.track.id, []))
                    and not any(a < t < b for a, b in smooth.get(m.track.id, []))
                    and not _handed_turn(scene, m, t))
    best = None
    for i, (start, _) in enumerate(events):
        burst = [e for e in events[i:] if e[0] - start <= 1.0]
        # Two reversals in a row of one object are one misplaced detection; two wrong frames
        # leave them apart.
        apart = (len(burst) == 2 and burst[0][1] == burst[1][1]
                 and burst[1][0] - burst[0][0] > 1.5 / scene.fps)
        if (len(burst) >= MIN_REVERSALS or apart) and (best is None or len(burst) > best[3]):
            tracks = [track for _, track in burst]
            best = (max(set(tracks), key=tracks.count), burst[0][0], burst[-1][0], len(burst))
    return best


def _corners(scene: Scene) -> dict[int, list[float]]:
    """Times, per track, of the corners that join two long smooth stretches: a keyframe
    interpolator's turn at an apex. Gravity reports those; they say nothing of frame order,
    which jerks a body back and forth within a few frames."""
    found: dict[int, list[float]] = {}
    if scene.account is None:
        return found
    for piece in scene.account.pieces:
        if piece.kind in ("sharp_turn", "sideways_flip") and piece.numbers.get("span_s", 0) >= 0.15:
            found.setdefault(piece.track, []).append(piece.t0)
    return found


def _swinging(scene: Scene) -> set[int]:
    """Tracks that swing about a pivot: they turn back at each end of their arc."""
    if scene.account is None:
        return set()
    return {p.track for p in scene.account.pieces if p.kind == "swing"}


def _smooth_flights(scene: Scene) -> dict[int, list[tuple[float, float]]]:
    """Per track, the flights from bounce to bounce that one smooth motion fits whole: a
    reversal inside one is a turn too small to see, such as a keyframe corner at the top of a
    low hop; frames out of order break a flight up."""
    found: dict[int, list[tuple[float, float]]] = {}
    if scene.account is None:
        return found
    for piece in scene.account.pieces:
        # A settling hop at the floor (`contact` with a fitted stretch) is such a flight too.
        if piece.kind in ("flight", "contact") and piece.numbers.get("whole"):
            found.setdefault(piece.track, []).append((piece.t0, piece.t1))
    return found


def _handed_jump(scene: Scene, motion: TrackMotion, jump: dict[str, Any]) -> bool:
    return handed_off(scene, motion, round(jump["t0"] * scene.fps),
                      round(jump["t1"] * scene.fps))


def _handed_turn(scene: Scene, motion: TrackMotion, t: float) -> bool:
    """Whether a reversal at time `t` comes from a hand-off in the step into or out of it."""
    k = int(np.argmin(np.abs(motion.t - t)))
    frames = [int(f) for f in motion.frames[max(0, k - 1) : k + 2]]
    return any(handed_off(scene, motion, a, b) for a, b in itertools.pairwise(frames))


def check_continuity(scene: Scene) -> RuleVerdict:
    """Continuity: no step far larger than the steps around it, no back-and-forth bursts.

    A jump too long for the tracker to link shows as one track ending and an alike one
    starting elsewhere at once (`teleports`): the same break in the body's path.
    """
    jumps: list[dict[str, Any]] = [j for m in scene.motions for j in m.jumps
                                   if not _handed_jump(scene, m, j)]
    jumps += teleports(scene)
    scene.data["jumps"] = jumps
    if jumps:
        j = max(jumps, key=lambda item: item["ratio"])
        again = (f" (seen again as object {int(j['seen_again_as'])})"
                 if "seen_again_as" in j else "")
        evidence = (
            f"object {int(j['track'])} jumps {j['distance_px']:.0f} px between {j['t0']:.2f} s "
            f"and {j['t1']:.2f} s{again}, {j['ratio']:.1f}x its usual "
            f"{j['usual_px_per_frame']:.1f} px per frame"
        )
        conf = min(0.95, 0.6 + 0.03 * j["ratio"])
        return verdict("continuity", "violated", conf, evidence, (j["t0"], j["t1"]))
    burst = _out_of_order(scene)
    if burst:
        track, t0, t1, count = burst
        scene.data["reversal_burst"] = {
            "track": track,
            "t0": rnd(t0),
            "t1": rnd(t1),
            "count": count,
        }
        evidence = (
            f"object {track} reverses direction abruptly {count} times between {t0:.2f} s and "
            f"{t1:.2f} s where no bounce explains it: frames shown out of order"
        )
        return verdict("continuity", "violated", min(0.95, 0.55 + 0.1 * count), evidence, (t0, t1))
    steps = sum(len(m.t) - 1 for m in scene.motions)
    if steps < 8:
        return verdict("continuity", "unclear", 0.2, f"only {steps} tracked steps")
    evidence = f"{len(scene.motions)} moving object(s) over {steps} frame steps move without jumps"
    return verdict("continuity", "followed", 0.85, evidence)
