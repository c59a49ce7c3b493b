"""`permanence`: objects do not vanish or appear away from the frame's edges."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.judges.agents import Sightings, ending, origin, twin
from tools.judges.checks.base import Scene, rnd, verdict
from tools.judges.checks.rigidity import swaps
from tools.judges.tracking import (
    Detection,
    Track,
    Tracking,
    colour_distance,
    is_moving,
    presence_change,
)
from tools.schema import RuleVerdict


def _inside(x: float, y: float, margin: float, size: tuple[int, int]) -> bool:
    return margin <= x <= size[0] - 1 - margin and margin <= y <= size[1] - 1 - margin


def track_ends(
    track: Track, fps: float, size: tuple[int, int], count: int,
    tracking: Tracking | None = None,
) -> list[tuple[str, int, int]]:
    """Track ends that happen inside the frame while the video goes on: (kind, frame, det index).

    The position one frame beyond the end (at the track's last velocity) must still be inside
    by a radius, so a fast object leaving through an edge is not counted. On a moving
    camera's canvas "inside" means inside that frame's picture.
    """
    dets, margin = track.detections, track.radius + 2.0
    slack = max(2, round(0.1 * fps))

    def inside(frame: int, x: float, y: float) -> bool:
        seen = tracking.in_view(frame, x, y, margin) if tracking is not None else None
        return _inside(x, y, margin, size) if seen is None else seen

    found = []
    if track.last.frame < count - 1 - slack:
        prev = dets[-2] if len(dets) > 1 else dets[-1]
        nx, ny = 2 * track.last.x - prev.x, 2 * track.last.y - prev.y
        if not track.last.at_edge and inside(track.last.frame + 1, nx, ny):
            found.append(("vanishes", track.last.frame, len(dets) - 1))
    if track.first.frame > slack:
        nxt = dets[1] if len(dets) > 1 else dets[0]
        px, py = 2 * track.first.x - nxt.x, 2 * track.first.y - nxt.y
        if not track.first.at_edge and inside(track.first.frame - 1, px, py):
            found.append(("appears", track.first.frame, 0))
    return found


@dataclass(frozen=True)
class End:
    """A track that starts or stops being seen inside the frame, and what explains it."""

    track: Track
    kind: str  # "vanishes" or "appears"
    detection: Detection
    change: float  # how abruptly its pixels changed (presence_change); 0 when excused
    because: str | None = None  # what explains it, if anything


def track_ends_explained(scene: Scene) -> tuple[list[End], list[tuple[Track, Track]]]:
    """Track ends inside the frame, each with what explains it (if anything), and the tracks
    that split off a copy of another (with it). Unexplained ends whose pixels do not change
    abruptly are left out. Worked out once per scene (`continuity` reads them too).

    An object that comes to rest merges into the median background, so a track end alone is
    not a vanishing: the pixels where it was must change abruptly too. A body let go by a
    hand, or coming out from behind something, is not appearing; one caught or going behind
    something is not vanishing (see `tools.judges.agents`).
    """
    return scene.shared("track_ends", lambda: _track_ends_explained(scene))


def _track_ends_explained(scene: Scene) -> tuple[list[End], list[tuple[Track, Track]]]:
    count, ends = scene.count, []
    seen = scene.sightings()
    swapped = {(k, int(e[k])) for e in swaps(scene) for k in ("track", "into")}
    tracks = [m.track for m in scene.motions] + list(scene.extras)
    twins = {t.id: twin(t, seen) if t.first.frame > 0 else None for t in tracks}
    for track in tracks:
        for kind, frame, index in track_ends(track, scene.fps, scene.size, count,
                                             scene.tracking):
            det = track.detections[index]
            if kind == "appears" and twins[track.id] is not None:
                continue  # a copy splitting off: reported on its own
            if (("into", track.id) if kind == "appears" else ("track", track.id)) in swapped:
                continue  # one body turning into another where it was: rigidity says so
            why = origin(track, seen) if kind == "appears" else ending(track, seen)
            if why is None and looks_like_shadow(scene.tracking, det):
                why = "a shadow"
            if (why is None and kind == "vanishes" and track in scene.extras
                    and in_scenery(scene.tracking, det, track.radius)):
                why = "merged into the scenery where it stands"
            if why is not None:
                ends.append(End(track, kind, det, 0.0, why))
                continue
            if kind == "vanishes":
                a, b = frame, min(count - 1, frame + 2)
            else:
                a, b = max(0, frame - 2), frame
            change = presence_change(scene.tracking, det.bbox, a, b)
            if change > 0.5:
                ends.append(End(track, kind, det, change))
    copies = [(t, parent) for t in tracks if (parent := twins[t.id]) is not None]
    return ends, copies


def teleports(scene: Scene) -> list[dict[str, Any]]:
    """Bodies that vanish at one place and, within a few frames, a body of their size and
    look appears at another, out of reach of their motion: one body that jumped.

    The tracker will not link a step that long, so a teleport reads as two track ends; both
    together are a break in the body's path (continuity), not a body gone and another from
    nowhere. Each end pairs at most once, nearest first. Worked out once per scene.
    """
    return scene.shared("teleports", lambda: _teleports(scene))


def _teleports(scene: Scene) -> list[dict[str, Any]]:
    ends = track_ends_explained(scene)[0]
    slack = max(2, round(0.1 * scene.fps))
    diagonal = float(np.hypot(*scene.size))
    gone = [e for e in ends if e.kind == "vanishes"]
    new = [e for e in ends if e.kind == "appears"]
    pairs = []
    for a in gone:
        for b in new:
            gap = b.detection.frame - a.detection.frame
            # One unexplained end is enough: a blurred frame smears a jump into one long
            # blob, and the body leaving it afterwards reads as separating from it.
            if (b.track.id == a.track.id or not 1 <= gap <= slack
                    or (a.because is not None and b.because is not None)):
                continue
            size = abs(np.log(max(b.track.radius, 1.0) / max(a.track.radius, 1.0)))
            if size > np.log(1.5) or colour_distance(a.detection.look, b.detection.look) > 0.3:
                continue
            ax, ay, speed = _last_motion(a.track)
            distance = float(np.hypot(b.detection.x - ax, b.detection.y - ay))
            reach = speed * gap + max(2.0 * a.track.radius, 0.04 * diagonal)
            if distance > reach:
                pairs.append((distance, a, b, speed))
    found: list[dict[str, Any]] = []
    used: set[int] = set()
    for distance, a, b, speed in sorted(pairs, key=lambda p: p[0]):
        if id(a) in used or id(b) in used:
            continue
        used.update((id(a), id(b)))
        span = b.detection.frame - a.detection.frame
        usual = max(speed, 1.0)
        found.append({
            "track": a.track.id,
            "seen_again_as": b.track.id,
            "t0": rnd(a.detection.frame / scene.fps),
            "t1": rnd(b.detection.frame / scene.fps),
            "distance_px": rnd(distance),
            "usual_px_per_frame": rnd(usual),
            "ratio": rnd(distance / (usual * span)),
        })
    return found


def _last_motion(track: Track) -> tuple[float, float, float]:
    """Where a track was last seen and its median pace (px per frame) over its last steps."""
    dets = track.detections[-6:]
    steps = [np.hypot(q.x - p.x, q.y - p.y) / max(q.frame - p.frame, 1)
             for p, q in itertools.pairwise(dets)]
    return track.last.x, track.last.y, float(np.median(steps)) if steps else 0.0


def materialised(scene: Scene) -> list[dict[str, Any]]:
    """Still things that come into being, or go, in open view where nothing moved: shards
    growing out of a floor, a cup forming on a table, a stick swelling into a sphere.

    A thing at rest cannot arrive or leave unless something brings it, takes it, drops it or
    uncovers it; a generator conjures it. Which side of the median background the change
    falls on depends only on when it happens, so both are looked for:
    - a track that starts inside the picture mid-clip and stays where it is to the end
      (the scenery before the change is the background);
    - a track seen from the start that ends inside the picture mid-clip, having stayed where
      it was (the scenery after the change is the background: this is its ghost).
    Either must be seen steadily (not a speck flickering at the threshold); over the half
    second before the change ends no other region moved near it; its spot looks otherwise
    across the change (it was not merely missed or found); and it is neither a shadow nor,
    for one that starts, split off another body. Worked out once per scene (a clip where
    nothing travels looks for these alone).
    """
    return scene.shared("materialised", lambda: _materialised(scene))


def _materialised(scene: Scene) -> list[dict[str, Any]]:
    tracking, fps, count = scene.tracking, scene.fps, scene.count
    diagonal = float(np.hypot(*scene.size))
    slack = max(2, round(0.1 * fps))
    window = max(3, round(0.5 * fps))
    lasting = max(6, round(0.75 * fps))
    seen = scene.sightings()
    found = []
    for track in tracking.tracks:
        first, last = track.first, track.last
        span = last.frame - first.frame + 1
        if (is_moving(track, diagonal, tracking.min_area) or span < lasting
                or len(track.detections) < 0.8 * span):
            continue
        ends = {kind for kind, _, _ in track_ends(track, fps, scene.size, count, tracking)}
        if "appears" in ends and first.frame >= window and last.frame >= count - 1 - slack:
            # It turns up: its spot half a second before against just after, and what moved
            # near it over that half second.
            turns_up, at = True, first.frame
            before, after = first.frame - window, first.frame + slack
            quiet = (before, first.frame)
        elif "vanishes" in ends and first.frame <= slack and last.frame <= count - 1 - window:
            # A ghost: its spot at the start against just after it is gone, and what moved
            # near it over the half second before it went.
            turns_up, at = False, last.frame
            before, after = first.frame, last.frame + slack
            quiet = (max(0, last.frame - window), last.frame + slack)
        else:
            continue
        after = min(count - 1, after)
        if tracking.in_view(before, first.x, first.y, track.radius + 2.0) is False:
            continue  # a moving camera had not shown the spot yet
        if ((turns_up and origin(track, seen) is not None)
                or _stirred(seen, tracking.factor, track, first, *quiet,
                            max(4.0 * track.radius, 0.05 * diagonal))
                or looks_like_shadow(tracking, first)):
            continue
        change = presence_change(tracking, first.bbox, before, after)
        if change > 0.5:
            kind = ("appears where nothing moved" if turns_up
                    else "changes at rest where nothing moved")
            # The two moments compared and the spot's size, so a report can show the spot
            # before and after, ringed.
            x0, y0, x1, y1 = first.bbox
            found.append(_event(track.id, kind, at / fps, first.x, first.y, change)
                         | {"t_before": rnd(before / fps), "t_after": rnd(after / fps),
                            "r": rnd(0.5 * max(x1 - x0, y1 - y0))})
    return found


def _stirred(seen: Sightings, factor: float, track: Track, spot: Detection, since: int,
             until: int, reach: float) -> bool:
    """Whether another region moved within `reach` px of `track`'s sighting `spot`, between
    frames `since` and `until`: something that could have brought, taken, dropped or
    uncovered it (`factor`: video pixels per analysis pixel)."""
    others: dict[int, tuple[Track, list[Detection]]] = {}
    for frame in range(since, until + 1):
        for other, det in seen.at(frame):
            if other is not track:
                others.setdefault(id(other), (other, []))[1].append(det)
    for other, dets in others.values():
        if min(np.hypot(d.x - spot.x, d.y - spot.y) for d in dets) > reach:
            continue
        xs, ys = [d.x for d in dets], [d.y for d in dets]
        if max(np.ptp(xs), np.ptp(ys)) > max(other.radius, 2.0 * factor):
            return True
    return False


def check_permanence(scene: Scene) -> RuleVerdict:
    """Permanence: a moving object that stops being seen inside the frame must still be there,
    one that starts being seen must have come from somewhere, and none turns into two. A
    body seen again elsewhere at once jumped (`teleports`, continuity's business)."""
    ends, copies = track_ends_explained(scene)
    jumped = {(j[k], kind) for j in teleports(scene)
              for k, kind in (("track", "vanishes"), ("seen_again_as", "appears"))}
    ends = [e for e in ends if (e.track.id, e.kind) not in jumped]
    events = [_event(e.track.id, e.kind, e.detection.frame / scene.fps, e.detection.x,
                     e.detection.y, e.change) for e in ends if e.because is None]
    excused = [{"track": e.track.id, "kind": e.kind, "t": rnd(e.detection.frame / scene.fps),
                "because": e.because} for e in ends if e.because is not None]
    for track, parent in copies:
        first = track.first
        events.append(_event(track.id, f"splits off object {parent.id}",
                             first.frame / scene.fps, first.x, first.y, 1.0))
    events += materialised(scene)
    scene.data["permanence_events"] = events
    scene.data["permanence_excused"] = excused
    if events:
        e = max(events, key=lambda item: item["change"])
        evidence = (
            f"object {e['track']} {e['kind']} at {e['t']:.2f} s in the middle of the frame "
            f"(x {e['x']:.0f}, y {e['y']:.0f} px) while the video runs to {scene.duration:.2f} s"
        )
        conf = min(0.95, 0.6 + 0.3 * e["change"])
        where = [{"track": ev["track"], "t0": ev["t"], "t1": ev["t"], "kind": ev["kind"],
                  "x": ev["x"], "y": ev["y"]}
                 | {k: ev[k] for k in ("t_before", "t_after", "r") if k in ev}
                 for ev in events]
        return verdict("permanence", "violated", conf, evidence, (e["t"], e["t"]), where)
    evidence = (
        f"{len(scene.motions)} moving object(s) stay in view or leave through the frame's edges"
    )
    if excused:
        evidence += "; " + ", ".join(f"object {e['track']} {e['kind']} at {e['t']:.2f} s, "
                                     f"{e['because']}" for e in excused[:3])
    return verdict("permanence", "followed", 0.8, evidence)


def in_scenery(tracking: Tracking, det: Any, radius: float) -> bool:
    """Whether the background holds a body of this sighting's colour and size right beside
    it. A body that hardly moves (a leaf trembling in place) is part of the median scenery
    wherever it spends most of the clip; when it drifts back there its track ends, though
    nothing vanished. A body that really vanishes leaves the scenery behind it, not itself."""
    f = tracking.factor
    reach = 2.0 * radius / f
    cx, cy = det.x / f, det.y / f
    h, w = tracking.background.shape[:2]
    x0, x1 = max(0, int(cx - reach)), min(w, int(cx + reach) + 1)
    y0, y1 = max(0, int(cy - reach)), min(h, int(cy + reach) + 1)
    patch = tracking.background[y0:y1, x0:x1].astype(np.float32)
    if patch.size == 0:
        return False
    near = np.linalg.norm(patch - np.asarray(det.colour, dtype=np.float32), axis=2) < 40.0
    body = np.pi * (radius / f) ** 2
    return float(near.sum()) >= 0.5 * body


def looks_like_shadow(tracking: Tracking, det: Any) -> bool:
    """Whether a sighting is the scenery darkened with its colour kept: a shadow cast on a
    wall comes and goes as a body nears it, with nothing appearing or vanishing."""
    f = tracking.factor
    x0, y0, x1, y1 = (max(0, int(v / f)) for v in det.bbox)
    patch = tracking.small[det.frame, y0:y1, x0:x1].astype(np.float32) + 8.0
    ground = tracking.background[y0:y1, x0:x1].astype(np.float32) + 8.0
    if patch.size == 0:
        return False
    ratio = np.median((patch / ground).reshape(-1, 3), axis=0)
    level = float(ratio.mean())
    return 0.45 < level < 0.95 and float(np.abs(ratio - level).max()) < 0.07


def _event(track: int, kind: str, t: float, x: float, y: float, change: float) -> dict[str, Any]:
    return {
        "track": track,
        "kind": kind,
        "t": rnd(t),
        "x": rnd(x),
        "y": rnd(y),
        "change": rnd(change),
    }
