"""The adherence judge's link to the tracker: tracks become `TrackedBody` arrays.

Kept apart from `adherence` so that module stays a pure comparison of arrays; this is the one
place that knows the tracker's types, and the hook the kinematics judge calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tools.judges.adherence import (
    Adherence,
    Still,
    StillSource,
    TrackedBody,
    judge_adherence,
)
from tools.judges.tracking import Track, Tracking, is_moving, track_objects
from tools.schema import ShotPlan


def bodies_from_tracks(tracks: Sequence[Track], fps: float) -> list[TrackedBody]:
    """Each track's sightings as arrays: seconds, centre and equal-area radius in px, RGB."""
    bodies = []
    for track in tracks:
        frames, xs, ys = track.arrays()
        bodies.append(TrackedBody(
            t=np.asarray(frames, float) / fps, x=np.asarray(xs, float), y=np.asarray(ys, float),
            size=np.array([d.radius for d in track.detections], float),
            colour=np.array([d.look for d in track.detections], float)))
    return bodies


def track_bodies(frames: np.ndarray, fps: float) -> list[TrackedBody]:
    """The moving bodies the kinematics judge's tracker finds in (T, H, W, 3) frames."""
    return observe(frames, fps)[0]


def observe(frames: np.ndarray, fps: float) -> tuple[list[TrackedBody], Still | None]:
    """The moving bodies in (T, H, W, 3) frames and the still picture behind them."""
    tracking = track_objects(frames, fps)
    diagonal = math.hypot(frames.shape[2], frames.shape[1])
    moving = [t for t in tracking.tracks if is_moving(t, diagonal, tracking.min_area)]
    return bodies_from_tracks(moving, fps), still_picture(frames, tracking)


def still_picture(frames: np.ndarray, tracking: Tracking, scale: float = 1.0,
                  samples: int = 32) -> Still | None:
    """What stays put in the frames, at their full resolution (thin things such as a
    standing domino are a pixel or two wide at the tracker's): the per-pixel median of
    frames spread over the clip. None when the camera moves, since a median of frames that
    do not line up is a blur. `scale`: video pixels per pixel of `frames`."""
    if tracking.camera is not None or np.any(tracking.shifts):
        return None
    index = np.linspace(0, len(frames) - 1, min(len(frames), samples)).round().astype(int)
    return Still(np.median(frames[index], axis=0).astype(np.uint8), scale)


def adherence_for(plan: ShotPlan | None, moving: Sequence[Track] | None, fps: float,
                  size: tuple[int, int], frames: int, reason: str | None = None,
                  still: StillSource = None) -> Adherence | None:
    """The kinematics judge's adherence: None without a scene to adhere to; `moving` None when
    the tracks cannot be trusted at all (`reason` says why); `still` the video's still
    picture (`still_picture`), or what makes it when needed, where subjects that stay put
    are looked for."""
    if plan is None or plan.scene is None:
        return None
    bodies = None if moving is None else bodies_from_tracks(moving, fps)
    return judge_adherence(plan.scene, bodies, size, fps, frames / fps, track_bodies, reason,
                           still)
