"""Adherence: does the video show the prompt's scene? Checks `adherence.<what>` and a score.

The video is compared with two expectations of the plan's scene spec, simulated at the video's
size and frame rate: the *rendition* (the studio draws it and the same tracker follows it, so
the tracker's blind spots, such as two bodies that touch and merge, are on both sides) and the
*ideal* (the simulated bodies themselves, seen through the camera). A video is held to what the
two agree on and passes what either allows, so neither a tracker quirk nor a keyframed
generator's smoother motion is taken for a different scene. All three are reduced to the same
scale-free signature:

- `adherence.bodies`: how many distinct bodies move, and how many at once;
- `adherence.subjects`: what they look like (colour, and size relative to each other and to
  their own motion), bodies matched one to one;
- `adherence.events`: what happens, as the number of bodies that fall, bounce, travel along,
  swing, rise (thrown up) or are set moving by another (hits, topples);
- `adherence.environment`: the fall rate in body radii per second², which tells the Moon from
  the Earth and water from air whatever the camera;
- `adherence.scene`: words of the prompt the scene spec leaves out (`ignored`): never measured,
  so `unclear`, and named.

Everything here is a pure function of the spec, the tracked bodies (times, positions, sizes,
colours in video pixels, y down) and the frame size; the tracker is passed in (`Tracker`), so
this module does not depend on how tracking is done.

Score (documented contract), c = a check's confidence:
    adherence = base * prod over violated checks of (1 - c / 2), where
    base = (sum_followed c + 0.5 * sum_unclear c / 4) / (sum_followed c + sum_unclear c / 4)
(0.5 when nothing was decided) — the physics score's formula, so the two read alike.
A run's score needs both (`run_score`): physics x adherence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from tools.judges.score import rules_score
from tools.schema import RuleStatus, RuleVerdict, SceneSpec

EVENT_KINDS = ("falls", "bounces", "travels", "swings", "rises", "hits")
CHECK_TEXT = {
    "adherence.bodies": "As many bodies move as the prompt names.",
    "adherence.subjects": "The bodies look like the prompt's subjects (colour, relative size).",
    "adherence.events": "What happens is what the prompt says: falls, bounces, rolls, swings, "
                        "throws, collisions.",
    "adherence.environment": "Things fall as fast as they do where the prompt sets the scene.",
    "adherence.scene": "The scene holds everything the prompt names.",
}


@dataclass(frozen=True, eq=False)
class TrackedBody:
    """One tracked body: per sighting, time (s), centre (px, y down), radius (px) and RGB."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    size: np.ndarray
    colour: np.ndarray  # (N, 3)

    @property
    def radius(self) -> float:
        return float(np.median(self.size))

    @property
    def rgb(self) -> np.ndarray:
        return np.median(self.colour, axis=0)


# What turns frames into tracked bodies: the judge's own tracker, handed in by the judge.
Tracker = Callable[[np.ndarray, float], list[TrackedBody]]


@dataclass(frozen=True)
class Adherence:
    """The verdict's adherence part: a score, the checks, and the numbers behind them."""

    score: float
    checks: list[RuleVerdict]
    measurements: dict[str, Any] = field(default_factory=dict)


@dataclass
class Signature:
    """What a set of tracked bodies shows, free of the camera's scale and place."""

    count: int
    concurrent: int
    events: dict[str, int]
    event_times: dict[str, list[float]]
    gravity: float | None  # fall rate, body radii per second squared
    bodies: list[TrackedBody]
    extent: float | None  # the most-travelled body's radius over its travel
    gravity_sure: bool = False  # timed on a fall that speeds up, or that starts the clip
    touching: float = 0.0  # median share of a body's frames spent against another body

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "concurrent": self.concurrent, "events": self.events,
                "gravity_radii_s2": None if self.gravity is None else round(self.gravity, 2),
                "looks": [{"rgb": [round(float(c)) for c in b.rgb],
                           "radius_px": round(b.radius, 1)} for b in self.bodies]}


def run_score(physics: float, adherence: float | None) -> float:
    """The run's score: a video counts only when it is both physical and faithful (VideoPhy-2's
    joint measure, made continuous); without an adherence measurement, physics alone."""
    return physics if adherence is None else physics * adherence


# ---- the signature of tracked bodies --------------------------------------------------------


def signature(bodies: Sequence[TrackedBody], frame_size: tuple[int, int], fps: float,
              scale: float = 1.0) -> Signature:
    """Counts, events, fall rate and looks of the moving bodies (see the module docstring).

    `scale` < 1 lowers every event's threshold (the ideal's loose reading: what a tracker
    might also call a fall or a bounce)."""
    width, height = frame_size
    merged = merge_fragments(bodies, math.hypot(width, height))
    events: dict[str, int] = dict.fromkeys(EVENT_KINDS, 0)
    times: dict[str, list[float]] = {k: [] for k in EVENT_KINDS}
    for body in merged:
        for kind, t in body_events(body, merged, frame_size, scale).items():
            events[kind] += 1
            times[kind].append(round(t, 3))
    rates = [f for f in (fall_rate(b, height) for b in merged) if f is not None]
    reliable = [g for g, sure in rates if sure]
    gravity = float(np.median(reliable or [g for g, _ in rates])) if rates else None
    return Signature(count=len(merged), concurrent=concurrent(bodies, fps), events=events,
                     event_times=times, gravity=gravity, bodies=merged, extent=_extent(merged),
                     gravity_sure=bool(reliable), touching=touching(merged))


def touching(bodies: Sequence[TrackedBody]) -> float:
    """The median share of each body's sightings, in the first half of its track, in which it
    touches another body (later, bodies pile up against whatever stops them)."""
    shares = []
    for whole in bodies:
        half = max(2, len(whole.t) // 2)
        body = TrackedBody(whole.t[:half], whole.x[:half], whole.y[:half], whole.size[:half],
                           whole.colour[:half])
        close = np.zeros(len(body.t), bool)
        for other in bodies:
            if other is whole:
                continue
            ox = np.interp(body.t, other.t, other.x, left=np.nan, right=np.nan)
            oy = np.interp(body.t, other.t, other.y, left=np.nan, right=np.nan)
            reach = 1.3 * (body.radius + other.radius) + 2.0
            with np.errstate(invalid="ignore"):
                close |= np.hypot(body.x - ox, body.y - oy) <= reach
        shares.append(float(close.mean()) if len(close) else 0.0)
    return float(np.median(shares)) if shares else 0.0


def merge_fragments(bodies: Sequence[TrackedBody], diagonal: float) -> list[TrackedBody]:
    """One body per object: a track that picks up where another of the same look left off
    (shortly after, close by) is the same body."""
    order = sorted(bodies, key=lambda b: float(b.t[0]))
    chains: list[TrackedBody] = []
    for body in order:
        k = next((k for k, c in enumerate(chains) if _continues(c, body, diagonal)), None)
        if k is None:
            chains.append(body)
            continue
        host = chains[k]
        chains[k] = TrackedBody(*(np.concatenate([getattr(host, f), getattr(body, f)])
                                  for f in ("t", "x", "y", "size", "colour")))
    return chains


def _continues(a: TrackedBody, b: TrackedBody, diagonal: float) -> bool:
    gap = float(b.t[0] - a.t[-1])
    if gap < -0.05 or gap > 1.0:
        return False
    if colour_distance(a.rgb, b.rgb) > 45 or max(a.radius, b.radius) > 1.8 * min(a.radius,
                                                                                  b.radius):
        return False
    reach = max(6 * a.radius, 0.15 * diagonal)
    return math.hypot(float(b.x[0] - a.x[-1]), float(b.y[0] - a.y[-1])) <= reach


def concurrent(bodies: Sequence[TrackedBody], fps: float) -> int:
    """How many bodies are seen at once, for most of the time any is (90th percentile)."""
    if not bodies:
        return 0
    frames: dict[int, int] = {}
    for b in bodies:
        for f in {round(float(t) * fps) for t in b.t}:
            frames[f] = frames.get(f, 0) + 1
    return round(float(np.percentile(list(frames.values()), 90)))


def body_events(body: TrackedBody, others: Sequence[TrackedBody],
                frame_size: tuple[int, int], scale: float = 1.0) -> dict[str, float]:
    """The events one body shows, each with the time it first happens."""
    width, height = frame_size
    r = max(body.radius, 1.0)
    t, x, y = body.t, body.x, body.y
    found: dict[str, float] = {}
    step = scale * max(2.5 * r, 0.05 * height)
    drop = y - np.minimum.accumulate(y)
    if drop.max(initial=0.0) >= step:
        found["falls"] = float(t[int(np.argmax(drop >= step))])
    rise = y[0] - y[: max(3, len(y) // 3)]
    if t[0] <= 0.25 and len(y) > 3 and rise.max(initial=0.0) >= step and np.argmax(rise) > 0:
        found["rises"] = float(t[int(np.argmax(rise >= step))])
    bounce = first_bounce(t, x, y, scale * max(0.6 * r, 0.02 * height, 2.0))
    if bounce is not None:
        found["bounces"] = bounce
    if np.ptp(x) >= scale * max(3 * r, 0.08 * width):
        found["travels"] = float(t[int(np.argmax(np.abs(x - x[0]) >= scale * 3 * r))])
    swing = swing_time(t, x, scale * 2 * r)
    if swing is not None:
        found["swings"] = swing
    hit = set_moving_by(body, others)
    if hit is not None:
        found["hits"] = hit
    return found


def first_bounce(t: np.ndarray, x: np.ndarray, y: np.ndarray, depth: float) -> float | None:
    """The first low point (largest y) the body came down to and went back up from by
    `depth` pixels, each within half a second, that is not the bottom of a swing: a bounce
    turns sharply (V-shaped) or mostly up and down, where a swing passes its low point slowly
    (U-shaped) and mostly sideways."""
    for k in range(1, len(y) - 1):
        if y[k] < y[k - 1] or y[k] < y[k + 1]:
            continue
        before = (t >= t[k] - 0.5) & (t < t[k])
        after = (t > t[k]) & (t <= t[k] + 0.5)
        if not (before.any() and after.any() and y[k] - y[before].min() >= depth and (
                y[k] - y[after].min() >= depth)):
            continue
        top = int(np.flatnonzero(before)[np.argmin(y[before])])
        mean = (y[k] - y[top]) / max(float(t[k] - t[top]), 1e-6)
        near = max((y[k] - y[k - 1]) / max(float(t[k] - t[k - 1]), 1e-6),
                   (y[k] - y[k + 1]) / max(float(t[k + 1] - t[k]), 1e-6))
        window = before | after
        sideways = float(np.ptp(x[window])) if window.any() else 0.0
        if near >= 0.8 * mean or sideways <= 2.5 * float(y[k] - y[top]):
            return float(t[k])
    return None


def swing_time(t: np.ndarray, x: np.ndarray, amplitude: float) -> float | None:
    """When a body has turned back twice, each time after a sideways run of `amplitude`."""
    if len(x) < 5:
        return None
    smooth = np.convolve(x, np.ones(3) / 3, mode="same")[1:-1]
    turns, anchor, direction = [], float(smooth[0]), 0
    for k in range(1, len(smooth)):
        move = float(smooth[k]) - anchor
        if (direction >= 0 and move <= -amplitude) or (direction <= 0 and move >= amplitude):
            if direction != 0:
                turns.append(float(t[k]))
            direction = 1 if move > 0 else -1
            anchor = float(smooth[k])
        elif direction * move > 0:
            anchor = float(smooth[k])
    return turns[1] if len(turns) >= 2 else None


def set_moving_by(body: TrackedBody, others: Sequence[TrackedBody]) -> float | None:
    """When a body is first seen moving after the start, next to another moving body: it was
    hit, knocked over or pushed by it."""
    start = float(body.t[0])
    if start < 0.15:
        return None
    for other in others:
        if other is body or not other.t[0] < start <= other.t[-1] + 0.1:
            continue
        k = int(np.argmin(np.abs(other.t - start)))
        gap = math.hypot(float(other.x[k] - body.x[0]), float(other.y[k] - body.y[0]))
        if gap <= 2.5 * (other.radius + body.radius) + 6.0:
            return start
    return None


def fall_rate(body: TrackedBody, height: int) -> tuple[float, bool] | None:
    """The body's first free fall from rest (the last moment at its highest point) to where it
    lands, as 2 drop / time² in body radii per second²: right wherever the two ends are, even
    when the motion between them is drawn at constant speed. A fall must be a few body sizes
    deep (a toppling pin's is not a free fall) and end where the body stops going down."""
    r = max(body.radius, 1.0)
    t, y = body.t, body.y
    for k in range(3, len(y) - 1):
        window = y[max(0, k - 3): k + 4]
        if y[k] < window.max() or not y[k] > y[k + 1] - 0.5:
            continue
        if (y[k + 1:][t[k + 1:] <= t[k] + 0.15] > y[k] + r).any():
            continue  # still falling: a wobble, not the landing
        top = k
        while top > 0 and y[top - 1] < y[top] - 0.3:
            top -= 1  # back to where the descent began: the release, an apex, an edge
        drop, span = float(y[k] - y[top]), float(t[k] - t[top])
        if drop >= max(4 * r, 0.08 * height) and span > 0.05:
            # Straight down from the clip's first frame is a drop from rest however it is
            # drawn; otherwise only a fall that speeds up shows where it started.
            straight_down = top == 0 and abs(float(body.x[k] - body.x[0])) < 0.5 * drop
            # A track that starts mid-fall (the body lost against the scenery before) would
            # time only the fall's end: too fast.
            from_rest = top > 0 or float(t[0]) <= 0.1
            return 2 * drop / span**2 / r, from_rest and (
                _speeds_up(t[top: k + 1], y[top: k + 1]) or straight_down)
    return None


def _speeds_up(t: np.ndarray, y: np.ndarray) -> bool:
    """Whether a descent is faster in its last third than in its first: a fall from rest,
    not a straight line drawn between two keyframes (whose start is not a rest)."""
    n = len(t)
    if n < 6:
        return False
    a, b = n // 3, n - n // 3
    first = (y[a] - y[0]) / max(float(t[a] - t[0]), 1e-6)
    last = (y[-1] - y[b]) / max(float(t[-1] - t[b]), 1e-6)
    return bool(last >= 1.5 * max(first, 1e-6))


def _extent(bodies: Sequence[TrackedBody]) -> float | None:
    if not bodies:
        return None
    body = max(bodies, key=lambda b: float(np.hypot(np.ptp(b.x), np.ptp(b.y))))
    travel = float(np.hypot(np.ptp(body.x), np.ptp(body.y)))
    return body.radius / travel if travel > 0 else None


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


# ---- comparing a video with the expectations ------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The scene's expectations: its tracked rendition, its ideal simulated bodies, and the
    ideal read loosely (every body that moves at all, every event at half its threshold)."""

    rendition: Signature
    ideal: Signature
    loose: Signature

    @property
    def both(self) -> tuple[Signature, Signature]:
        return self.rendition, self.ideal


def compare(seen: Signature, expected: Expected, scene: SceneSpec,
            resting: tuple[list[str], str] | None = None) -> list[RuleVerdict]:
    """The adherence checks of a video's signature against the scene's expectations
    (`resting`: the resting subjects absent from the video, see `check_subjects`)."""
    checks = [check_bodies(seen, expected), check_subjects(seen, expected, resting),
              check_events(seen, expected, asked_events(scene)),
              check_environment(seen, expected, scene)]
    if scene.ignored:
        checks.append(_verdict("adherence.scene", "unclear", 0.4,
                               "the scene spec leaves out " + ", ".join(
                                   repr(w) for w in scene.ignored)
                               + ": not measured"))
    return checks


def check_bodies(seen: Signature, expected: Expected) -> RuleVerdict:
    counts = sorted({e.count for e in (*expected.both, expected.loose)})
    at_once = sorted({e.concurrent for e in (*expected.both, expected.loose)})
    m, b = seen.count, seen.concurrent
    words = (f"{m} moving bodies seen ({b} at once); expected "
             f"{' to '.join(map(str, counts))} ({' to '.join(map(str, at_once))} at once)")
    if counts[-1] == 0:
        return _verdict("adherence.bodies", "unclear", 0.2, words + ": nothing expected to move "
                        "that the tracker can follow")

    def outside(value: int, span: list[int]) -> float:
        """How far a count lies outside the expected span, relative to the span."""
        low, high = span[0], span[-1]
        if value < low:
            return (low - value) / max(low, 1)
        return (value - high) / max(high, 1) if value > high else 0.0

    off = outside(m, counts)
    if off == 0 and outside(b, at_once) == 0:
        return _verdict("adherence.bodies", "followed", 0.8, words)
    if expected.ideal.touching >= 0.3 and m > 0:
        # Bodies that move in contact (a toppling stack) merge into fewer blobs, or break
        # into more as they part.
        return _verdict("adherence.bodies", "unclear", 0.3,
                        words + "; the bodies move touching, so blobs merge and part")
    if (off >= 0.3 and abs(m - counts[0 if m < counts[0] else -1]) >= 1) or m == 0:
        return _verdict("adherence.bodies", "violated", min(0.9, 0.55 + off / 2), words)
    return _verdict("adherence.bodies", "unclear", 0.3, words)


def check_subjects(seen: Signature, expected: Expected,
                   resting: tuple[list[str], str] | None = None) -> RuleVerdict:
    """The moving bodies look like the moving subjects (`moving_looks`), and the subjects
    that stay put are in the picture (`resting`: those absent, and what was looked for, as
    `absent_subjects` finds them; None when they could not be looked for)."""
    moving = moving_looks(seen, expected)
    if resting is None:
        return moving
    absent, looked = resting
    if not absent:
        return moving.model_copy(update={"evidence": f"{moving.evidence}; {looked}: found"})
    # A named subject the video does not show is as sure a miss as a wrong-coloured one.
    conf = max(0.7, moving.confidence if moving.status == "violated" else 0.0)
    return _verdict("adherence.subjects", "violated", conf,
                    f"not in the picture: {', '.join(absent)} ({looked}); {moving.evidence}")


def moving_looks(seen: Signature, expected: Expected) -> RuleVerdict:
    """Colours against the rendition (lit as the video is) when it sees the bodies, sizes
    relative to each other and to their motion against whichever expectation fits best."""
    found = []
    for ref, tolerance in ((expected.rendition, 1.0), (expected.ideal, 1.4)):
        pairs = match_bodies(seen.bodies, ref.bodies)
        if not pairs:
            continue
        distances = [colour_distance(s.rgb, e.rgb) for s, e in pairs]
        # Several bodies: one odd pair is a merged blob more often than a wrong subject.
        colour = (float(np.median(distances)) if len(pairs) >= 3 else max(distances)) / tolerance
        logs = [math.log(max(s.radius, 0.5) / max(e.radius, 0.5)) for s, e in pairs]
        size = max(abs(v - float(np.median(logs))) for v in logs) if len(pairs) > 1 else 0.0
        # One body: its size against its own motion (the camera cancels out); several: their
        # sizes against each other.
        single = len(pairs) == 1 and seen.count == 1 and ref.count == 1
        extent = _ratio(seen.extent, ref.extent) if single else None
        size = max(size, abs(math.log(extent)) if extent else 0.0)
        found.append((colour, size))
    if not found:
        return _verdict("adherence.subjects", "unclear", 0.2, "no bodies to compare")
    colour = min(c for c, _ in found)
    size = min(z for _, z in found)
    words = (f"colours differ by up to {colour:.0f} (RGB distance), sizes relative to each "
             f"other and to their motion by up to {100 * (math.exp(size) - 1):.0f}%")
    if colour >= 50 or size > math.log(2.0):
        conf = min(0.9, 0.5 + max(colour - 50, 0) / 150 + max(size - 0.69, 0))
        return _verdict("adherence.subjects", "violated", conf, words)
    if colour <= 35 and size < math.log(1.4):
        return _verdict("adherence.subjects", "followed", 0.7, words)
    return _verdict("adherence.subjects", "unclear", 0.3, words)


def match_bodies(seen: Sequence[TrackedBody],
                 expected: Sequence[TrackedBody]) -> list[tuple[TrackedBody, TrackedBody]]:
    """Seen and expected bodies paired one to one by look (colour and size)."""
    if not seen or not expected:
        return []
    cost = np.array([[colour_distance(s.rgb, e.rgb) / 60 + abs(math.log(
        max(s.radius, 0.5) / max(e.radius, 0.5))) for e in expected] for s in seen])
    rows, cols = linear_sum_assignment(cost)
    return [(seen[i], expected[j]) for i, j in zip(rows, cols, strict=True)]


def asked_events(scene: SceneSpec) -> set[str]:
    """The events the prompt itself asks for, read off its scene's moving groups: a drop
    falls, a push or a roll travels, a throw travels and rises, a pendulum swings, a body let
    go in water rises or sinks. Whatever else the simulation does (a bounce after the drop, a
    knocked block tumbling) the video may show or not."""
    asked: set[str] = set()
    for b in scene.bodies:
        link = scene.link_of(b.name)
        if b.action == "rest" or (b.kind == "domino" and b.count > 1):
            continue
        if link is not None and link.kind == "string":
            asked.add("swings")
        elif b.on in ("tank", "bowl") or scene.environment == "underwater":
            asked.add("water")
        elif b.action == "dropped":
            asked.add("falls")
        elif b.action in ("thrown", "launched"):
            asked.add("travels")
            asked.update(["rises"] if (b.angle_deg is None or b.angle_deg > 20) else [])
        elif b.action in ("pushed", "rolled") and b.on in (None, "table", "ramp", "steps"):
            asked.add("travels")
            asked.update(["falls"] if b.off_edge else [])
    return asked


def check_events(seen: Signature, expected: Expected, asked: set[str]) -> RuleVerdict:
    """The events the prompt asks for must be seen where both expectations show them (a body
    let go in water: its rise or its sinking); events neither shows must not be."""
    ren, ideal = expected.both
    wanted = asked | ({"rises", "falls"} if "water" in asked else set())
    must = [k for k in EVENT_KINDS if k in wanted and ren.events[k] and ideal.events[k]
            and not ("water" in asked and k == ("falls" if ideal.events["rises"] else
                                                "rises"))]
    never = [k for k in EVENT_KINDS
             if not ren.events[k] and not ideal.events[k] and not expected.loose.events[k]]
    missing = [k for k in must if not seen.events[k]]
    # An event no expectation has counts when most of the video's bodies show it: one odd
    # wobble among many tumbling blocks is the tracker's.
    extra = [k for k in never if seen.events[k] >= max(1.0, 0.5 * seen.count)]
    fewer = [k for k in must if 0 < seen.events[k] < min(ren.events[k], ideal.events[k]) - max(
        1, 0.3 * min(ren.events[k], ideal.events[k]))]
    words = (f"seen: {_events_text(seen.events)}; expected: {_events_text(ideal.events)} "
             f"(tracked rendition: {_events_text(ren.events)})")
    if not must and not any(seen.events.values()):
        return _verdict("adherence.events", "unclear", 0.2, words)
    if missing or extra:
        what = "; ".join(filter(None, [
            f"missing {', '.join(missing)}" if missing else "",
            f"not asked for: {', '.join(extra)}" if extra else ""]))
        times = [t for k in missing for t in ideal.event_times[k][:1]]
        span = (max(0.0, min(times) - 0.15), max(times) + 0.15) if times else None
        conf = min(0.9, 0.55 + 0.15 * (len(missing) + 0.5 * len(extra)))
        return _verdict("adherence.events", "violated", conf, f"{what} ({words})", span)
    if fewer:
        return _verdict("adherence.events", "unclear", 0.4,
                        f"fewer bodies {', '.join(fewer)} than expected ({words})")
    return _verdict("adherence.events", "followed", 0.8, words)


def _events_text(events: dict[str, int]) -> str:
    shown = [f"{n} {k}" for k, n in events.items() if n]
    return ", ".join(shown) or "nothing"


def check_environment(seen: Signature, expected: Expected, scene: SceneSpec) -> RuleVerdict:
    """The video's fall rate against the expectations' (either may fit)."""
    place = scene.environment.replace("_", " ")
    rates = [e.gravity for e in expected.both if e.gravity is not None]
    g_seen = seen.gravity
    falls_expected = any(e.events["falls"] for e in (*expected.both, expected.loose))
    if not rates:
        if g_seen is not None and not falls_expected:
            return _verdict("adherence.environment", "violated", 0.6,
                            f"a body falls at {g_seen:.0f} radii/s² where nothing falls in the "
                            f"scene ({place})")
        return _verdict("adherence.environment", "unclear", 0.2,
                        "nothing falls in the scene: the place is not measured")
    if g_seen is None:
        return _verdict("adherence.environment", "unclear", 0.3,
                        "no fall in the video to time")
    off = min(abs(math.log(g_seen / g)) for g in rates)
    words = (f"falls at {g_seen:.0f} body radii/s², "
             f"{' to '.join(f'{g:.0f}' for g in sorted(rates))} expected ({place})")
    if off <= math.log(1.6):
        return _verdict("adherence.environment", "followed", 0.7, words)
    if off >= math.log(2.2) and seen.gravity_sure:
        return _verdict("adherence.environment", "violated", min(0.9, 0.4 + off / 3), words)
    if off >= math.log(2.2):
        words += "; the video's fall does not speed up (keyframes joined by straight lines?)"
    return _verdict("adherence.environment", "unclear", 0.3, words)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _verdict(check: str, status: RuleStatus, confidence: float, evidence: str,
             span: tuple[float, float] | None = None) -> RuleVerdict:
    return RuleVerdict(id=check, text=CHECK_TEXT[check], status=status,
                       confidence=round(min(max(confidence, 0.0), 1.0), 3), evidence=evidence,
                       span=(round(span[0], 3), round(span[1], 3)) if span else None)


def adherence_score(checks: Sequence[RuleVerdict]) -> float:
    """The physics score's formula over the adherence checks (module docstring)."""
    return rules_score(checks)


# ---- the reference and the whole judgement --------------------------------------------------


def judge_adherence(scene: SceneSpec, bodies: Sequence[TrackedBody] | None,
                    frame_size: tuple[int, int], fps: float, duration_s: float,
                    tracker: Tracker, reason: str | None = None,
                    still: StillSource = None) -> Adherence:
    """The video's bodies against the scene's reference (module docstring).

    `bodies` None means the video's bodies could not be tracked (`reason` says why): every
    measured check is unclear then. `still`, the video's still picture (or what makes it,
    called only when the scene has subjects that stay put), is where those are looked for
    (None: they are not).
    """
    if bodies is None:
        checks = [_verdict(c, "unclear", 0.1, reason or "the video could not be tracked")
                  for c in CHECK_TEXT if c != "adherence.scene" or scene.ignored]
        return Adherence(adherence_score(checks), checks, {"unmeasured": reason})
    reference = reference_bodies(scene, frame_size, fps, duration_s, tracker)
    ideal = ideal_bodies(scene, frame_size, fps, duration_s)
    loose = ideal_bodies(scene, frame_size, fps, duration_s, loose=True)
    horizon = min(duration_s, scene.duration_s) + 1e-6
    seen = signature([_until(b, horizon) for b in bodies if b.t[0] <= horizon], frame_size, fps)
    expected = Expected(signature(reference, frame_size, fps),
                        signature(ideal, frame_size, fps),
                        signature(loose, frame_size, fps, scale=0.5))
    resting = None if still is None else absent_subjects(
        seen, expected, resting_subjects(scene, frame_size, fps, duration_s), still)
    checks = compare(seen, expected, scene, resting)
    data = {"seen": seen.as_dict(), "expected": expected.ideal.as_dict(),
            "expected_tracked": expected.rendition.as_dict(),
            "expected_event_times": {k: v for k, v in expected.ideal.event_times.items() if v}}
    return Adherence(adherence_score(checks), checks, data)


def _until(body: TrackedBody, horizon: float) -> TrackedBody:
    keep = body.t <= horizon
    return TrackedBody(body.t[keep], body.x[keep], body.y[keep], body.size[keep],
                       body.colour[keep])


def ideal_bodies(scene: SceneSpec, frame_size: tuple[int, int], fps: float,
                 duration_s: float, loose: bool = False) -> list[TrackedBody]:
    """The simulated bodies as a perfect tracker would see them through the studio's camera:
    those big enough to follow and that move further than their own size (`loose`: that move
    at all, by a third of it)."""
    from tools.studio.camera import Camera
    from tools.studio.simulate import simulate_spec

    sim = simulate_spec(scene)
    camera = Camera.fit(sim.world, *frame_size)
    times = np.arange(max(8, round(min(duration_s, scene.duration_s) * fps))) / fps
    diagonal = math.hypot(*frame_size)
    bodies = []
    for body, u, v, r in _paths(sim, camera, times):
        if not _followable(u, v, r, diagonal, loose):
            continue
        moved = np.flatnonzero(np.hypot(u - u[0], v - v[0]) > (0.3 if loose else 1.0) * r)
        first = 0 if moved[0] <= max(1, round(0.3 * fps)) else int(moved[0])
        keep = slice(first, None)
        bodies.append(TrackedBody(times[keep], np.asarray(u, float)[keep],
                                  np.asarray(v, float)[keep], np.full(len(times) - first, r),
                                  np.tile(body.color, (len(times) - first, 1))))
    return bodies


def _paths(sim: Any, camera: Any, times: np.ndarray) -> Iterator[tuple[Any, np.ndarray,
                                                                      np.ndarray, float]]:
    """Each simulated body with its path in pixels and its equal-area radius in pixels."""
    from tools.studio.bodies import Ball

    for body in sim.world.bodies:
        track = sim.tracks[body.name]
        u, v = camera.to_px(np.interp(times, track.t, track.x), np.interp(times, track.t,
                                                                           track.y))
        area = math.pi * body.radius_m**2 if isinstance(body, Ball) else (
            body.width_m * body.height_m)
        yield (body, np.asarray(u, float), np.asarray(v, float),
               math.sqrt(area / math.pi) * camera.px_per_m)


def _followable(u: np.ndarray, v: np.ndarray, r: float, diagonal: float,
                loose: bool = False) -> bool:
    """Whether a tracker would follow a body along this path (px): big enough, travelling
    further than its size (`loose`: a third of it), and moving off its place at some point
    (a body at rest is scenery to a tracker until then)."""
    steps = np.hypot(np.diff(u), np.diff(v))
    travel = float(steps.sum() - steps.max(initial=0.0))
    if r < 2.0 or travel < (0.3 * r if loose else max(2 * r, 0.02 * diagonal)):
        return False
    return bool((np.hypot(u - u[0], v - v[0]) > (0.3 if loose else 1.0) * r).any())


def reference_bodies(scene: SceneSpec, frame_size: tuple[int, int], fps: float,
                     duration_s: float, tracker: Tracker) -> list[TrackedBody]:
    """What the tracker sees in the studio's rendition of the scene (cached per scene, size
    and rate: every round of a run judges against the same reference)."""
    key = json.dumps(scene.model_dump(mode="json"), sort_keys=True)
    frames = max(8, round(min(duration_s, scene.duration_s) * fps))
    return list(_reference(key, frame_size, round(fps, 3), frames, tracker))


@lru_cache(maxsize=16)
def _reference(key: str, frame_size: tuple[int, int], fps: float, frames: int,
               tracker: Tracker) -> tuple[TrackedBody, ...]:
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec

    scene = SceneSpec.model_validate_json(key)
    sim = simulate_spec(scene)
    width, height = frame_size
    shrink = min(1.0, 480 / max(width, height))
    size = (max(16, round(width * shrink)), max(16, round(height * shrink)))
    renderer = Renderer(sim.world, *size)
    clip = np.stack([renderer.frame(sim.poses_at(i / fps)) for i in range(frames)])
    bodies = tracker(clip, fps)
    scale = 1.0 / shrink
    return tuple(TrackedBody(b.t, b.x * scale, b.y * scale, b.size * scale, b.colour)
                 for b in bodies)


# ---- subjects that stay put -----------------------------------------------------------------
# A tracker sees only what moves: a stack the ball bounces off, a block the ball rolls into
# and barely shifts, is scenery to it. Yet the prompt names them, and a video without them
# does not show the prompt. They are looked for where they are: in the video's still picture.


@dataclass(frozen=True)
class Still:
    """A video's still picture (what stays put: a per-pixel median over time) and how many
    of the video's pixels one of its pixels spans."""

    picture: np.ndarray  # (H, W, 3) uint8
    px: float = 1.0


# The still picture, or what makes it on demand.
StillSource = Still | Callable[[], Still | None] | None


@dataclass(frozen=True)
class RestingSubject:
    """A subject the prompt names that the scene leaves where it is (it never moves further
    than its own size): its colours as drawn and one member's extent, in the scene camera's
    pixels at the video's frame size."""

    name: str
    count: int
    palette: np.ndarray  # (N, 3) the colours it is drawn in
    colour: np.ndarray  # (3,) its median colour
    width: float
    height: float
    radius: float  # equal-area radius


@dataclass(frozen=True)
class Resting:
    """The scene's resting subjects, the colours of its scenery (everything else that stays
    put), and the resting subjects its own picture does not show apart from that scenery
    (those are not looked for: a video cannot be asked to show them apart either)."""

    subjects: tuple[RestingSubject, ...] = ()
    scenery: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    hidden: tuple[str, ...] = ()


LIKENESS_RGB = 40.0  # a pixel this far from all of a subject's colours is not of it


def palette(pixels: np.ndarray) -> np.ndarray:
    """The distinct colours among (N, 3) pixels, at 4 grey levels' resolution."""
    return np.unique(np.asarray(pixels).reshape(-1, 3).astype(np.int32) // 4, axis=0) * 4.0 + 2.0


def like(picture: np.ndarray, subject: np.ndarray, scenery: np.ndarray) -> np.ndarray:
    """The pixels whose colour is of the subject's palette: within `LIKENESS_RGB` of one of
    its colours and nearer to it than to any colour of the scenery."""
    from scipy.spatial import cKDTree

    # Each distinct colour (at 2 grey levels' resolution) once: a picture has few.
    binned, where = np.unique(np.asarray(picture).reshape(-1, 3).astype(np.int32) // 2,
                              axis=0, return_inverse=True)
    colours = binned * 2.0 + 1.0
    near, _ = cKDTree(subject).query(colours)
    other = cKDTree(scenery).query(colours)[0] if len(scenery) else np.full(len(colours),
                                                                             np.inf)
    hits = (near <= LIKENESS_RGB) & (near < other)
    return hits[np.ravel(where)].reshape(picture.shape[:2])


def shows(still: Still, subject: RestingSubject, scenery: np.ndarray, scale: float) -> bool:
    """Whether the still picture holds a patch of the subject's colours as large as half of
    one member across and down (`scale`: the video's pixels per scene-camera pixel) that
    looks like it as a whole (its median colour near the subject's): a grey wall is like
    the shaded side of a white pin, but it is not a white pin."""
    from scipy import ndimage

    mask = like(still.picture, subject.palette, scenery)
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if not count:
        return False
    areas = np.bincount(labels.ravel()) * still.px**2
    need = (0.5 * subject.width * scale, 0.5 * subject.height * scale,
            0.25 * math.pi * (subject.radius * scale) ** 2)
    pixels = still.picture.reshape(-1, 3)
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        down, across = ((b.stop - b.start) * still.px for b in box)
        if across < need[0] or down < need[1] or areas[index] < need[2]:
            continue
        colour = np.median(pixels[np.flatnonzero(labels == index)], axis=0)
        if colour_distance(colour, subject.colour) <= LIKENESS_RGB:
            return True
    return False


def moves_like(body: TrackedBody, subject: RestingSubject, scenery: np.ndarray,
               scale: float) -> bool:
    """Whether a moving body could be the resting subject, moved (its colour and size)."""
    size = body.radius / max(subject.radius * scale, 1e-6)
    return 0.5 <= size <= 2.0 and bool(like(body.rgb.reshape(1, 1, 3), subject.palette,
                                            scenery)[0, 0])


def absent_subjects(seen: Signature, expected: Expected, resting: Resting,
                    source: StillSource) -> tuple[list[str], str] | None:
    """The resting subjects neither the still picture nor a moving body shows, and words on
    what was looked for; None when nothing can be looked for (no still picture, no resting
    subject the scene shows apart, or no moving body to tell the video's scale by). The
    picture is made only here, when there is something to look for: a median over the
    frames at full resolution is the dearest part of adherence."""
    pairs = match_bodies(seen.bodies, expected.ideal.bodies)
    if source is None or not resting.subjects or not pairs:
        return None
    still = source() if callable(source) else source
    if still is None:
        return None
    # The scene camera's scale in the video, from the bodies both show.
    scale = float(np.median([s.radius / max(e.radius, 0.5) for s, e in pairs]))
    # A body the video moves that the scene does not (one no expected mover pairs with) may
    # be the resting subject, set moving.
    extra = [b for b in seen.bodies if not any(b is s for s, _ in pairs)]
    absent = [r.name for r in resting.subjects
              if not shows(still, r, resting.scenery, scale)
              and not any(moves_like(b, r, resting.scenery, scale) for b in extra)]
    looked = ", ".join(f"{r.count} {r.name}" for r in resting.subjects)
    return absent, f"resting subjects looked for in the still picture: {looked}"


def resting_subjects(scene: SceneSpec, frame_size: tuple[int, int], fps: float,
                     duration_s: float) -> Resting:
    """The scene's subjects that stay put, as its camera draws them at the video's size
    (cached per scene, size and rate, as the reference is)."""
    key = json.dumps(scene.model_dump(mode="json"), sort_keys=True)
    frames = max(8, round(min(duration_s, scene.duration_s) * fps))
    return _resting(key, frame_size, round(fps, 3), frames)


@lru_cache(maxsize=16)
def _resting(key: str, frame_size: tuple[int, int], fps: float, frames: int) -> Resting:
    from tools.studio.render import Renderer
    from tools.studio.simulate import simulate_spec

    sim = simulate_spec(SceneSpec.model_validate_json(key))
    renderer = Renderer(sim.world, *frame_size)
    times = np.arange(frames) / fps
    diagonal = math.hypot(*frame_size)
    still = [body for body, u, v, r in _paths(sim, renderer.camera, times)
             if not _followable(u, v, r, diagonal)]
    if not still:
        return Resting()
    poses = sim.poses_at(float(times[len(times) // 2]))
    picture = renderer.frame({b.name: poses[b.name] for b in still})
    scenery = palette(renderer.backdrop)
    groups: dict[str, list[Any]] = {}
    for body in still:
        groups.setdefault(_group_name(body.name), []).append(body)
    subjects, hidden = [], []
    for name, members in groups.items():
        outlines = [_outline(b, poses[b.name], renderer.camera, frame_size) for b in members]
        inside = np.any([_interior(o) for o in outlines], axis=0)
        if not inside.any():
            continue  # out of the picture, or too thin to have an inside
        # One member's extent, from the one standing straightest (the smallest box).
        boxes = [(float(np.ptp(c) + 1), float(np.ptp(r) + 1), float(len(r)))
                 for r, c in (np.nonzero(o) for o in outlines if o.any())]
        width, height, area = min(boxes, key=lambda b: b[0] * b[1])
        subject = RestingSubject(name, len(members), palette(picture[inside]),
                                 np.median(picture[inside], axis=0), width, height,
                                 math.sqrt(area / math.pi))
        if shows(Still(picture), subject, scenery, 1.0):
            subjects.append(subject)
        else:
            hidden.append(name)
    return Resting(tuple(subjects), scenery, tuple(hidden))


def _group_name(name: str) -> str:
    """A group's member ('block 3') stands for its group ('block')."""
    head, _, tail = name.rpartition(" ")
    return head if head and tail.isdigit() else name


def _interior(outline: np.ndarray) -> np.ndarray:
    """An outline less its one-pixel rim (anti-aliased, half scenery)."""
    from scipy import ndimage

    return ndimage.binary_erosion(outline)


def _outline(body: Any, pose: Any, camera: Any, frame_size: tuple[int, int]) -> np.ndarray:
    """The pixels a body covers at its pose, as the studio's renderer draws it."""
    from tools.studio.bodies import Ball

    width, height = frame_size
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    u, v = camera.to_px(pose.x, pose.y)
    if isinstance(body, Ball):
        return np.asarray(np.hypot(xs - u, ys - v) <= body.radius_m * camera.px_per_m)
    c, s = math.cos(pose.angle), math.sin(pose.angle)
    dx, dy = xs - u, v - ys  # dy points up
    half_w = 0.5 * body.width_m * camera.px_per_m
    half_h = 0.5 * body.height_m * camera.px_per_m
    return np.asarray((np.abs(c * dx + s * dy) <= half_w) & (np.abs(-s * dx + c * dy) <= half_h))
