"""What every rule check receives (`Scene`) and how it answers (`verdict`).

A check is a pure function `check(scene) -> RuleVerdict` that may add its own numbers to
`scene.data` (the verdict's measurements). Checks read tracks, never the simulator.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from tools.judges.accounting import Account
from tools.judges.agents import Sightings
from tools.judges.motion import SegmentFit
from tools.judges.surfaces import SurfaceFinder
from tools.judges.tracking import Detection, Track, Tracking
from tools.schema import RuleStatus, RuleVerdict, ShotPlan

_T = TypeVar("_T")

RULE_TEXT = {
    "gravity": "Airborne objects accelerate downward at one common, constant rate.",
    "continuity": "Objects move continuously: no jumps, frames in their order.",
    "permanence": "Objects do not vanish or appear away from the frame's edges.",
    "rigidity": "Rigid objects keep their size, shape and colour.",
    "energy": "Bounces do not gain height; things sliding on the flat do not speed up.",
    "time_direction": "Irreversible events run forwards, not played backwards.",
    "penetration": "Bodies do not sink through the floor they rest or bounce on.",
    "motion_present": "The video is not frozen: things move when motion is asked for.",
    "trajectory": "The motion agrees with the simulated reference after aligning scale and offset.",
}


@dataclass(frozen=True)
class TrackMotion:
    """One moving track with its times, positions, fits and the jumps found in it."""

    track: Track
    frames: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    radius: float
    rest: np.ndarray  # bool per sample: resting or rolling on a support
    runs: list[tuple[int, int]]
    segments: list[SegmentFit]
    jumps: list[dict[str, float]]
    held: np.ndarray | None = None  # bool per sample: touching a larger body (a hand) then

    def held_at(self, k: int) -> bool:
        """Whether sample `k` shows the body in a hand (or against another larger body)."""
        return bool(self.held is not None and self.held[k])


@dataclass(frozen=True)
class Scene:
    """Everything a check may look at: the tracking, the moving tracks and the plan."""

    tracking: Tracking
    motions: list[TrackMotion]
    plan: ShotPlan | None
    fps: float
    size: tuple[int, int]  # full-resolution width, height
    count: int  # frames analysed
    data: dict[str, Any]
    account: Account | None = None  # every moving body's track, explained piece by piece
    surfaces: SurfaceFinder | None = None  # what the scenery holds under and around bodies
    extras: tuple[Track, ...] = ()  # bodies too still to time, that still may not come from
    # nowhere or split off another (checked by `permanence` only)
    # What one check works out and another needs too (see `shared`); not part of the verdict.
    _shared: dict[str, Any] = field(default_factory=dict, init=False, compare=False,
                                    repr=False)

    @property
    def duration(self) -> float:
        return self.count / self.fps

    def shared(self, key: str, make: Callable[[], _T]) -> _T:
        """`make()`, worked out once per scene: several rules read the same findings (track
        ends, teleports, swaps), and each would otherwise redo them."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]  # type: ignore[no-any-return]

    def sightings(self) -> Sightings:
        """Every track's sightings by frame, indexed once per scene: the rules that look for
        what stood near a body at some moment read them frame by frame."""
        return self.shared("sightings", lambda: Sightings(self.tracking.tracks))


def verdict(
    rule_id: str,
    status: RuleStatus,
    confidence: float,
    evidence: str,
    span: tuple[float, float] | None = None,
    where: list[dict[str, Any]] | None = None,
) -> RuleVerdict:
    """A RuleVerdict with the rule's standard text and rounded numbers."""
    return RuleVerdict(
        id=rule_id,
        text=RULE_TEXT[rule_id],
        status=status,
        confidence=round(min(max(confidence, 0.0), 1.0), 3),
        evidence=evidence,
        span=(round(span[0], 3), round(span[1], 3)) if span else None,
        where=where or [],
    )


def rnd(value: float | np.floating[Any]) -> float:
    """A plain, rounded float for JSON measurements."""
    return round(float(value), 4)


CHROMA_CHANGE = 0.12  # chromaticity distance between two stretches of one body: another colour


def chromaticity(colour: tuple[float, float, float]) -> np.ndarray:
    """(r, g) over r + g + b: a body's colour without its brightness."""
    total = max(sum(colour), 1.0)
    return np.array([colour[0] / total, colour[1] / total])


CROWD = 3  # other look-alike pieces around a hand-off: a heap or a spray, not a lone body


def handed_off(scene: Scene, motion: TrackMotion, frame0: int, frame1: int) -> bool:
    """Whether a track's step from its sighting in `frame0` to the one in `frame1` only
    handed it from one body to another alike.

    Among many look-alike pieces (the shards of a broken glass, a heap of pebbles) the
    tracker can pass a track from one piece to the next, and back: its jumps and reversals
    are the hand-offs'. The body never left: just after the step something alike is still
    where it was, or just before it something alike was already where it lands. A body that
    jumps leaves its place empty and lands where nothing was. Frames shown out of order
    bring a lone body back where it was, maybe as another track, so a hand-off needs a
    crowd: at least `CROWD` other look-alike pieces around.
    """
    by_frame = {d.frame: d for d in motion.track.detections}
    start, end = by_frame.get(frame0), by_frame.get(frame1)
    if start is None or end is None:
        return False
    own = {id(d) for d in motion.track.detections}
    window = max(2, round(0.25 * scene.fps))
    near = 1.5 * motion.radius
    around = max(6.0 * motion.radius, 0.08 * float(np.hypot(*scene.size)))
    held, crowd = False, set()
    seen = scene.sightings()
    for frame in range(frame0 - window, frame1 + window + 1):
        for track, det in seen.at(frame):
            if id(det) in own:
                continue
            if (frame0 < det.frame and _alike(det, start, near)) or (
                    det.frame < frame1 and _alike(det, end, near)):
                held = True
            if _alike(det, start, around):
                crowd.add(track.id)
    return held and len(crowd) >= CROWD


def _alike(det: Detection, other: Detection, near: float) -> bool:
    """Whether `det` sits within `near` px of `other` and could be the same piece: a small
    piece's blob flickers in size, so up to a factor of 3, and glass glints, so only its hue
    must match (within half the change `rigidity` calls another colour)."""
    if np.hypot(det.x - other.x, det.y - other.y) > near:
        return False
    size = abs(np.log(max(det.area, 1.0) / max(other.area, 1.0)))
    hue = float(np.hypot(*(chromaticity(det.look) - chromaticity(other.look))))
    return bool(size <= np.log(3.0) and hue < 0.5 * CHROMA_CHANGE)


def one_body(scene: Scene, motion: TrackMotion) -> slice:
    """The samples of the longest stretch of a track that shows one body: a track handed
    among look-alike pieces (see `handed_off`) shows several, and what is measured across a
    hand-off (a size, a colour) compares two of them."""
    cuts = [0, len(motion.t)]
    for jump in motion.jumps:
        if handed_off(scene, motion, round(jump["t0"] * scene.fps),
                      round(jump["t1"] * scene.fps)):
            cuts.append(int(np.searchsorted(motion.t, jump["t1"] - 1e-6)))
    bounds = sorted(set(cuts))
    start, stop = max(itertools.pairwise(bounds), key=lambda b: b[1] - b[0])
    return slice(start, stop)
