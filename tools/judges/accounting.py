"""Whole-track accounting: every stretch of a moving body's track explained, or reported.

A physicist watching a clip accounts for all of a body's motion, not for a few clean stretches:
it flies under one gravity (rising and falling alike), bounces where something supports it,
rolls or slides on a support and slows, rests, swings about a pivot, or is carried by someone.
A stretch that none of these explain is a fault with a time span and numbers: a glide at
constant speed, a hover, a rise that speeds up, a fall that slows, a bounce or a sharp turn in
mid-air. The share of the moving time that could be checked at all is the verdict's coverage.

A track is cut where it rests (a flat stretch) and where it jumps; what is left is split,
recursively, into stretches that one smooth (constant-acceleration) motion fits to within
what the eye can see, so a velocity that changes at once (a bounce, or a keyframe
interpolator's corner) becomes a boundary between two stretches. Each stretch is then
classified by its own acceleration against the clip's gravity, and each boundary by how the
velocity changed there and whether a support was under the body.

Pure functions over arrays: seconds, the video's pixels, y growing downward.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.judges.motion import bounce_indices, rest_mask

MIN_POINTS = 5  # samples in a stretch for its acceleration to mean anything
MIN_STILL_S = 0.3  # a hover must last this long: an apex passes through zero speed at once
VISIBLE = 0.003  # share of the frame's diagonal below which a departure is not visible
CORNER_FRAMES = 2.0  # frames of gravity a corner between two stretches may change velocity by

# Unexplained kinds, and the rule each one breaks.
FAULTS: dict[str, str] = {
    "glide": "gravity",
    "hover": "gravity",
    "speeding_rise": "gravity",
    "slowing_fall": "gravity",
    "wrong_rate": "gravity",
    "midair_bounce": "gravity",
    "sharp_turn": "gravity",
    "kick": "gravity",
    "sideways_flip": "continuity",
    "flat_speedup": "energy",
}
EXPLAINED = ("flight", "contact", "rest", "roll", "slope", "swing", "carried")

# Whether a surface is visible under a point: (x, y of the body's bottom, half its width,
# how far below the bottom it may lie: a sampled contact can miss the floor by a frame's travel).
Support = Callable[[float, float, float, float], bool]
# Whether the scenery right under a point is too busy to say nothing holds a body there.
Clutter = Callable[[float, float, float], bool]


@dataclass(frozen=True)
class Smooth:
    """v(t) = value + velocity (t - tm) + accel (t - tm)^2 / 2, by least squares."""

    tm: float
    value: float
    velocity: float
    accel: float
    accel_se: float
    velocity_se: float
    rms: float
    velocity_accel_cov: float = 0.0

    def velocity_at(self, t: float) -> float:
        return self.velocity + self.accel * (t - self.tm)

    def velocity_se_at(self, t: float) -> float:
        """The standard error of `velocity_at(t)`: larger away from the stretch's middle."""
        d = t - self.tm
        var = self.velocity_se**2 + d * d * self.accel_se**2 + 2.0 * d * self.velocity_accel_cov
        return math.sqrt(max(var, 0.0))


def fit_smooth(t: np.ndarray, v: np.ndarray, noise: float) -> Smooth:
    """Constant-acceleration fit with error bars from the larger of the residual and `noise`."""
    tm = float(t.mean())
    tc = t - tm
    design = np.column_stack([np.ones_like(tc), tc, 0.5 * tc**2])
    coef, *_ = np.linalg.lstsq(design, v, rcond=None)
    resid = v - design @ coef
    rms = float(np.sqrt(np.sum(resid**2) / max(1, len(t) - 3)))
    cov = np.linalg.pinv(design.T @ design) * max(rms, noise) ** 2
    return Smooth(tm, float(coef[0]), float(coef[1]), float(coef[2]),
                  float(math.sqrt(max(cov[2, 2], 0.0))), float(math.sqrt(max(cov[1, 1], 0.0))),
                  rms, float(cov[1, 2]))


@dataclass(frozen=True)
class Piece:
    """One stretch of one track and what explains it (or the fault it shows)."""

    track: int
    kind: str
    t0: float
    t1: float
    numbers: dict[str, float] = field(default_factory=dict)

    @property
    def rule(self) -> str | None:
        """The rule this piece breaks, or None when it is explained or unchecked."""
        return FAULTS.get(self.kind)

    @property
    def checked(self) -> bool:
        return self.kind != "unchecked"

    @property
    def duration(self) -> float:
        return self.t1 - self.t0


@dataclass(frozen=True)
class Body:
    """What accounting needs of one tracked body."""

    track: int
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    radius: float
    noise: float  # centroid noise, px
    carried: np.ndarray  # bool per sample: touching a larger moving body (a hand, an agent)
    breaks: Sequence[int] = ()  # sample indices where the track jumps (continuity's business)
    floor_times: np.ndarray = field(default_factory=lambda: np.zeros(0))  # sightings left out
    # because the body was down at its floor there, its blob merged with the floor or shadow
    # bool per sample (empty: none): its blob twice the body's usual size or more, the body
    # merged with something (another body, scenery, a burst of compression noise)
    swollen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class Physics:
    """What the clip's world is: its gravity in px/s² when known, and its medium."""

    gravity: float | None
    weightless: bool = False
    fluid: bool = False
    diagonal: float = 1000.0
    support: Support = field(default=lambda x, y, w, reach: False)
    clutter: Clutter = field(default=lambda x, y, w: False)


@dataclass
class Stretch:
    """A [start, stop) index range of a body with its fits.

    `rest` marks a flat stretch; `contact_after` is the sample of the bounce that ends it
    (which belongs to neither neighbour); `whole` marks a stretch that runs from a contact
    (or the track's start) to the next without being split.
    """

    body: Body
    start: int
    stop: int
    rest: bool
    contact_after: int | None = None
    whole: bool = True
    after_rest: bool = False
    fy: Smooth | None = None
    fx: Smooth | None = None

    @property
    def t(self) -> np.ndarray:
        return self.body.t[self.start : self.stop]

    @property
    def x(self) -> np.ndarray:
        return self.body.x[self.start : self.stop]

    @property
    def y(self) -> np.ndarray:
        return self.body.y[self.start : self.stop]


# --- splitting ---------------------------------------------------------------------------------


def tolerance(body: Body, diagonal: float) -> float:
    """RMS departure from one smooth motion that still counts as smooth: the larger of the
    centroid noise and what a viewer could see on this frame."""
    return max(2.5 * body.noise, 0.6, VISIBLE * diagonal)


def _sse(t: np.ndarray, v: np.ndarray) -> float:
    tc = t - t.mean()
    design = np.column_stack([np.ones_like(tc), tc, tc**2])
    coef, *_ = np.linalg.lstsq(design, v, rcond=None)
    return float(np.sum((v - design @ coef) ** 2))


def _smooth(t: np.ndarray, x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    return len(t) < 4 or max(_sse(t, y), _sse(t, x)) <= tol**2 * max(1, len(t) - 3)


def _best_split(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> int:
    """The sample at which two smooth motions, sharing it, fit best: the velocity break."""
    best, index = math.inf, len(t) // 2
    for k in range(MIN_POINTS - 1, len(t) - MIN_POINTS + 1):
        cost = (_sse(t[: k + 1], y[: k + 1]) + _sse(t[k:], y[k:])
                + _sse(t[: k + 1], x[: k + 1]) + _sse(t[k:], x[k:]))
        if cost < best:
            best, index = cost, k
    return index


def smooth_ranges(body: Body, start: int, stop: int, tol: float) -> list[tuple[int, int]]:
    """[start, stop) ranges, each one smooth motion within `tol`; neighbours share a sample."""
    out, todo = [], [(start, stop)]
    while todo:
        a, b = todo.pop()
        t, x, y = body.t[a:b], body.x[a:b], body.y[a:b]
        if _smooth(t, x, y, tol) or b - a < 2 * MIN_POINTS - 1:
            out.append((a, b))
            continue
        k = a + _best_split(t, x, y)
        todo += [(a, k + 1), (k, b)]
    return sorted(out)


def _flights(body: Body, start: int, stop: int) -> list[tuple[int, int, int | None]]:
    """[start, stop) ranges between bounces, and the bounce's sample after each (or None).

    A bounce's lowest sample belongs to neither neighbour: the true contact falls between
    frames, and that sample may sit on either the fall's parabola or the rise's.
    """
    y = body.y[start:stop]
    low = (bounce_indices(y, body.radius) + start).tolist() if len(y) >= 3 else []
    edges = [start - 1, *low, stop]
    ranges = []
    for a, b in itertools.pairwise(edges):
        ranges.append((a + 1, b, b if b < stop else None))
    return [(a, b, c) for a, b, c in ranges if b - a >= 2]


def stretches(body: Body, diagonal: float) -> list[Stretch]:
    """The body's track cut at rests, jumps and bounces; a flight between bounces that one
    smooth motion does not fit is split further, to find where it breaks."""
    flat = rest_mask(body.t, body.y, body.radius)
    cuts = sorted({0, len(body.t), *body.breaks,
                   *(np.flatnonzero(np.diff(flat.astype(int)) != 0) + 1).tolist()})
    tol = tolerance(body, diagonal)
    out: list[Stretch] = []
    for a, b in itertools.pairwise(cuts):
        if flat[a]:
            out.append(Stretch(body, a, b, rest=True))
            continue
        # A moving stretch starts where the rest before it ended, so no time goes missing.
        lo = a - 1 if a > 0 and a not in body.breaks else a
        first = len(out)
        for p, q, bounce in _flights(body, lo, b):
            t, x, y = body.t[p:q], body.x[p:q], body.y[p:q]
            if _smooth(t, x, y, tol):
                out.append(Stretch(body, p, q, rest=False, contact_after=bounce))
                continue
            pieces = smooth_ranges(body, p, q, tol)
            out += [Stretch(body, u, v, rest=False, whole=False,
                            contact_after=bounce if v == q else None) for u, v in pieces]
        if lo < a and len(out) > first:
            out[first].after_rest = True
    for s in out:
        if s.stop - s.start >= 3:
            s.fy = fit_smooth(s.t, s.y, body.noise)
            s.fx = fit_smooth(s.t, s.x, body.noise)
    return out


# --- the clip's gravity -------------------------------------------------------------------------


def clip_gravity(parts: Sequence[Stretch]) -> float | None:
    """The downward acceleration the clip's clean free flights share (px/s²), or None.

    A stretch counts when it clearly bends downward (its acceleration at least five error
    bars above zero and a real share of its motion) and is long enough to trust; their
    precision-weighted median is the clip's own gravity, in its own pixels.
    """
    rates, weights = [], []
    for s in parts:
        if s.rest or s.fy is None or s.stop - s.start < 2 * MIN_POINTS:
            continue
        a, se = s.fy.accel, max(s.fy.accel_se, 1e-9)
        duration = float(s.t[-1] - s.t[0])
        bend = a * duration**2 / 8.0 / max(float(np.ptp(s.y)), 1e-9)
        if a > 5.0 * se and bend > 0.12:
            rates.append(a)
            weights.append(1.0 / se**2)
    if not rates:
        return None
    order = np.argsort(rates)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(rates)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


# --- classifying stretches ----------------------------------------------------------------------


def _numbers(**values: float) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in values.items()}


def _supported(s: Stretch, physics: Physics, index: int) -> bool:
    """Whether something holds the body up at sample `index`: a surface seen under it, the
    frame's bottom edge (the floor out of view), or the lowest level the body reaches."""
    body = s.body
    x, y = float(body.x[index]), float(body.y[index])
    if len(body.floor_times):
        near = float(np.min(np.abs(body.floor_times - body.t[index])))
        if near <= 2.5 / _frame_rate(body):
            return True  # it was seen down at its floor, blob and all, right then
    steps = np.abs(np.diff(body.y[max(0, index - 1) : index + 2]))
    reach = float(steps.max()) if len(steps) else 0.0
    if physics.support(x, y + body.radius, body.radius, reach):
        return True
    lowest = float(np.max(body.y))
    return y >= lowest - max(0.5 * body.radius, 4.0, reach)


def _held_by_nothing(s: Stretch, physics: Physics, index: int) -> bool:
    """Whether a body still at sample `index` is unsupported: no surface under it, and
    nothing busy under it either (it may lie on a heap the judge cannot see as a surface)."""
    body = s.body
    if _supported(s, physics, index):
        return False
    return not physics.clutter(float(body.x[index]), float(body.y[index]) + body.radius,
                               body.radius)


def _aloft(body: Body, height: float, physics: Physics) -> bool:
    """Whether a body `height` px above the lowest point it reaches is clearly off it: above
    where it settles (`_settling`), and well beyond what the blob's noise could make of it."""
    return height > max(2.0 * body.radius, 10.0, 3.0 * tolerance(body, physics.diagonal))


def classify_rest(s: Stretch, physics: Physics, on_support: bool = False) -> Piece:
    """A flat stretch: resting or rolling on a support, or hovering with nothing under it
    (`on_support`: it is known to be on one)."""
    body, t0, t1 = s.body, float(s.t[0]), float(s.t[-1])
    middle = (s.start + s.stop) // 2
    travel = float(np.ptp(s.x))
    kind = "roll" if travel > max(3.0, 0.5 * body.radius) else "rest"
    if bool(body.carried[s.start : s.stop].mean() > 0.5):
        return Piece(body.track, "carried", t0, t1)
    height = float(np.max(body.y)) - float(np.median(s.y))
    # A body seen lying or rolling along at one height from its first sighting is on
    # something, even where the surface's edge is lost in texture (a ball waiting on a table
    # top); one that was flying and then goes level is held up by nothing anyone can see.
    # Level means within the blob's bobbing of one height all along, however the bobbing
    # cut that stretch into pieces.
    from_start = s.start == 0 or float(np.ptp(body.y[: s.stop])) <= _bobbing(body)
    if (from_start or on_support or physics.weightless
            or not _held_by_nothing(s, physics, middle)
            or not _aloft(body, height, physics)):
        return Piece(body.track, kind, t0, t1, _numbers(travel_px=travel))
    return Piece(body.track, "hover", t0, t1,
                 _numbers(height_px=height, travel_px=travel, seconds=t1 - t0))


def _turn_up(s: Stretch, physics: Physics, facts: dict[str, float]) -> Piece:
    """A stretch that falls and then rises with no sharp corner: a bounce whose lowest
    sightings were left out (blob merged with the floor) or cut short by the frame rate.
    Where its lowest point is supported it is a contact; elsewhere it turned in mid-air."""
    body = s.body
    low = s.start + int(np.argmax(s.y))
    t0, t1 = float(s.t[0]), float(s.t[-1])
    if _supported(s, physics, low):
        return Piece(body.track, "contact", t0, t1, facts)
    height = float(np.max(body.y)) - float(body.y[low])
    return Piece(body.track, "midair_bounce", t0, t1, {**facts, "height_px": round(height, 1)})


def _settling(s: Stretch) -> bool:
    """Little hops and rolling at the floor as a body settles: never higher than its own
    diameter above the lowest level it reaches. There the blob merges with the body's shadow
    and the floor's edge, so its centre bobs by as much as the hops are high; no acceleration
    measured there means anything."""
    lowest = float(np.max(s.body.y))
    return lowest - float(np.min(s.y)) <= max(2.0 * s.body.radius, 10.0)


def _bobbing(body: Body) -> float:
    """How far (px) a body's blob bobs up and down while the body stays on one support: a
    fraction of its radius, as the surface's edge and its shadow come and go."""
    return max(1.5, 0.3 * body.radius)


def _along_support(s: Stretch, physics: Physics, drop: float) -> bool:
    """A body that stays within its blob's bobbing of one height with a surface under it
    for most of a stretch is rolling or sliding on it: the blob bobs as the surface's edge
    and its shadow come and go (more so through compression), and no acceleration measured
    from that bobbing says anything of a fall."""
    if drop > _bobbing(s.body):
        return False
    if s.after_rest:
        return True  # still at the level it rested at: on the same support, near its edge
    held = [_supported(s, physics, k) for k in range(s.start, s.stop)]
    return sum(held) >= 0.6 * len(held)


def leaves_support(s: Stretch, gravity: float | None, tol: float) -> float | None:
    """When a body rolls off an edge its height is flat, then falls under gravity from rest:
    the acceleration switches on at one moment, which no single constant acceleration fits.
    Returns that moment when such a path fits the stretch within `tol`, else None."""
    t, y = s.t, s.y
    best: tuple[float, float] | None = None
    for onset in t[: max(2, int(0.7 * len(t)))]:
        lag = 0.5 * np.maximum(t - onset, 0.0) ** 2
        design = np.column_stack([np.ones_like(t), lag])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        if coef[1] <= 0 or (gravity and abs(coef[1] - gravity) > 0.4 * gravity):
            continue
        rms = float(np.sqrt(np.mean((y - design @ coef) ** 2)))
        if best is None or rms < best[0]:
            best = (rms, float(onset))
    return best[1] if best is not None and best[0] <= tol else None


def _slope(s: Stretch) -> bool:
    """Sideways acceleration that keeps pace with a downward one: rolling down an incline.
    (A body that does not speed up downward at all is no evidence of an incline.)"""
    assert s.fx is not None and s.fy is not None
    sideways = abs(s.fx.accel)
    downward = s.fy.accel > 4.0 * s.fy.accel_se
    return downward and sideways > 0.35 * abs(s.fy.accel) and sideways > 4.0 * s.fx.accel_se


def classify_motion(s: Stretch, physics: Physics, gravity: float | None) -> Piece:
    """A moving stretch against the clip's gravity (see the module docstring)."""
    body = s.body
    t0, t1 = float(s.t[0]), float(s.t[-1])
    duration, n = t1 - t0, s.stop - s.start
    if bool(body.carried[s.start : s.stop].mean() > 0.5):
        return Piece(body.track, "carried", t0, t1)
    if s.fy is None or s.fx is None or n < MIN_POINTS or duration < 0.12:
        return Piece(body.track, "unchecked", t0, t1, _numbers(points=n))
    a, se = s.fy.accel, max(s.fy.accel_se, 1e-9)
    drop = float(np.ptp(s.y))
    v0, v1 = s.fy.velocity_at(t0), s.fy.velocity_at(t1)
    facts = _numbers(accel_px_s2=a, accel_se_px_s2=se, drop_px=drop, v0_px_s=v0, v1_px_s=v1,
                     points=n, whole=float(s.whole))
    still = max(1.5, 2.5 * body.noise, 0.15 * body.radius)
    if drop <= still and float(np.ptp(s.x)) <= still:
        rest = classify_rest(s, physics)
        return rest if rest.kind == "hover" or duration >= MIN_STILL_S else Piece(
            body.track, "unchecked", t0, t1, facts)
    if not physics.weightless and _settling(s):
        return Piece(body.track, "contact", t0, t1, {**facts, "settling": 1.0})
    if not physics.weightless and _along_support(s, physics, drop):
        return classify_rest(s, physics, on_support=True)
    if s.after_rest and not physics.weightless:
        onset = leaves_support(s, gravity, tolerance(body, physics.diagonal))
        if onset is not None:
            return Piece(body.track, "flight", t0, t1, {**facts, "leaves_support_s": onset})
    if physics.weightless:
        bend = a * duration**2 / 8.0
        kind = "glide" if abs(bend) <= max(2.0, 0.15 * drop) or abs(a) < 3 * se else "wrong_rate"
        return Piece(body.track, "flight" if kind == "glide" else kind, t0, t1, facts)
    if a < -3.0 * se and a * duration**2 / 8.0 < -max(1.0, 0.06 * drop):
        moving = 3.0 * s.fy.velocity_se + 2.0 * _frame_rate(body) * body.noise
        if v0 > moving and v1 < -moving:  # a fall turned into a rise: a bounce, seen smooth
            return _turn_up(s, physics, facts)
        if v1 < 0 and v0 < moving:  # rising, and faster and faster (from rest, maybe)
            kind = "speeding_rise"
        elif v0 > 0 and v1 > 0:
            kind = "slowing_fall"
        else:
            kind = "wrong_rate"
        if kind == "slowing_fall" and physics.fluid:
            kind = "flight"
        return Piece(body.track, kind, t0, t1, facts)
    if _slope(s):
        return Piece(body.track, "slope", t0, t1, facts)
    return _against_gravity(s, a, se, drop, gravity, facts, physics.diagonal)


def _against_gravity(s: Stretch, a: float, se: float, drop: float, gravity: float | None,
                     facts: dict[str, float], diagonal: float) -> Piece:
    """A stretch that bends downward (or not at all), judged by its rate.

    Gravity must have had time to show: over a stretch of T seconds a free flight departs
    from a straight line by g T² / 8, and where that is below what a viewer could see (or
    below the noise), nothing here can tell a glide from a flight. A flight cut into short
    straight pieces by keyframes that are close together is therefore not a fault.
    """
    body = s.body
    t0, t1 = float(s.t[0]), float(s.t[-1])
    duration = t1 - t0
    bend = a * duration**2 / 8.0
    if gravity is None:
        # Without a known gravity only a whole flight (bounce to bounce) is bent enough to
        # judge by its shape: the last tenth of a second of a real fall looks straight.
        if not s.whole:
            return Piece(body.track, "unchecked", t0, t1, facts)
        if drop >= max(8.0, 0.6 * body.radius) and bend < 0.08 * drop:
            return Piece(body.track, "glide", t0, t1, facts)
        if bend >= 0.12 * drop and a > 3 * se:
            return Piece(body.track, "flight", t0, t1, facts)
        return Piece(body.track, "unchecked", t0, t1, facts)
    expected_bend = gravity * duration**2 / 8.0
    visible = tolerance(body, diagonal)
    if expected_bend < 1.5 * visible or se > 0.5 * gravity:
        return Piece(body.track, "unchecked", t0, t1, facts)
    ratio = a / gravity
    facts = {**facts, "ratio_to_gravity": round(ratio, 3)}
    if abs(a - gravity) <= max(3.0 * se, 0.4 * gravity):
        return Piece(body.track, "flight", t0, t1, facts)
    v0, v1 = facts["v0_px_s"], facts["v1_px_s"]
    one_way = v0 * v1 > 0  # a glide goes one way; a stretch that turns is something else
    if ratio < 0.35 and one_way and drop >= max(3.0 * visible, 0.5 * body.radius, 4.0):
        return Piece(body.track, "glide", t0, t1, facts)
    return Piece(body.track, "wrong_rate", t0, t1, facts)


# --- classifying the boundaries between stretches -------------------------------------------------


def classify_break(before: Stretch, after: Stretch, physics: Physics,
                   gravity: float | None) -> Piece | None:
    """What happened where two stretches meet; None where the velocity ran on.

    At a bounce the question is only whether something was there to bounce on. Elsewhere a
    velocity that changes at once must change visibly: the corner must push the path off a
    smooth one by more than a viewer could see, over the shorter of the two stretches.
    """
    if before.rest or after.rest or before.fy is None or after.fy is None:
        return None
    assert before.fx is not None and after.fx is not None
    body = before.body
    k = after.start
    t = float(body.t[k])
    vy0, vy1 = before.fy.velocity_at(t), after.fy.velocity_at(t)
    vx0, vx1 = before.fx.velocity_at(t), after.fx.velocity_at(t)
    span = min(float(before.t[-1] - before.t[0]), float(after.t[-1] - after.t[0]))
    facts = _numbers(vy_before_px_s=vy0, vy_after_px_s=vy1, vx_before_px_s=vx0,
                     vx_after_px_s=vx1, span_s=span)
    if bool(body.carried[max(0, k - 2) : k + 3].any()):
        return Piece(body.track, "carried", t, t, facts)
    if bool(body.swollen[max(0, k - 2) : k + 3].any()):
        # The corner is read off a blob that is not the body alone: it is the blob's corner.
        return Piece(body.track, "unchecked", t, t, facts)
    if before.contact_after is not None:
        low = before.contact_after
        t0, t1 = float(before.t[-1]), float(after.t[0])
        if _supported(after, physics, low):
            return Piece(body.track, "contact", t0, t1, facts)
        height = float(np.max(body.y)) - float(body.y[low])
        return Piece(body.track, "midair_bounce", t0, t1,
                     {**facts, "height_px": round(height, 1)})
    if not physics.weightless and _settling(before) and _settling(after):
        return None  # little hops at the floor: the blob bobs with its shadow (`_settling`)
    change = math.hypot(vx1 - vx0, vy1 - vy0)
    visible = tolerance(body, physics.diagonal)
    # Gravity alone changes the velocity by g / fps from one frame to the next; keyframes
    # close together bend a path by about that much at each corner, and that is no fault.
    fps = 1.0 / max(float(np.median(np.diff(body.t))), 1e-6)
    frame_change = CORNER_FRAMES * (gravity or 0.0) / fps
    if change * span / 4.0 < 2.0 * visible or change <= frame_change:
        return None
    # Each side's velocity at the corner is extrapolated from its own fit; a change those
    # fits cannot tell from their own noise (a stretch of a few jittery sightings) is none.
    # The noise sums all four components' errors, more than the change's own error, so
    # twice it is the bar.
    noise = math.sqrt(sum(f.velocity_se_at(t) ** 2
                          for f in (before.fy, after.fy, before.fx, after.fx)))
    if change <= 2.0 * noise:
        return None
    # A fall turned back or stopped at once where something holds the body up is a bounce
    # or a landing (the last little hop of a settling ball lands dead).
    if vy0 > 0 and vy1 < vy0 and _supported(after, physics, k):
        return Piece(body.track, "contact", t, t, facts)
    if vy0 > 0 > vy1:
        height = float(np.max(body.y)) - float(body.y[k])
        return Piece(body.track, "midair_bounce", t, t, {**facts, "height_px": round(height, 1)})
    if vy0 < 0 < vy1:
        return Piece(body.track, "sharp_turn", t, t, facts)
    if vx0 * vx1 < 0 and abs(vx1 - vx0) > abs(vy1 - vy0):
        return Piece(body.track, "sideways_flip", t, t, facts)
    return Piece(body.track, "kick", t, t, facts)


# --- the whole account ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """Every body's pieces, the clip's gravity, and how much of the moving time was checked."""

    pieces: list[Piece]
    gravity: float | None
    gravity_source: str  # "plan", "clip" or "none"
    coverage: float
    moving_seconds: float

    def faults(self, rule: str | None = None) -> list[Piece]:
        return [p for p in self.pieces if p.rule and (rule is None or p.rule == rule)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "gravity_px_s2": None if self.gravity is None else round(self.gravity, 2),
            "gravity_source": self.gravity_source,
            "coverage": round(self.coverage, 4),
            "moving_seconds": round(self.moving_seconds, 4),
            "pieces": [
                {"track": p.track, "kind": p.kind, "t0": round(p.t0, 4), "t1": round(p.t1, 4),
                 **({"rule": p.rule} if p.rule else {}), **p.numbers}
                for p in self.pieces
            ],
        }


def swing_pivot(body: Body) -> tuple[float, float, float] | None:
    """(x, y, length) of the pivot a body swings about, when its path is an arc below one.

    A pendulum's bob, a swing's seat or a ball rolling in a bowl moves back and forth on a
    circle whose centre lies above it; its turning points are the ends of the arc, where it
    stops and comes back, with nothing under it. A falling, bouncing or thrown body's path
    is no such arc (a throw's circle would have its centre below the path).
    """
    x, y = body.x, body.y
    if len(x) < 2 * MIN_POINTS or float(np.ptp(x)) < 4.0 * body.radius:
        return None
    design = np.column_stack([x, y, np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(design, -(x**2 + y**2), rcond=None)
    cx, cy = -coef[0] / 2.0, -coef[1] / 2.0
    square = cx**2 + cy**2 - coef[2]
    if not np.isfinite(square) or square <= 0:
        return None
    length = math.sqrt(square)
    off = np.hypot(x - cx, y - cy) - length
    rms = float(np.sqrt(np.mean(off**2)))
    angles = np.arctan2(x - cx, y - cy)
    turns = int(np.sum(np.diff(np.sign(np.diff(x))) != 0))
    above = cy < float(np.min(y)) - 0.5 * length
    if above and rms <= max(3.0 * body.noise, 0.03 * length, 2.0) and np.ptp(angles) >= 0.15 \
            and turns >= 2:
        return float(cx), float(cy), length
    return None


def flight_ranges(parts: list[Stretch]) -> list[tuple[int, int]]:
    """[start, stop) sample ranges of free flights: moving stretches between bounces and
    rests (a split inside a flight does not end it)."""
    ranges: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for part in parts:
        if part.rest:
            current = None
            continue
        current = (current[0], part.stop) if current else (part.start, part.stop)
        if ranges and ranges[-1][0] == current[0]:
            ranges[-1] = current
        else:
            ranges.append(current)
        if part.contact_after is not None:
            current = None
    return ranges


def dwell(body: Body, physics: Physics, gravity: float | None,
          span: tuple[int, int] | None = None) -> Piece | None:
    """The longest stretch a body lingers in mid-air, when gravity cannot allow it.

    A body in free flight that moves up or down by no more than d over T seconds has
    g T² / 8 <= d: gravity moves it on, and least so around an apex, where it is slowest. A
    body that stays within d for longer (give or take the noise and a frame), with nothing
    under it, is held in mid-air, however its lingering was cut into pieces: a hold between
    keyframes, a slow glide across the top of a hop, an ease in and out of an apex.
    """
    if not gravity or gravity <= 0 or len(body.t) < MIN_POINTS:
        return None
    margin = 2.0 * tolerance(body, physics.diagonal)
    slack = 2.0 / _frame_rate(body)
    y, t = body.y, body.t
    first, last = span if span is not None else (0, len(y))
    found: list[tuple[float, int, int]] = []
    for a in range(first, last):
        low = high = float(y[a])
        longest = None
        for b in range(a + 1, last):
            low, high = min(low, float(y[b])), max(high, float(y[b]))
            allowed = math.sqrt(8.0 * (high - low + margin) / gravity) + slack
            if t[b] - t[a] > allowed:
                longest = b
            elif high - low > 4.0 * margin + 0.5 * body.radius:
                break
        if longest is not None and not (found and found[-1][2] >= longest):
            found.append((float(t[longest] - t[a]), a, longest))
    for length, a, b in sorted(found, reverse=True)[:4]:
        if bool(body.carried[a : b + 1].mean() > 0.5):
            continue
        if not _held_by_nothing(Stretch(body, a, b + 1, rest=True), physics, (a + b) // 2):
            continue
        height = float(np.max(body.y)) - float(np.median(y[a : b + 1]))
        if not _aloft(body, height, physics):
            continue
        return Piece(body.track, "hover", float(t[a]), float(t[b]),
                     _numbers(height_px=height, seconds=length,
                              range_px=float(np.ptp(y[a : b + 1]))))
    return None


def _passed_through(body: Body, piece: Piece, physics: Physics) -> Piece:
    """A bounce taken for a contact whose level the body later falls well below at the same
    spot: nothing solid was there (an edge on the wall, a seam, misled the support test), so
    it bounced in mid-air."""
    if piece.kind != "contact" or piece.t1 - piece.t0 > 0.2 or piece.numbers.get("settling"):
        # A settling hop is no bounce: its lowest sightings are its ends, where it leaves and
        # meets the floor between frames, and `_settling` already allows them that bobbing.
        return piece
    slack = 2.5 / _frame_rate(body)
    if np.any((body.floor_times >= piece.t0 - slack) & (body.floor_times <= piece.t1 + slack)):
        return piece  # its lowest sightings, down at the floor, were left out: it touched
    around = (body.t >= piece.t0) & (body.t <= piece.t1)
    if not around.any():
        return piece
    k = int(np.flatnonzero(around)[np.argmax(body.y[around])])
    later = (body.t > piece.t1) & (np.abs(body.x - body.x[k]) < body.radius)
    depth = float(np.max(body.y[later] - body.y[k])) if later.any() else 0.0
    # A fast bounce falls between frames: its lowest sighting is above the floor by up to
    # v_in v_out / (v_in + v_out) per frame interval, however solid the floor.
    v_in = abs(piece.numbers.get("vy_before_px_s", 0.0))
    v_out = abs(piece.numbers.get("vy_after_px_s", 0.0))
    between = v_in * v_out / (v_in + v_out) / _frame_rate(body) if v_in + v_out > 0 else 0.0
    if depth <= max(body.radius, 2.0 * tolerance(body, physics.diagonal), 1.1 * between):
        return piece
    height = float(np.max(body.y)) - float(body.y[k])
    return Piece(body.track, "midair_bounce", piece.t0, piece.t1,
                 {**piece.numbers, "height_px": round(height, 1),
                  "falls_below_px": round(depth, 1)})


FLYING = ("flight", "glide", "wrong_rate", "speeding_rise", "slowing_fall", "slope")


def _hovers_need_flight(pieces: list[Piece]) -> list[Piece]:
    """A body said to hang in mid-air must also be seen flying: where it is never seen in
    free motion (a piece of a heap, a region of scenery the tracker followed), what looks
    like hanging is most likely resting on something the judge cannot make out."""
    if any(p.kind in FLYING and p.t1 - p.t0 >= 0.2 for p in pieces):
        return pieces
    return [Piece(p.track, "unchecked", p.t0, p.t1, p.numbers) if p.kind == "hover" else p
            for p in pieces]


def _frame_rate(body: Body) -> float:
    return 1.0 / max(float(np.median(np.diff(body.t))), 1e-6)


def _swing_piece(body: Body, pivot: tuple[float, float, float]) -> Piece:
    numbers = _numbers(pivot_x_px=pivot[0], pivot_y_px=pivot[1], length_px=pivot[2])
    return Piece(body.track, "swing", float(body.t[0]), float(body.t[-1]), numbers)


def account(bodies: Sequence[Body], physics: Physics) -> Account:
    """Explains every body's whole track; see the module docstring."""
    parts = {b.track: stretches(b, physics.diagonal) for b in bodies}
    pivots = {b.track: swing_pivot(b) for b in bodies}
    found = clip_gravity([s for k, ss in parts.items() if pivots[k] is None for s in ss])
    gravity, source = (physics.gravity, "plan") if physics.gravity else (found, "clip")
    if physics.weightless:
        gravity, source = 0.0, "plan"
    pieces: list[Piece] = []
    for body in bodies:
        ss = parts[body.track]
        pivot = pivots[body.track]
        if pivot is not None:
            pieces.append(_swing_piece(body, pivot))
            continue
        own: list[Piece] = []
        for i, s in enumerate(ss):
            own.append(classify_rest(s, physics) if s.rest
                       else classify_motion(s, physics, gravity))
            if i + 1 < len(ss):
                corner = classify_break(s, ss[i + 1], physics, gravity)
                if corner is not None:
                    own.append(corner)
        for span in [] if physics.weightless else flight_ranges(ss):
            held = dwell(body, physics, gravity, span)
            if held is not None and not any(
                    p.kind == "hover" and p.t0 <= held.t1 and held.t0 <= p.t1 for p in own):
                own.append(held)
        own = [_passed_through(body, p, physics) for p in own]
        pieces += sorted(_hovers_need_flight(own), key=lambda p: (p.t0, p.t1))
    total = sum(float(b.t[-1] - b.t[0]) for b in bodies)
    checked = sum(p.duration for p in pieces if p.checked and p.duration > 0)
    coverage = min(1.0, checked / total) if total > 0 else 0.0
    return Account(pieces, gravity, source if gravity is not None else "none", coverage, total)
