"""Fitting tracked motion: free-flight segments, their accelerations, bounces, apexes, jumps.

Pure functions over time and position arrays (seconds, full-resolution pixels, y down), so each
can be tested on trajectories whose answer is known exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

MIN_SEGMENT_POINTS = 6
MIN_HALF_POINTS = 5
CENTROID_NOISE_PX = 0.35  # floor on residual noise: sub-pixel centroids are never exact


@dataclass(frozen=True)
class QuadraticFit:
    """y(t) = y0 + v0 (t - tm) + accel (t - tm)^2 / 2 by least squares; accel's standard error."""

    accel: float
    accel_se: float
    velocity: float
    rms: float
    points: int


def fit_quadratic(t: np.ndarray, y: np.ndarray) -> QuadraticFit:
    """Least-squares constant-acceleration fit; the error bar uses a floor on the noise.

    Times are centred so the normal equations stay well conditioned.
    """
    tc = t - t.mean()
    design = np.column_stack([np.ones_like(tc), tc, 0.5 * tc**2])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(1, len(t) - 3)
    rms = float(np.sqrt(np.sum(resid**2) / dof))
    noise = max(rms, CENTROID_NOISE_PX)
    cov = np.linalg.pinv(design.T @ design) * noise**2
    return QuadraticFit(
        accel=float(coef[2]),
        accel_se=float(math.sqrt(max(cov[2, 2], 0.0))),
        velocity=float(coef[1]),
        rms=rms,
        points=len(t),
    )


def rest_mask(t: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """Samples where the height stays flat for >= 0.3 s: resting or rolling on a support.

    The window is long enough that the flat top of a real apex is not mistaken for rest.
    """
    tol = max(2.0, 0.12 * radius)
    flat = np.zeros(len(t), dtype=bool)
    start = 0
    for stop in range(len(t)):
        while t[stop] - t[start] > 0.3:
            start += 1
        window = y[start : stop + 1]
        if t[stop] - t[start] >= 0.25 and np.ptp(window) <= tol:
            flat[start : stop + 1] = True
    return flat


def bounce_indices(y: np.ndarray, radius: float) -> np.ndarray:
    """Indices of contacts: lowest points (largest y) where the motion turns from down to up."""
    if len(y) < 3:
        return np.array([], dtype=int)
    peaks, _ = find_peaks(y, prominence=max(3.0, 0.25 * radius))
    return np.asarray(peaks, dtype=int)


def airborne_runs(
    t: np.ndarray, y: np.ndarray, radius: float, breaks: list[int]
) -> list[tuple[int, int]]:
    """[start, stop) index ranges between contacts, rests and `breaks` (e.g. teleports).

    Contact samples belong to neither neighbour: at a bounce the true contact falls between
    frames, and the extreme sample may sit on either parabola.
    """
    cut = np.zeros(len(t), dtype=bool)
    cut[bounce_indices(y, radius)] = True
    cut |= rest_mask(t, y, radius)
    runs: list[tuple[int, int]] = []
    start = 0
    boundaries = set(breaks)
    for i in range(len(t) + 1):
        end_here = i == len(t) or cut[i] or i in boundaries
        if end_here:
            if i - start >= MIN_SEGMENT_POINTS:
                runs.append((start, i))
            start = i + 1 if i < len(t) and cut[i] else i
    return runs


@dataclass(frozen=True)
class SegmentFit:
    """One airborne stretch of one track and what its vertical motion says."""

    track: int
    start: int
    stop: int
    t0: float
    t1: float
    fit: QuadraticFit
    drop_px: float  # vertical extent covered
    bend_px: float  # accel * T^2 / 8: the parabola's largest departure from a straight chord
    halves: tuple[QuadraticFit, QuadraticFit] | None

    @property
    def bend_ratio(self) -> float:
        """Share of the vertical extent owed to acceleration: >= 0.25 for any fall from rest,
        0 for constant speed; negative when the object accelerates upward."""
        return self.bend_px / max(self.drop_px, 1e-9)


def fit_segment(track: int, t: np.ndarray, y: np.ndarray, start: int, stop: int) -> SegmentFit:
    """Fits one airborne run, plus each half separately to test that the rate is constant."""
    ts, ys = t[start:stop], y[start:stop]
    fit = fit_quadratic(ts, ys)
    duration = float(ts[-1] - ts[0])
    halves = None
    mid = len(ts) // 2
    if mid >= MIN_HALF_POINTS and len(ts) - mid >= MIN_HALF_POINTS:
        halves = (fit_quadratic(ts[: mid + 1], ys[: mid + 1]), fit_quadratic(ts[mid:], ys[mid:]))
    return SegmentFit(
        track=track,
        start=start,
        stop=stop,
        t0=float(ts[0]),
        t1=float(ts[-1]),
        fit=fit,
        drop_px=float(np.ptp(ys)),
        bend_px=fit.accel * duration**2 / 8.0,
        halves=halves,
    )


def step_ratios(frames: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step displacement (px per frame) and its ratio to the steps on either side.

    A teleport is one step far larger than the steps both before and after it. Taking the
    larger of the two neighbouring medians keeps a ball kicked from rest (large steps after)
    or stopped by a wall (large steps before) from looking like a jump.
    """
    span = np.maximum(np.diff(frames), 1.0)
    step = np.hypot(np.diff(x), np.diff(y)) / span
    ratio = np.zeros_like(step)
    for i in range(len(step)):
        before, after = step[max(0, i - 4) : i], step[i + 1 : i + 5]
        reference = max(
            float(np.median(before)) if len(before) else 0.0,
            float(np.median(after)) if len(after) else 0.0,
        )
        ratio[i] = step[i] / max(reference, 1.0)
    return step, ratio


def apex_heights(
    t: np.ndarray, y: np.ndarray, runs: list[tuple[int, int]], radius: float
) -> list[tuple[float, float]]:
    """(time, height above the neighbouring contact) for each apex between bounces.

    An apex counts only when it is a real turning point inside a run that starts or ends at a
    bounce, so a track that enters the frame already falling does not fake a high first apex.
    """
    contacts = bounce_indices(y, radius)
    if len(contacts) == 0:
        return []
    apexes: list[tuple[float, float]] = []
    for start, stop in runs:
        top = start + int(np.argmin(y[start:stop]))
        before = contacts[contacts < start]
        after = contacts[contacts >= stop]
        steps = np.abs(np.diff(y[start:stop]))
        falls_from_rest = top == start and steps[0] < 0.25 * steps.max()
        if not (start < top < stop - 1 or falls_from_rest):
            continue
        if len(before) and (start - before[-1]) <= 2:
            level = y[before[-1]]
        elif len(after) and (after[0] - stop) <= 2:
            level = y[after[0]]
        else:
            continue
        apexes.append((float(t[top]), float(level - y[top])))
    return apexes


def position_gaps(frames: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per step, how far apart the motion before and the motion after it put the object.

    Each side is extrapolated at its own last velocity to the middle of the step. A real
    object's position is continuous even when its velocity is not: a bounce or a collision
    leaves a gap of about one step at most, while a teleport leaves the whole offset, however
    fast the object was moving around it. NaN where a side has fewer than two samples.
    """
    count = len(frames)
    gaps = np.full(max(count - 1, 0), np.nan)
    for i in range(1, count - 2):
        mid = 0.5 * (frames[i] + frames[i + 1])
        back = max(frames[i] - frames[i - 1], 1.0)
        ahead = max(frames[i + 2] - frames[i + 1], 1.0)
        bx = x[i] + (x[i] - x[i - 1]) / back * (mid - frames[i])
        by = y[i] + (y[i] - y[i - 1]) / back * (mid - frames[i])
        ax = x[i + 1] - (x[i + 2] - x[i + 1]) / ahead * (frames[i + 1] - mid)
        ay = y[i + 1] - (y[i + 2] - y[i + 1]) / ahead * (frames[i + 1] - mid)
        gaps[i] = math.hypot(bx - ax, by - ay)
    return gaps
