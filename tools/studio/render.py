"""Frames of a scene: the cached backdrop plus soft shadows and shaded balls drawn analytically.

Balls are drawn per pixel on a small patch with exact coverage (anti-aliased at sub-pixel
positions, so a tracker sees smooth motion, not half-pixel jumps). Shadows are wide, faint
Gaussians: the kinematics judge subtracts the background, and a dark hard shadow would read as a
second moving object.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tools.studio.backdrop import paint_backdrop
from tools.studio.camera import Camera
from tools.studio.materials import material
from tools.studio.scenes import Ball, World
from tools.studio.shading import shade_ball
from tools.studio.simulate import Pose, Simulation

SHADOW_DARKEN = 0.2


class Renderer:
    """Draws one world at one size; build it once per clip (it holds the painted backdrop)."""

    def __init__(self, world: World, width: int = 854, height: int = 480) -> None:
        self.world = world
        self.camera = Camera.fit(world, width, height)
        self.backdrop = paint_backdrop(world, self.camera)
        self._balls = {b.name: b for b in world.balls}

    def frame(self, poses: Mapping[str, Pose]) -> np.ndarray:
        """An HxWx3 uint8 frame with every ball named in `poses` at its pose."""
        canvas = self.backdrop.astype(np.float32)
        for name, pose in poses.items():
            self._shadow(canvas, self._balls[name], pose)
        for name, pose in poses.items():
            self._ball(canvas, self._balls[name], pose)
        return canvas.astype(np.uint8)

    def _ball(self, canvas: np.ndarray, ball: Ball, pose: Pose) -> None:
        u, v = self.camera.to_px(pose.x, pose.y)
        radius = ball.radius_m * self.camera.px_per_m
        patch = _patch(canvas, u, v, radius + 2, radius + 2)
        if patch is None:
            return
        region, xs, ys = patch
        dx, dy = (xs - u) / radius, (v - ys) / radius  # dy points up
        color, cover = shade_ball(dx, dy, radius, ball.color, material(ball.material), pose.angle)
        region *= 1.0 - cover[..., None]
        region += color * cover[..., None]

    def _shadow(self, canvas: np.ndarray, ball: Ball, pose: Pose) -> None:
        ground = _ground_below(self.world, pose.x, pose.y - ball.radius_m)
        if ground is None:
            return
        height = max(0.0, pose.y - ball.radius_m - ground)
        scale = self.camera.px_per_m
        spread = ball.radius_m * scale * (1.0 + 1.5 * height)
        u, v = self.camera.to_px(pose.x, ground)
        patch = _patch(canvas, u, v, 2.2 * spread, 0.8 * spread)
        if patch is None:
            return
        region, xs, ys = patch
        fade = SHADOW_DARKEN / (1.0 + 2.5 * height / max(ball.radius_m, 1e-3))
        blob = np.exp(-(((xs - u) / spread) ** 2) * 1.6 - ((ys - v) / (0.25 * spread)) ** 2)
        region *= 1.0 - fade * blob[..., None]


def _patch(
    canvas: np.ndarray, u: float, v: float, half_w: float, half_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A writable view of the canvas around (u, v) and its pixel-centre coordinates."""
    h, w = canvas.shape[:2]
    x0, x1 = max(0, int(u - half_w)), min(w, int(u + half_w) + 2)
    y0, y1 = max(0, int(v - half_h)), min(h, int(v + half_h) + 2)
    if x0 >= x1 or y0 >= y1:
        return None
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    return canvas[y0:y1, x0:x1], xs, ys


def _ground_below(world: World, x: float, y: float) -> float | None:
    """Height of the highest floor-like surface top under (x, y), where a shadow would fall."""
    best: float | None = None
    for surface in world.surfaces:
        if surface.kind == "wall":
            continue
        pts = surface.polygon
        for (xa, ya), (xb, yb) in zip(pts, pts[1:] + pts[:1], strict=True):
            if min(xa, xb) <= x <= max(xa, xb) and xa != xb:
                top = ya + (yb - ya) * (x - xa) / (xb - xa)
                if top <= y + 1e-3 and (best is None or top > best):
                    best = top
    return best


def render_at(sim: Simulation, t: float, width: int = 854, height: int = 480) -> np.ndarray:
    """One frame of a simulation at time `t` (a convenience for keyframes and previews)."""
    return Renderer(sim.world, width, height).frame(sim.poses_at(t))
