"""What every rule check receives (`Scene`) and how it answers (`verdict`).

A check is a pure function `check(scene) -> RuleVerdict` that may add its own numbers to
`scene.data` (the verdict's measurements). Checks read tracks, never the simulator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from tools.judges.accounting import Account
from tools.judges.agents import Sightings
from tools.judges.motion import SegmentFit
from tools.judges.surfaces import SurfaceFinder
from tools.judges.tracking import Track, Tracking
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
