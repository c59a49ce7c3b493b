"""`energy`: bounces do not gain height; things sliding or rolling on the flat do not speed up."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tools.judges.checks.base import Scene, TrackMotion, rnd, verdict
from tools.judges.motion import apex_heights
from tools.schema import RuleVerdict

MIN_FLAT_S = 0.4


def flat_runs(rest: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) ranges of consecutive samples on a support."""
    runs, start = [], None
    for i, flag in enumerate([*rest.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def flat_speedup(motion: TrackMotion) -> dict[str, float] | None:
    """The strongest speed-up along a support, when one clearly happens.

    Rolling and sliding lose speed to friction; gaining it on the flat needs a push nobody
    gave. Speeds are medians over the first and last third of the stretch, robust to jitter.
    """
    worst = None
    free = motion.rest if motion.held is None else motion.rest & ~motion.held
    for start, stop in flat_runs(free):  # a hand may move what it holds as it likes
        t, x = motion.t[start:stop], motion.x[start:stop]
        if len(t) < 6 or t[-1] - t[0] < MIN_FLAT_S:
            continue
        speed = np.abs(np.diff(x)) / np.maximum(np.diff(t), 1e-9)
        third = max(2, len(speed) // 3)
        before, after = float(np.median(speed[:third])), float(np.median(speed[-third:]))
        gain = after - before
        if after > 1.5 * before and gain > max(25.0, 2.0 * motion.radius):
            found = {
                "track": motion.track.id,
                "t0": rnd(t[0]),
                "t1": rnd(t[-1]),
                "speed_before_px_s": rnd(before),
                "speed_after_px_s": rnd(after),
            }
            if worst is None or gain > worst["speed_after_px_s"] - worst["speed_before_px_s"]:
                worst = found
    return worst


def growing_pairs(motion: TrackMotion) -> tuple[list[tuple[float, float]], list[tuple[Any, Any]]]:
    """The track's apexes (time, height above contact) and the successive pairs that grow."""
    apexes = apex_heights(motion.t, motion.y, motion.runs, motion.radius)
    grows = [
        (a, b)
        for a, b in itertools.pairwise(apexes)
        if b[1] - (a[1] * 1.08 + max(2.0, 0.1 * motion.radius)) > 0
    ]
    return apexes, grows


def check_energy(scene: Scene) -> RuleVerdict:
    """Energy: each bounce's apex is no higher than the one before; no speed-up on the flat."""
    sequences: list[dict[str, Any]] = []
    worst = None
    for m in scene.motions:
        apexes, grows = growing_pairs(m)
        sequences.append({"track": m.track.id, "apexes": [[rnd(t), rnd(h)] for t, h in apexes]})
        for first, second in grows:
            ratio = second[1] / max(first[1], 1.0)
            if worst is None or ratio > worst[0]:
                worst = (ratio, m.track.id, first, second)
    scene.data["apexes"] = sequences
    if worst:
        ratio, track, first, second = worst
        evidence = (
            f"object {track} rises {second[1]:.0f} px above the contact at {second[0]:.2f} s, "
            f"higher than the {first[1]:.0f} px before it at {first[0]:.2f} s ({ratio:.2f}x): "
            "it gains energy"
        )
        return verdict(
            "energy", "violated", min(0.95, 0.65 + (ratio - 1.0)), evidence, (first[0], second[0])
        )
    speedups = [s for s in (flat_speedup(m) for m in scene.motions) if s]
    scene.data["flat_speedups"] = speedups
    if speedups:
        s = speedups[0]
        evidence = (
            f"object {s['track']} speeds up on the flat from {s['speed_before_px_s']:.0f} to "
            f"{s['speed_after_px_s']:.0f} px/s between {s['t0']:.2f} s and {s['t1']:.2f} s "
            "with nothing pushing it"
        )
        return verdict("energy", "violated", 0.75, evidence, (s["t0"], s["t1"]))
    pairs = sum(max(0, len(s["apexes"]) - 1) for s in sequences)
    if pairs == 0:
        return verdict("energy", "unclear", 0.15, "no pair of successive bounces to compare")
    heights = " -> ".join(
        f"{h:.0f}" for s in sequences if len(s["apexes"]) > 1 for _, h in s["apexes"]
    )
    evidence = f"apex heights above the contact level {heights} px: no bounce rises higher"
    return verdict("energy", "followed", min(0.9, 0.7 + 0.1 * pairs), evidence)
