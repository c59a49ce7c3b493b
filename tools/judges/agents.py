"""Bodies among bodies: hands that carry and release, occluders, and bodies that multiply.

Real footage has agents in it: a hand holds a ball (one blob with the hand), throws it (a new
blob separates from the hand's) and catches it again; a ball rolls behind a box and out the
other side. None of that is a body appearing from nothing or vanishing. What is: a body that
turns up whole in open view with nothing it came from, and a body that splits into two of
itself with nothing touching it (a generator's duplicated duck).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tools.judges.tracking import Detection, Track, colour_distance, outline_gap

TOUCH_PX = 3.0  # blobs this close (full-resolution px, at least) touch
EMERGING_SHARE = 0.6  # a first sighting this much smaller than the body is it coming into view


def _gap(a: Detection, b: Detection) -> float:
    """Distance between two blobs' boxes (0 when they overlap)."""
    dx = max(0.0, max(a.bbox[0], b.bbox[0]) - min(a.bbox[2], b.bbox[2]))
    dy = max(0.0, max(a.bbox[1], b.bbox[1]) - min(a.bbox[3], b.bbox[3]))
    return math.hypot(dx, dy)


def _touch(a: Detection, b: Detection, reach: float) -> bool:
    """Whether two blobs lie within `reach` of each other: by their boxes first (cheap, and
    most pairs are far apart), then by their outlines."""
    return _gap(a, b) <= reach and outline_gap(a, b) <= reach


class Sightings:
    """Every track's sightings by frame, so neighbours are found without scanning tracks."""

    def __init__(self, tracks: list[Track]) -> None:
        self.tracks = tracks
        self.by_frame: dict[int, list[tuple[Track, Detection]]] = {}
        for track in tracks:
            for det in track.detections:
                self.by_frame.setdefault(det.frame, []).append((track, det))

    def at(self, frame: int) -> list[tuple[Track, Detection]]:
        return self.by_frame.get(frame, [])


@dataclass(frozen=True)
class Neighbour:
    """Another track's sighting that touches a body's sighting."""

    track: Track
    detection: Detection

    @property
    def usual_area(self) -> float:
        """The other body's typical size: a sighting where two bodies touch is both at once."""
        return float(np.median([d.area for d in self.track.detections]))

    def larger_than(self, det: Detection, factor: float = 1.5) -> bool:
        return self.usual_area >= factor * det.area

    def looks_like(self, det: Detection) -> bool:
        size = abs(math.log(max(self.usual_area, 1.0) / max(det.area, 1.0)))
        return size < math.log(1.6) and colour_distance(self.detection.colour, det.colour) < 0.12


def touching(det: Detection, seen: Sightings, own: Track, frames: range) -> list[Neighbour]:
    """Sightings of other tracks in `frames` that touch `det`, one per track: their outlines
    lie within a few pixels, or half the broader one's radius across (blobs are cut at the
    noise, and a shadow falls a little off its body; for an arm that is a share of its
    width, not of its length)."""
    found: dict[int, Neighbour] = {}
    for frame in frames:
        for other, sighting in seen.at(frame):
            reach = max(TOUCH_PX, 0.5 * max(det.breadth, sighting.breadth))
            if other is not own and id(other) not in found and _touch(det, sighting, reach):
                found[id(other)] = Neighbour(other, sighting)
    return list(found.values())


def origin(track: Track, seen: Sightings) -> str | None:
    """Why a track that starts mid-clip is not a body appearing from nothing, or None.

    "released": its first sighting touches a larger body's (a hand opening, a thrower, a
    breaking body's rest); "separates": it touches another body that looks otherwise;
    "emerging": it comes into view partly, growing as it moves (from behind something, or
    through the frame's edge). One that touches a body of its own look is a copy (`twin`).
    """
    first = track.first
    near = touching(first, seen, track, range(max(0, first.frame - 2), first.frame + 1))
    if any(n.larger_than(first) and not n.looks_like(first) for n in near):
        return "released"
    if any(not n.looks_like(first) and n.track.first.frame < first.frame for n in near):
        # It parts from another body that looks otherwise: a shadow or a reflection coming
        # off it, a piece breaking off, a thing it was held by.
        return "separates"
    return "emerging" if _emerges(track.detections) else None


def ending(track: Track, seen: Sightings) -> str | None:
    """Why a track that ends mid-clip is not a body vanishing, or None: "caught" (it ends
    against a larger body) or "hidden" (it goes out of view partly, shrinking as it moves)."""
    last = track.last
    near = touching(last, seen, track, range(last.frame, last.frame + 3))
    if any(n.larger_than(last) for n in near):
        return "caught"
    return "hidden" if _emerges(track.detections[::-1]) else None


def _emerges(detections: list[Detection]) -> bool:
    """Whether the first sightings show a part of the body that grows as it moves on."""
    if len(detections) < 4:
        return False
    usual = float(np.median([d.area for d in detections]))
    first, later = detections[0], detections[min(3, len(detections) - 1)]
    moved = math.hypot(later.x - first.x, later.y - first.y)
    return first.area < EMERGING_SHARE * usual and moved > 0.5 * first.radius


def twin(track: Track, seen: Sightings) -> Track | None:
    """The body a track split off from, when it is a copy of it: at its first sighting it
    touches a body of its own size and look, which goes on unchanged (nothing breaks in two
    equal, unchanged halves, and no hand is there to let go of it)."""
    first = track.first
    own = float(np.median([d.area for d in track.detections[2:10]] or [first.area]))
    near = touching(first, seen, track, range(max(0, first.frame - 1), first.frame + 1))
    for n in near:
        if n.track.first.frame > first.frame - 6:
            continue
        # Sizes away from the moment they touch, when the two blobs are one.
        # Both a few frames away from the split: the two overlap for a while around it.
        before = [d.area for d in n.track.detections if first.frame - 12 <= d.frame
                  <= first.frame - 6]
        after = [d.area for d in n.track.detections if first.frame + 4 <= d.frame
                 <= first.frame + 12]
        if not before or not after:
            continue
        parent = float(np.median(before))
        kept = float(np.median(after)) / parent
        same = (abs(math.log(max(own, 1.0) / max(parent, 1.0))) < math.log(1.6)
                and colour_distance(n.detection.colour, first.colour) < 0.12)
        if same and 0.75 <= kept <= 1.33:
            return n.track
    return None


def carried(track: Track, seen: Sightings) -> np.ndarray:
    """Per sighting, whether the body touches a larger body (a hand holding it, a thrower):
    its motion then is the agent's, not free flight's."""
    out = np.zeros(len(track.detections), dtype=bool)
    for k, det in enumerate(track.detections):
        near = touching(det, seen, track, range(det.frame, det.frame + 1))
        out[k] = any(n.larger_than(det) and not n.looks_like(det) for n in near)
    return out
