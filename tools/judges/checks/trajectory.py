"""`trajectory`: the tracked motion agrees with the plan's simulation (Physics-IQ style).

When the plan has a scene the studio can simulate, the simulation says what a correct video
shows: how many bodies move, where each goes, when it bounces and how often, where it comes to
rest. Each simulated body is paired with the tracked body that follows its path best after one
scale and one offset are fitted (a generator may frame the scene differently), and the rule
compares what is left: the path's shape, the number and timing of bounces, the resting place.

A plan may instead carry a reference path itself as a note `"reference: {json}"`, holding one
object `{"t": [...], "x": [...], "y": [...]}` in video pixels (y down) and seconds, or a list of
them; then only the paths are compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.judges.checks.energy import flat_runs
from tools.schema import RuleVerdict, ShotPlan

AGREE, DISAGREE = 0.08, 0.2  # aligned path error, as a share of the motion's size
TIMING_S = 0.2  # a bounce may come this much earlier or later than simulated
REST_SHARE = 0.12  # a resting place may be off by this share of the frame's diagonal
MIN_APEX_PX = 6.0  # a simulated bounce lower than this is not counted (a viewer cannot see it)
WORST_SHARE = 0.5  # a departure's stretch: where the aligned distance is this share of its peak
MAX_STRETCHES = 3  # departures named per body, the widest apart first
SHOWN_S = 0.15  # the simulated path a departure carries reaches this far beyond its stretch


@dataclass(frozen=True)
class Reference:
    """One body's expected path in video pixels (y down), with its bounces and resting place."""

    name: str
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    contacts: tuple[float, ...] = ()  # times of bounces a viewer could see
    rests_at: tuple[float, float] | None = None  # (x, y) where it ends at rest
    events_known: bool = False


def reference_paths(plan: ShotPlan | None) -> list[dict[str, np.ndarray]]:
    """The reference trajectories the plan carries itself, as arrays; [] when it has none."""
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


def has_reference(plan: ShotPlan | None) -> bool:
    """Whether a verdict on this plan has a `trajectory` rule to answer."""
    return bool(reference_paths(plan)) or (plan is not None and plan.scene is not None)


def simulated_references(plan: ShotPlan, size: tuple[int, int], fps: float,
                         count: int) -> list[Reference] | None:
    """The plan's scene simulated and seen through the studio's camera at the video's frame
    times; None when the studio cannot simulate it."""
    from tools.studio.camera import Camera
    from tools.studio.simulate import simulate_spec

    assert plan.scene is not None
    try:
        sim = simulate_spec(plan.scene)
    except Exception:  # any spec the studio cannot build: no reference, not a crash
        return None
    camera = Camera.fit(sim.world, *size)
    t = np.arange(count) / fps
    refs = []
    for name, track in sim.tracks.items():
        x, y = camera.to_px(np.interp(t, track.t, track.x), np.interp(t, track.t, track.y))
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if float(np.hypot(np.ptp(x), np.ptp(y))) < 4.0:
            continue  # a body that never moves is scenery to the judge too
        refs.append(Reference(name, t, x, y, _visible_contacts(t, y), _rest(x, y),
                              events_known=True))
    return refs


def _visible_contacts(t: np.ndarray, y: np.ndarray,
                      prominence: float = MIN_APEX_PX) -> tuple[float, ...]:
    """Bounce times (lowest points between rises a viewer could see) in a sampled path."""
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(y, prominence=prominence)
    return tuple(float(t[i]) for i in peaks)


def _rest(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    tail = max(3, len(x) // 10)
    if np.ptp(x[-tail:]) < 2.0 and np.ptp(y[-tail:]) < 2.0:
        return float(x[-1]), float(y[-1])
    return None


def aligned_error(ref: Reference, motion: TrackMotion) -> tuple[float, float, tuple[float, float]
                                                                 ] | None:
    """(RMS distance after the best scale and offset, as a share of the motion's size; the
    scale; the offset) over the times both cover; None when they hardly overlap."""
    t, rx, ry, tx, ty = _overlap(ref, motion)
    if len(t) < 6:
        return None
    cx, cy = rx - rx.mean(), ry - ry.mean()
    norm = float(np.sum(cx**2 + cy**2))
    if norm < 1e-6:
        return None
    scale = float(np.sum(cx * (tx - tx.mean()) + cy * (ty - ty.mean()))) / norm
    if scale <= 0:
        return 1.0, scale, (0.0, 0.0)
    offset = (float(tx.mean() - scale * rx.mean()), float(ty.mean() - scale * ry.mean()))
    rms = float(np.sqrt(np.mean((tx - scale * rx - offset[0]) ** 2
                                + (ty - scale * ry - offset[1]) ** 2)))
    return rms / (scale * np.sqrt(norm / len(t))), scale, offset


def _overlap(ref: Reference, motion: TrackMotion) -> tuple[np.ndarray, ...]:
    """(t, simulated x, y, tracked x, y) at the simulation's times the track covers."""
    inside = (ref.t >= motion.t[0]) & (ref.t <= motion.t[-1])
    t = ref.t[inside]
    return (t, ref.x[inside], ref.y[inside], np.interp(t, motion.t, motion.x),
            np.interp(t, motion.t, motion.y))


def departures(ref: Reference, motion: TrackMotion, scale: float,
               offset: tuple[float, float]) -> list[tuple[float, float]]:
    """The stretches (t0, t1) where the tracked path is furthest from the aligned simulated one,
    worst first: the runs of times whose distance is at least `WORST_SHARE` of the largest and
    above `DISAGREE` of the motion's size.

    They say where the video went wrong, so a person can look there and a refiner can pin the
    motion there; the path error alone says only by how much.
    """
    t, rx, ry, tx, ty = _overlap(ref, motion)
    if len(t) < 2 or scale <= 0:
        return []
    size = float(np.sqrt(np.mean((rx - rx.mean()) ** 2 + (ry - ry.mean()) ** 2)))
    if size < 1e-6:
        return []
    off = np.hypot(tx - scale * rx - offset[0], ty - scale * ry - offset[1]) / (scale * size)
    far = off >= max(WORST_SHARE * float(off.max()), DISAGREE)
    runs = sorted(((float(off[a:b].max()), float(t[a]), float(t[b - 1]))
                   for a, b in flat_runs(far)), reverse=True)
    return [(t0, t1) for _, t0, t1 in runs[:MAX_STRETCHES]]


def _unmatched(times: list[float], others: list[float]) -> list[float]:
    """The times with none of `others` within `TIMING_S` of them."""
    return [t for t in times if all(abs(t - o) > TIMING_S for o in others)]


def _tracked_contacts(motion: TrackMotion, scale: float) -> list[float]:
    """Bounce times in the tracked path, counted as the simulation's are: lowest points
    between rises a viewer could see (the simulation's threshold in the video's scale), so
    the little hops of a body settling count on neither side."""
    return list(_visible_contacts(motion.t, motion.y, MIN_APEX_PX * max(scale, 0.25)))


def compare(scene: Scene, ref: Reference, motion: TrackMotion, strict: bool) -> dict[str, Any]:
    """What differs between one simulated body and its tracked body.

    `strict` when the video was made from this plan (its scale is known): then the path, the
    bounces' count and timing and the resting place must all agree. A video judged against a
    prompt alone was not made from the simulation's heights and materials, so only what any
    correct video of the prompt shares is asked: it bounces when the simulation does.
    """
    fit = aligned_error(ref, motion)
    assert fit is not None
    error, scale, offset = fit
    found: dict[str, Any] = {"body": ref.name, "track": motion.track.id,
                             "path_error": rnd(error), "problems": [], "where": []}

    def at(t0: float, t1: float, kind: str, **more: Any) -> None:
        found["where"].append({"track": motion.track.id, "t0": rnd(min(t0, t1)),
                               "t1": rnd(max(t0, t1)), "kind": kind, **more})

    seen = _tracked_contacts(motion, scale)
    expected = [c for c in ref.contacts if motion.t[0] <= c <= motion.t[-1]]
    found |= {"bounces_simulated": len(expected), "bounces_seen": len(seen)}
    if not strict:
        if expected and not seen:
            found["problems"].append("it never bounces where the simulated body does")
        return found
    if error > DISAGREE:
        found["problems"].append(f"its path departs from the simulated one by {100 * error:.0f}%"
                                 " of the motion's size after aligning scale and offset")
        for t0, t1 in departures(ref, motion, scale, offset):
            near = (ref.t >= t0 - SHOWN_S) & (ref.t <= t1 + SHOWN_S)
            at(t0, t1, "departs from simulation", expected=[  # the aligned simulated path
                [round(float(t), 3), round(float(scale * x + offset[0]), 1),
                 round(float(scale * y + offset[1]), 1)]
                for t, x, y in zip(ref.t[near], ref.x[near], ref.y[near], strict=True)])
    if ref.events_known:
        if abs(len(seen) - len(expected)) >= 2 or (expected and not seen):
            found["problems"].append(f"it bounces {len(seen)} times where the simulation "
                                     f"bounces {len(expected)} times")
            for t in _unmatched(expected, seen):
                at(t, t, "simulated bounce missing")
            for t in _unmatched(seen, expected):
                at(t, t, "bounce not simulated")
        elif expected and seen and abs(seen[0] - expected[0]) > TIMING_S:
            found["problems"].append(f"its first bounce comes at {seen[0]:.2f} s, the "
                                     f"simulation's at {expected[0]:.2f} s")
            at(seen[0], expected[0], "bounce timing")
        if ref.rests_at is not None and motion.rest[-3:].all():
            ex = scale * ref.rests_at[0] + offset[0]
            ey = scale * ref.rests_at[1] + offset[1]
            miss = float(np.hypot(motion.x[-1] - ex, motion.y[-1] - ey))
            found["rest_miss_px"] = rnd(miss)
            if miss > REST_SHARE * float(np.hypot(*scene.size)):
                found["problems"].append(f"it comes to rest {miss:.0f} px from where the "
                                         "simulated body does")
                settled, _ = flat_runs(motion.rest)[-1]  # the rest it ends in
                at(float(motion.t[settled]), float(motion.t[-1]), "rests elsewhere")
    return found


def _pairs(refs: list[Reference], motions: list[TrackMotion]) -> list[tuple[Reference,
                                                                        TrackMotion | None]]:
    """Each reference with the tracked body that follows it best (each body used once)."""
    from scipy.optimize import linear_sum_assignment

    if not motions:
        return [(r, None) for r in refs]
    cost = np.full((len(refs), len(motions)), 10.0)
    for i, ref in enumerate(refs):
        for j, motion in enumerate(motions):
            fit = aligned_error(ref, motion)
            if fit is not None:
                cost[i, j] = min(fit[0], 9.0)
    rows, cols = linear_sum_assignment(cost)
    chosen = {int(r): motions[int(c)] for r, c in zip(rows, cols, strict=True) if cost[r, c] < 9}
    return [(ref, chosen.get(i)) for i, ref in enumerate(refs)]


def check_trajectory(scene: Scene) -> RuleVerdict:
    """Trajectory: each simulated body is matched by a tracked one that moves as it does."""
    plan = scene.plan
    given = reference_paths(plan)
    if given:
        refs: list[Reference] | None = [Reference(f"reference {k}", r["t"], r["x"], r["y"])
                                        for k, r in enumerate(given)]
    elif plan is not None and plan.scene is not None:
        refs = simulated_references(plan, scene.size, scene.fps, scene.count)
    else:
        refs = None
    if refs is None:
        return verdict("trajectory", "unclear", 0.0, "the plan carries no simulated reference")
    if not refs:
        return verdict("trajectory", "unclear", 0.2, "nothing moves in the simulation")
    strict = bool(given) or plan is None or plan.px_per_m is not None
    results: list[dict[str, Any]] = [
        compare(scene, ref, m, strict) if m is not None else
        {"body": ref.name, "track": None, "problems": ["no tracked body follows it"]}
        for ref, m in _pairs(refs, scene.motions)]
    scene.data["trajectory"] = [{k: v for k, v in r.items() if k != "where"} for r in results]
    scene.data["trajectory_errors"] = [r.get("path_error") for r in results]
    problems = [f"simulated {r['body']}: {p}" for r in results for p in r["problems"]]
    if not given and len(scene.motions) > len(refs):
        problems.append(f"{len(scene.motions)} bodies move where the simulation moves "
                        f"{len(refs)}")
    if problems:
        where = [w for r in results if r["problems"] for w in r.get("where", [])]
        span = (min(w["t0"] for w in where), max(w["t1"] for w in where)) if where else None
        return verdict("trajectory", "violated", min(0.9, 0.6 + 0.1 * len(problems)),
                       "; ".join(problems), span=span, where=where)
    if not strict:
        return verdict("trajectory", "followed", 0.5,
                       f"{len(results)} simulated body(ies) each matched by a tracked body that "
                       "bounces when it does (the video's scale is unknown: its heights and "
                       "timing are not compared)")
    worst = max(float(r["path_error"]) for r in results)
    words = f"after aligning scale and offset the tracked paths are off by {100 * worst:.0f}%"
    if worst < AGREE:
        return verdict("trajectory", "followed", 0.85,
                       f"{words} of their size; bounces and resting places match the simulation")
    return verdict("trajectory", "unclear", 0.3, f"{words}: between agreement and disagreement")
