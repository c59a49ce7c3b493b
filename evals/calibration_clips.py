"""Clips for the judge's calibration: simple scenes, known injected violations, nuisances.

Motion is analytic (free flight between exact bounce events, rolling on a table), in metres
with y up and the floor's top at 0, so a violation is injected exactly where it belongs: into
the physics (gravity scale, energy gain), the trajectory (teleport, vanishing, shrinking) or the
frame sequence (reversal, frozen and shuffled frames). Frames are drawn with the studio's
renderer, so the suite looks like what Kinema really judges; nuisances (sensor noise, H.264,
camera shake, textured walls, other colours, several objects) are applied on top.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
)
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


@dataclass
class Path2D:
    """One ball's centre over time (m), its radius scale and whether it is drawn."""

    x: np.ndarray
    y: np.ndarray
    radius: float
    scale: np.ndarray
    visible: np.ndarray


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
        x, y = flight(t, start, g, e, r)
        paths.append(Path2D(x, y, r, np.ones_like(t), np.ones_like(t, dtype=bool)))
    _inject_path_violation(spec.violation, paths[0], t, rng)
    return paths, table


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
    frames, px_per_m = _draw(spec, paths, table, rng)
    if spec.shake_px:
        frames = _shake(frames, spec.shake_px, rng)
    if spec.noise:
        noisy = frames + rng.normal(0.0, spec.noise, frames.shape)
        frames = np.clip(noisy, 0, 255).astype(np.uint8)
    frames = _inject_sequence_violation(spec.violation, frames, paths[0], rng)
    if spec.crf is not None:
        frames = _through_h264(frames, spec.crf)
    return frames, px_per_m


def _draw(spec: ClipSpec, paths: list[Path2D], table: float,
          rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Draws the balls with the studio renderer over its backdrop (textured on request)."""
    from tools.studio.environments import environment
    from tools.studio.render import Renderer
    from tools.studio.scenes import Ball, Surface, World, box
    from tools.studio.simulate import Pose

    wall = np.mean(environment(spec.environment).wall)
    # Any colour, as long as a person could see the ball against the wall at all.
    visible = [c for c in COLOURS if abs(np.mean(c) - wall) > 45]
    balls = tuple(
        Ball(f"ball{k}", p.radius, "rubber", visible[int(rng.integers(len(visible)))], 0.0, 0.0)
        for k, p in enumerate(paths)
    )
    surfaces = [Surface("floor", "floor", box(-6.0, -1.0, 6.0, 0.0), "floor_wood")]
    if table:
        surfaces.append(Surface("table", "table", box(-1.6, table - 0.05, 0.0, table),
                                "table_wood"))
    world = World("calibration", spec.environment, G, 1.0, balls, tuple(surfaces),
                  (-1.25, 1.25, -0.2, 1.95), DURATION_S)
    renderer = Renderer(world, *spec.size)
    if spec.texture:
        renderer.backdrop = _textured(renderer.backdrop, rng)
    frames = np.empty((len(paths[0].x), spec.size[1], spec.size[0], 3), dtype=np.uint8)
    for i in range(len(frames)):
        poses = {}
        for ball, p in zip(balls, paths, strict=True):
            if p.visible[i]:
                # The renderer reads sizes from its balls; shrinking swaps in a smaller one.
                renderer._balls[ball.name] = dataclasses.replace(
                    ball, radius_m=p.radius * p.scale[i])
                poses[ball.name] = Pose(p.x[i], p.y[i], -p.x[i] / p.radius)
        frames[i] = renderer.frame(poses)
    return frames, renderer.camera.px_per_m


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


def nuisance_specs(violation: str | None, count: int, seed: int) -> list[ClipSpec]:
    """`count` specs cycling through scenes and nuisances, reproducibly from `seed`."""
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(count):
        scenes = ("drop",) if violation in ("gravity_upward", "energy_gain") else ("throw",) if (
            violation == "gravity_zero") else (
            ("drop", "throw") if violation and violation.startswith("gravity") else
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
        ))
    return specs
