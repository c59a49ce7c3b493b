"""Clips for the judge's calibration: simple scenes, known injected violations, nuisances.

Motion is analytic (free flight between exact bounce events, rolling on a table), in metres
with y up and the floor's top at 0, so a violation is injected exactly where it belongs: into
the physics (gravity scale, energy gain, a bounce in mid-air), the trajectory (teleport,
vanishing, shrinking, a local glide, a hover, an eased rise), the body (its colour morphing, a
copy splitting off, a body appearing from nothing) or the frame sequence (reversal, frozen and
shuffled frames). Frames are drawn with the studio's renderer, so the suite looks like what
Kinema really judges; nuisances (sensor noise, H.264, camera shake, textured walls, other
colours, several objects) are applied on top, and at most one scene nuisance of what real and
generated footage holds: a hand that releases the ball, a panning camera, a cut from another
shot, clutter of small movers, motion blur.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FPS = 24
DURATION_S = 3.0
G = 9.81
VIOLATIONS = (
    "time_reversal",
    "gravity_zero",
    "gravity_upward",
    "gravity_low",
    "teleport",
    "vanishing",
    "shrinking",
    "energy_gain",
    "frozen_frames",
    "shuffled_frames",
    "glide",
    "hover",
    "eased_rise",
    "midair_bounce",
    "morphing",
    "duplication",
    "appearing",
)
NUISANCES = ("hand", "pan", "cut", "clutter", "blur")
SKIN = (224, 172, 138)
ENVIRONMENTS = ("earth", "moon", "mars", "underwater", "space_station")
COLOURS = ((220, 40, 40), (30, 90, 220), (40, 170, 60), (240, 200, 30), (30, 30, 30),
           (200, 60, 200), (250, 140, 0), (240, 240, 240))


@dataclass(frozen=True)
class ClipSpec:
    """One calibration clip: what is injected and under which nuisances (all seeded)."""

    violation: str | None
    scene: str  # drop, throw, table
    seed: int
    size: tuple[int, int] = (426, 240)
    balls: int = 1
    noise: float = 0.0
    crf: int | None = None
    shake_px: float = 0.0
    texture: bool = False
    environment: str = "earth"
    nuisance: str | None = None  # one of NUISANCES


@dataclass
class Path2D:
    """One ball's centre over time (m), its radius scale, whether it is drawn, and its colour
    per frame when that changes (morphing; None keeps the ball's own)."""

    x: np.ndarray
    y: np.ndarray
    radius: float
    scale: np.ndarray
    visible: np.ndarray
    morph: tuple[np.ndarray, int] | None = None  # (share per frame, index into COLOURS)
    copy_of: int | None = None  # a copy looks like the ball it split off


def flight(t: np.ndarray, start: tuple[float, float, float, float], g: float, e: float,
           r: float) -> tuple[np.ndarray, np.ndarray]:
    """Free flight with exact bounces on the floor (restitution `e`), then rolling to rest."""
    x, y = np.empty_like(t), np.empty_like(t)
    ts, (xs, ys, vx, vy) = 0.0, start
    rolling = False
    while True:
        land = _landing(ys - r, vy, g) if not rolling else math.inf
        now = (t >= ts) & (t < ts + land)
        s = t[now] - ts
        if rolling:
            decel = min(abs(vx) / max(s.max(initial=0.0), 1e-9), 0.3) * np.sign(vx)
            x[now] = xs + vx * s - 0.5 * decel * s**2
            y[now] = r
            return x, y
        x[now], y[now] = xs + vx * s, ys + vy * s - 0.5 * g * s * s
        if ts + land >= t[-1]:
            return x, y
        v_in = vy - g * land
        ts, xs, ys, vx, vy = ts + land, xs + vx * land, r, 0.9 * vx, -e * v_in
        rolling = vy < 0.35 or ys + vy**2 / (2 * g) > 6.0


def _landing(height: float, vy: float, g: float) -> float:
    """Seconds until a body `height` above its contact point lands; inf if it never does."""
    if g <= 0:
        return math.inf
    return (vy + math.sqrt(max(vy * vy + 2 * g * height, 0.0))) / g


def scene_paths(spec: ClipSpec, rng: np.random.Generator) -> tuple[list[Path2D], float]:
    """The balls' paths for the spec's scene with its physics violation; and the table height."""
    t = np.arange(round(DURATION_S * FPS)) / FPS
    g = G * {"gravity_zero": 0.0, "gravity_upward": -0.5, "gravity_low": 0.3}.get(
        spec.violation or "", 1.0)
    gain = spec.violation == "energy_gain"
    paths, table = [], 0.0
    lanes = [-0.55, 0.55] if spec.balls > 1 else [rng.uniform(-0.3, 0.3)]
    for k, lane in enumerate(lanes[: spec.balls]):
        r = rng.uniform(0.05, 0.085)
        e = rng.uniform(0.6, 0.78)
        e = 1.0 / e if gain and k == 0 else e
        if spec.scene == "throw" and spec.balls == 1:
            start = (-0.9, 0.35, rng.uniform(0.5, 0.8), rng.uniform(2.6, 3.4))
        elif spec.scene == "table" and spec.balls == 1:
            table = rng.uniform(0.55, 0.8)
            x, y = _table_roll(t, table, r, rng.uniform(0.6, 1.0), g, e)
            paths.append(Path2D(x, y, r, np.ones_like(t), np.ones_like(t, dtype=bool)))
            continue
        else:
            height = rng.uniform(0.35, 0.55) if gain and k == 0 else rng.uniform(0.9, 1.45)
            if spec.violation == "gravity_upward":
                height = rng.uniform(0.3, 0.6)
            start = (lane, height + r, rng.uniform(-0.15, 0.15), 0.0)
        if spec.violation == "midair_bounce" and k == 0:
            x, y = _midair_bounce(t, start, g, e, r, _extra_rng(spec))
        else:
            x, y = flight(t, start, g, e, r)
        paths.append(Path2D(x, y, r, np.ones_like(t), np.ones_like(t, dtype=bool)))
    _inject_path_violation(spec.violation, paths[0], t, rng)
    _inject_body_violation(spec.violation, paths, t, g, _extra_rng(spec))
    return paths, table


def _extra_rng(spec: ClipSpec) -> np.random.Generator:
    """A second stream for what later suites added, so the older clips stay as they were."""
    return np.random.default_rng([spec.seed, 7])


def _midair_bounce(t: np.ndarray, start: tuple[float, float, float, float], g: float, e: float,
                   r: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The first fall turns back up 0.25 to 0.5 m above the floor, with nothing there."""
    xs, ys, vx, vy = start
    height = rng.uniform(0.25, 0.5)
    floor = r + height
    apex = ys + max(vy, 0.0) ** 2 / (2 * g)
    if apex <= floor + 0.1:
        return flight(t, start, g, e, r)
    land = _landing(ys - floor, vy, g)
    before = t < land
    x, y = xs + vx * t, ys + vy * t - 0.5 * g * t * t
    after_x, after_y = flight(np.maximum(t - land, 0.0),
                              (xs + vx * land, floor, vx, e * (g * land - vy)), g, e, r)
    return np.where(before, x, after_x), np.where(before, y, after_y)


def _airborne_window(path: Path2D, t: np.ndarray, length: int,
                     rng: np.random.Generator) -> int | None:
    """The first frame of `length` frames in open air (off the floor, in view, and not on a
    table: its height changes from frame to frame), or None."""
    level = np.abs(np.diff(path.y, prepend=path.y[0])) < 0.002
    # Level for three frames running is a table top; an apex is level for a frame or two.
    on_table = np.convolve(level.astype(int), np.ones(3, dtype=int), mode="same") >= 3
    up = (path.y - path.radius > 0.12) & path.visible & ~on_table
    for size in range(length, min(length, 8) - 1, -1):
        starts = [i for i in range(2, len(t) - size - 2) if up[i : i + size].all()]
        if starts:
            return int(rng.choice(starts))
    return None


def _up_for(path: Path2D, at: int, length: int) -> bool:
    """Whether the ball stays off the floor for `length` frames from `at`."""
    return bool(np.all(path.y[at : at + length] - path.radius > 0.12))


def _inject_body_violation(kind: str | None, paths: list[Path2D], t: np.ndarray, g: float,
                           rng: np.random.Generator) -> None:
    """The failures generators make: a local glide, a hover, an eased rise, a colour that
    morphs, a copy that splits off, a body from nowhere."""
    path = paths[0]
    if kind == "glide":
        length = int(rng.integers(8, 13))
        at = _airborne_window(path, t, length, rng)
        while at is not None and not _up_for(path, at, length):
            length -= 1  # the window found was shorter than asked for
        if at is not None:
            for values in (path.x, path.y):
                values[at : at + length] = np.linspace(values[at], values[at + length - 1],
                                                       length)
    elif kind == "hover":
        length = int(rng.integers(10, 17))
        at = _airborne_window(path, t, 3, rng)
        if at is not None:
            for values in (path.x, path.y):
                values[at + length :] = values[at : len(t) - length].copy()
                values[at : at + length] = values[at]
    elif kind == "eased_rise":
        _ease_first_rise(path, t)
    elif kind == "morphing":
        _morph(path, t, rng)
    elif kind == "duplication":
        _split_off(paths, t, g, rng)
    elif kind == "appearing":
        _appear(paths, t, g, rng)


def _ease_first_rise(path: Path2D, t: np.ndarray) -> None:
    """From the first bounce to the top of the next rise the ball speeds up as it rises
    (an ease-in between two keyframes), then falls as before."""
    low = [i for i in range(1, len(t) - 1)
           if path.y[i] <= path.y[i - 1] and path.y[i] < path.y[i + 1]]
    if not low:
        return
    c = low[0]
    apex = c + int(np.argmax(path.y[c : c + round(1.2 * FPS)]))
    if apex - c < 4:
        return
    s = (t[c : apex + 1] - t[c]) / (t[apex] - t[c])
    path.y[c : apex + 1] = path.y[c] + (path.y[apex] - path.y[c]) * s**2


def _morph(path: Path2D, t: np.ndarray, rng: np.random.Generator) -> None:
    """The ball's colour turns into another over about a second while it moves."""
    start = int(rng.uniform(0.25, 0.45) * len(t))
    span = int(rng.integers(round(0.8 * FPS), round(1.2 * FPS)))
    ramp = np.clip((np.arange(len(t)) - start) / span, 0.0, 1.0)
    path.morph = (ramp, int(rng.integers(len(COLOURS))))


def _split_off(paths: list[Path2D], t: np.ndarray, g: float, rng: np.random.Generator) -> None:
    """A copy of the ball splits off it in mid-air and flies on beside it."""
    path = paths[0]
    at = _airborne_window(path, t, 6, rng)
    if at is None:
        return
    dt = 1.0 / FPS
    vx = (path.x[at + 1] - path.x[at]) / dt + rng.choice([-1, 1]) * rng.uniform(0.7, 1.1)
    vy = (path.y[at + 1] - path.y[at]) / dt
    x, y = flight(np.maximum(t - t[at], 0.0), (path.x[at], path.y[at], vx, vy), g, 0.65,
                  path.radius)
    paths.append(Path2D(x, y, path.radius, np.ones_like(t), t >= t[at], copy_of=0))


def _appear(paths: list[Path2D], t: np.ndarray, g: float, rng: np.random.Generator) -> None:
    """Another ball turns up in open view mid-clip, out of nothing, and falls."""
    at = int(rng.uniform(0.3, 0.55) * len(t))
    r = rng.uniform(0.05, 0.085)
    x0 = paths[0].x[at] + rng.choice([-1, 1]) * rng.uniform(0.4, 0.7)
    start = (float(np.clip(x0, -0.9, 0.9)), rng.uniform(0.5, 1.2), 0.0, 0.0)
    x, y = flight(np.maximum(t - t[at], 0.0), start, g, 0.65, r)
    paths.append(Path2D(x, y, r, np.ones_like(t), t >= t[at]))


def _table_roll(t: np.ndarray, height: float, r: float, speed: float, g: float,
                e: float) -> tuple[np.ndarray, np.ndarray]:
    """Rolls along a table top at constant speed, leaves the edge at x = 0, falls, bounces."""
    x0 = -0.75
    edge_t = -x0 / speed
    on = t < edge_t
    fx, fy = flight(np.maximum(t - edge_t, 0.0), (0.0, height + r, speed, 0.0), g, e, r)
    return np.where(on, x0 + speed * t, fx), np.where(on, height + r, fy)


def _inject_path_violation(kind: str | None, path: Path2D, t: np.ndarray,
                           rng: np.random.Generator) -> None:
    """Teleport, vanishing or shrinking, at a moment while the ball is in open view."""
    at = int(rng.uniform(0.3, 0.55) * len(t))
    if kind == "teleport":
        path.x[at:] += rng.choice([-1, 1]) * rng.uniform(0.35, 0.55)
        path.y[at:] += rng.uniform(0.0, 0.25)
    elif kind == "vanishing":
        path.visible[at:] = False
    elif kind == "shrinking":
        ramp = np.clip((t - t[at // 2]) / 1.0, 0.0, 1.0)
        path.scale[:] = 1.0 - rng.uniform(0.35, 0.45) * ramp


def render_clip(spec: ClipSpec) -> tuple[np.ndarray, float]:
    """Frames (T, H, W, 3) uint8 of the spec and the image scale (px per metre)."""
    rng = np.random.default_rng(spec.seed)
    paths, table = scene_paths(spec, rng)
    extra = np.random.default_rng([spec.seed, 11])
    hand = _hold(paths[0], extra) if spec.nuisance == "hand" and not table else None
    frames, px_per_m = _draw(spec, paths, table, rng, hand, extra)
    if spec.nuisance == "clutter":
        frames = _clutter(frames, extra)
    if spec.shake_px:
        frames = _shake(frames, spec.shake_px, rng)
    if spec.noise:
        noisy = frames + rng.normal(0.0, spec.noise, frames.shape)
        frames = np.clip(noisy, 0, 255).astype(np.uint8)
    frames = _inject_sequence_violation(spec.violation, frames, paths[0], rng)
    if spec.nuisance == "cut":
        # The first shot is another clean clip (another scene and look) with the same noise
        # and shake; the compression below treats both shots alike.
        other = dataclasses.replace(spec, violation=None, nuisance=None, crf=None,
                                    texture=not spec.texture,
                                    environment=ENVIRONMENTS[int(extra.integers(3))],
                                    seed=int(extra.integers(1 << 30)))
        cut = int(extra.uniform(0.5, 0.8) * FPS)
        # This clip runs whole after the cut (the edited clip is longer by the first shot),
        # so whatever was injected into it is still in view.
        frames = np.concatenate([render_clip(other)[0][:cut], frames])
    if spec.crf is not None:
        frames = _through_h264(frames, spec.crf)
    return frames, px_per_m


@dataclass
class Hand:
    """A hand that holds the ball until `release` (a frame), then moves away upward."""

    release: int
    x: np.ndarray
    y: np.ndarray


def _hold(path: Path2D, rng: np.random.Generator) -> Hand:
    """The ball held still where it starts until the hand lets go, its path delayed by as
    much; the hand then goes up and out of view."""
    release = int(rng.uniform(0.3, 0.6) * FPS)
    # Away from where the ball goes: up from a dropped ball, back against a thrown one.
    vx, vy = (path.x[1] - path.x[0]) * FPS, (path.y[1] - path.y[0]) * FPS
    speed = float(np.hypot(vx, vy))
    if speed > 0.3:
        hx, hy = -1.4 * vx / speed, -1.4 * vy / speed
    else:  # sideways and up, out of the way of a ball that may go either way
        hx, hy = rng.choice([-1, 1]) * rng.uniform(1.0, 1.4), 0.8
    for values in (path.x, path.y):
        values[release:] = values[: len(values) - release].copy()
        values[:release] = values[0]
    t = np.arange(len(path.x)) / FPS
    away = np.maximum(t - release / FPS, 0.0)
    return Hand(release, path.x[0] + hx * away, path.y[0] + 0.9 * path.radius + hy * away)


def _draw(spec: ClipSpec, paths: list[Path2D], table: float, rng: np.random.Generator,
          hand: Hand | None = None, extra: np.random.Generator | None = None,
          ) -> tuple[np.ndarray, float]:
    """Draws the balls with the studio renderer over its backdrop (textured on request);
    on a wider canvas that a window pans across, with a hand, or blurred, on request."""
    from tools.studio.environments import environment
    from tools.studio.render import Renderer
    from tools.studio.scenes import Ball, Surface, World, box

    wall = np.mean(environment(spec.environment).wall)
    # Any colour, as long as a person could see the ball against the wall at all.
    visible = [c for c in COLOURS if abs(np.mean(c) - wall) > 45]
    balls = [Ball(f"ball{k}", p.radius, "rubber", visible[int(rng.integers(len(visible)))],
                  0.0, 0.0) for k, p in enumerate(paths)]
    for k, p in enumerate(paths):
        if p.copy_of is not None:
            balls[k] = dataclasses.replace(balls[k], color=balls[p.copy_of].color)
        if p.morph is not None:  # into another hue a person could still see on this wall
            # Where only black and white stand out (an underwater wall), into the other one:
            # a morph must change the ball (white into white is no violation to find).
            own = balls[k].color
            others = ([c for c in visible if _hue_gap(c, own) >= 0.15]
                      or [c for c in visible if c != own] or visible)
            p.morph = (p.morph[0], COLOURS.index(others[p.morph[1] % len(others)]))
    surfaces = [Surface("floor", "floor", box(-6.0, -1.0, 6.0, 0.0), "floor_wood")]
    if table:
        surfaces.append(Surface("table", "table", box(-1.6, table - 0.05, 0.0, table),
                                "table_wood"))
    world = World("calibration", spec.environment, G, 1.0, tuple(balls), tuple(surfaces),
                  (-1.25, 1.25, -0.2, 1.95), DURATION_S)
    width, height = spec.size
    wide = round(1.5 * width) if spec.nuisance == "pan" else width
    renderer = Renderer(world, wide, height)
    if spec.texture:
        renderer.backdrop = _textured(renderer.backdrop, rng)
    frames = np.empty((len(paths[0].x), height, width, 3), dtype=np.uint8)
    pan = _pan_offsets(len(frames), wide - width, extra) if wide > width else None
    for i in range(len(frames)):
        picture = _picture(renderer, balls, paths, i, spec.nuisance == "blur")
        if hand is not None:
            _draw_hand(picture, hand, i, renderer.camera, paths[0].radius)
        left = 0 if pan is None else pan[i]
        frames[i] = picture[:, left : left + width]
    return frames, renderer.camera.px_per_m


def _hue_gap(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """Distance between two colours' chromaticities (r and g over r + g + b)."""
    ca = np.array(a[:2], dtype=float) / max(sum(a), 1)
    cb = np.array(b[:2], dtype=float) / max(sum(b), 1)
    return float(np.hypot(*(ca - cb)))


def _picture(renderer: Any, balls: list[Any], paths: list[Path2D], i: int,
             blur: bool) -> np.ndarray:
    """Frame `i`; with `blur`, the mean of four exposures spread over three quarters of the
    frame's time, as a camera's shutter smears a fast ball."""
    from tools.studio.simulate import Pose

    steps = (0.0, 0.25, 0.5, 0.75) if blur else (0.0,)
    total = np.zeros((*renderer.backdrop.shape[:2], 3), dtype=np.float32)
    for step in steps:
        poses = {}
        for ball, p in zip(balls, paths, strict=True):
            if not p.visible[i]:
                continue
            j = min(i + 1, len(p.x) - 1)
            x = p.x[i] + step * (p.x[j] - p.x[i])
            y = p.y[i] + step * (p.y[j] - p.y[i])
            colour = ball.color
            if p.morph is not None:
                share, index = p.morph
                target = np.array(COLOURS[index], dtype=float)
                colour = tuple(int(c) for c in (1 - share[i]) * np.array(colour)
                               + share[i] * target)
            # The renderer reads sizes and colours from its balls: swap in this frame's.
            renderer._balls[ball.name] = dataclasses.replace(
                ball, radius_m=p.radius * p.scale[i], color=colour)
            poses[ball.name] = Pose(x, y, -x / p.radius)
        total += renderer.frame(poses)
    return np.clip(total / len(steps) + 0.5, 0, 255).astype(np.uint8)


def _pan_offsets(count: int, room: int, rng: np.random.Generator | None) -> np.ndarray:
    """Left edge of the window per frame: a steady pan across most of the room, one way."""
    rng = rng or np.random.default_rng(0)
    span = rng.uniform(0.6, 1.0) * room
    start = rng.uniform(0, room - span)
    offsets = start + span * np.arange(count) / max(count - 1, 1)
    return (offsets if rng.random() < 0.5 else offsets[::-1]).round().astype(int)


def _draw_hand(picture: np.ndarray, hand: Hand, i: int, camera: Any, radius_m: float) -> None:
    """A skin-coloured hand over the ball's top and an arm up to the frame's top edge."""
    u, v = camera.to_px(hand.x[i], hand.y[i])
    r = 1.5 * radius_m * camera.px_per_m
    height, width = picture.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    palm = np.hypot((xx - u) / (1.3 * r), (yy - v) / r) <= 1.0
    arm = (np.abs(xx - u) <= 0.55 * r) & (yy <= v)
    cover = (palm | arm)[..., None]
    shade = 1.0 - 0.12 * np.clip((yy - v) / (2 * r), -1, 1)[..., None]
    skin = np.clip(np.array(SKIN, dtype=float) * shade, 0, 255)
    picture[:] = np.where(cover, skin, picture).astype(np.uint8)


def _clutter(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Six to ten small movers that jitter about where they are and blink now and then, as
    leaves, grass and specks do in generated and outdoor footage."""
    count, height, width = frames.shape[:3]
    out = frames.copy()
    yy, xx = np.mgrid[0:height, 0:width]
    for _ in range(int(rng.integers(6, 11))):
        cx, cy = rng.uniform(0.05, 0.95) * width, rng.uniform(0.05, 0.6) * height
        r = rng.uniform(0.008, 0.02) * width
        colour = np.array([rng.uniform(40, 120), rng.uniform(110, 200), rng.uniform(30, 90)])
        wander = np.cumsum(rng.normal(0, 0.6, (count, 2)), axis=0)
        shown = np.asarray(rng.random(count) > 0.15)
        for i in range(count):
            if not shown[i]:
                continue
            x, y = cx + wander[i, 0], cy + wander[i, 1]
            blob = np.hypot(xx - x, (yy - y) * 1.6) <= r
            out[i][blob] = colour
    return out


def _textured(backdrop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A wallpaper of coarse random blocks plus fine grain over the backdrop (static)."""
    h, w = backdrop.shape[:2]
    block = int(rng.integers(6, 14))
    coarse = rng.uniform(-28, 28, size=(h // block + 2, w // block + 2, 1))
    pattern = np.kron(coarse, np.ones((block, block, 1)))[:h, :w]
    pattern = pattern + rng.normal(0, 6, size=(h, w, 1))
    return np.clip(backdrop + pattern, 0, 255).astype(np.uint8)


def _shake(frames: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """Handheld camera: each frame displaced by a wandering offset of up to `amplitude` px."""
    pad = math.ceil(amplitude) + 1
    big = np.pad(frames, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    count, h, w = frames.shape[:3]
    t = np.arange(count) / FPS
    out = np.empty_like(frames)
    phase = rng.uniform(0, 2 * np.pi, 2)
    for i in range(count):
        wobble = np.sin(2 * np.pi * 1.7 * t[i] + phase) * 0.6 + rng.uniform(-0.4, 0.4, 2)
        dy, dx = np.clip(np.round(amplitude * wobble), -pad, pad).astype(int)
        out[i] = big[i, pad + dy : pad + dy + h, pad + dx : pad + dx + w]
    return out


def _inject_sequence_violation(kind: str | None, frames: np.ndarray, path: Path2D,
                               rng: np.random.Generator) -> np.ndarray:
    """Reversal, a frozen stretch or a shuffled stretch, placed while the ball moves."""
    count = len(frames)
    speed = np.hypot(np.diff(path.x), np.diff(path.y))
    moving = np.flatnonzero(speed[: int(0.75 * count)] > 0.02)
    at = int(rng.choice(moving[moving > 4])) if len(moving[moving > 4]) else count // 3
    if kind == "time_reversal":
        return frames[::-1].copy()
    if kind == "frozen_frames":
        length = int(rng.integers(6, 11))
        out = frames.copy()
        out[at : at + length] = frames[at]
        return out
    if kind == "shuffled_frames":
        length = int(rng.integers(8, 13))
        out = frames.copy()
        out[at : at + length] = frames[at : at + length][rng.permutation(length)]
        return out
    return frames


def _through_h264(frames: np.ndarray, crf: int) -> np.ndarray:
    from tools.media import read_video, write_video

    with tempfile.TemporaryDirectory() as tmp:
        path = write_video(frames, Path(tmp) / "clip.mp4", fps=FPS, crf=crf)
        decoded, _ = read_video(path)
    return decoded


# Failures that need room in the ball's path (a long enough flight, a high enough fall); a
# scene without it is left as drawn, so such a spec must be checked to hold its failure.
MAY_NOT_FIT = ("glide", "hover", "eased_rise", "midair_bounce", "duplication")
REDRAWS = 20


def injected(spec: ClipSpec) -> bool:
    """Whether the spec's failure is in its clip: a glide needs a flight of eight frames, a
    mid-air bounce a fall high enough to turn back above the floor. A clip labelled violated
    that is frame for frame its clean twin would count against the judge for seeing nothing
    where there is nothing."""
    if spec.violation not in MAY_NOT_FIT:
        return True
    got, _ = scene_paths(spec, np.random.default_rng(spec.seed))
    clean, _ = scene_paths(dataclasses.replace(spec, violation=None),
                           np.random.default_rng(spec.seed))
    return len(got) != len(clean) or any(
        not (np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
             and np.array_equal(a.scale, b.scale) and np.array_equal(a.visible, b.visible))
        for a, b in zip(got, clean, strict=True))


def nuisance_specs(violation: str | None, count: int, seed: int) -> list[ClipSpec]:
    """`count` specs cycling through scenes and nuisances, reproducibly from `seed`. A spec
    whose failure does not fit its scene is drawn again with another scene seed (from its own
    stream, so the other specs stay as they were)."""
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(count):
        scenes = ("drop",) if violation in ("gravity_upward", "energy_gain") else ("throw",) if (
            violation == "gravity_zero") else (
            ("drop", "throw") if violation and (violation.startswith("gravity")
                                                or violation == "midair_bounce") else
            ("drop", "throw", "table"))
        scene = scenes[i % len(scenes)]
        specs.append(ClipSpec(
            violation=violation,
            scene=scene,
            seed=int(rng.integers(1 << 30)),
            size=((426, 240), (320, 180), (480, 270))[i % 3],
            balls=2 if scene == "drop" and i % 4 == 3 else 1,
            noise=(0.0, 2.0, 5.0)[i % 3],
            crf=(None, 20, 28, 34)[(i // 2) % 4],
            shake_px=(0.0, 0.0, 2.0, 3.0)[(i // 3) % 4],
            texture=i % 5 in (1, 3),
            environment=ENVIRONMENTS[i % len(ENVIRONMENTS)],
            nuisance=NUISANCES[(i // 2) % len(NUISANCES)] if i % 2 == 1 else None,
        ))
        again = np.random.default_rng([seed, i, 3])
        for _ in range(REDRAWS):
            if injected(specs[-1]):
                break
            specs[-1] = dataclasses.replace(specs[-1], seed=int(again.integers(1 << 30)))
        else:
            raise RuntimeError(f"no scene of {specs[-1]} fits a {violation}")
    return specs
