"""Frames of a scene: the cached backdrop plus soft shadows, links and shaded bodies.

Bodies are drawn per pixel on a small patch with exact coverage (anti-aliased at sub-pixel
positions, so a tracker sees smooth motion, not half-pixel jumps). Shadows are wide, faint
Gaussians: the kinematics judge subtracts the background, and a dark hard shadow would read as a
second moving object. Strings are thin and only a little darker than the wall for the same reason.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping

import numpy as np

from tools.studio.backdrop import paint_backdrop
from tools.studio.bodies import Ball, Block, Link, World, half_height_m
from tools.studio.camera import Camera
from tools.studio.materials import material
from tools.studio.shading import shade_ball, shade_block
from tools.studio.simulate import Pose, Simulation

SHADOW_DARKEN = 0.2
STRING_RGB = (96, 92, 88)
SPRING_RGB = (110, 116, 124)
SPRING_COILS = 12


class Renderer:
    """Draws one world at one size; build it once per clip (it holds the painted backdrop)."""

    def __init__(self, world: World, width: int = 854, height: int = 480) -> None:
        self.world = world
        self.camera = Camera.fit(world, width, height)
        self.backdrop = paint_backdrop(world, self.camera)
        self._balls = {b.name: b for b in world.balls}
        self._blocks = {b.name: b for b in world.blocks}
        self._link_drawers: dict[str, Callable[[np.ndarray, Link, Pose], None]] = {
            "string": self._string, "spring": self._spring, "pivot": self._pivot}

    def frame(self, poses: Mapping[str, Pose]) -> np.ndarray:
        """An HxWx3 uint8 frame with every body named in `poses` at its pose."""
        canvas = self.backdrop.astype(np.float32)
        for name, pose in poses.items():
            self._shadow(canvas, name, pose)
        for link in self.world.links:
            if link.body in poses:
                self._link_drawers[link.kind](canvas, link, poses[link.body])
        for name, pose in poses.items():
            if name in self._balls:
                self._ball(canvas, self._balls[name], pose)
            elif name in self._blocks:
                self._block(canvas, self._blocks[name], pose)
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
        _composite(region, color, cover)

    def _block(self, canvas: np.ndarray, block: Block, pose: Pose) -> None:
        u, v = self.camera.to_px(pose.x, pose.y)
        scale = self.camera.px_per_m
        half = (0.5 * block.width_m * scale, 0.5 * block.height_m * scale)
        reach = math.hypot(*half) + 2
        patch = _patch(canvas, u, v, reach, reach)
        if patch is None:
            return
        region, xs, ys = patch
        c, s = math.cos(pose.angle), math.sin(pose.angle)
        dx, dy = xs - u, v - ys  # dy points up
        lx, ly = c * dx + s * dy, -s * dx + c * dy
        color, cover = shade_block(lx, ly, half, block.color, material(block.material))
        _composite(region, color, cover)

    def _shadow(self, canvas: np.ndarray, name: str, pose: Pose) -> None:
        body = self._balls.get(name) or self._blocks.get(name)
        if body is None:
            return
        half_h = half_height_m(body)
        half_w = body.radius_m if isinstance(body, Ball) else 0.5 * body.width_m
        if self.world.top_down:
            # Light from the upper left: the shadow falls a little right of and below the body.
            self._blob(canvas, pose.x + 0.25 * half_w, pose.y - 0.3 * half_w, half_w * 1.3, 1.0,
                       SHADOW_DARKEN)
            return
        ground = _ground_below(self.world, pose.x, pose.y - half_h)
        if ground is None:
            return
        height = max(0.0, pose.y - half_h - ground)
        spread = half_w * (1.0 + 1.5 * height)
        fade = SHADOW_DARKEN / (1.0 + 2.5 * height / max(half_w, 1e-3))
        self._blob(canvas, pose.x, ground, spread, 0.25, fade)

    def _blob(self, canvas: np.ndarray, x: float, y: float, spread_m: float, squash: float,
              fade: float) -> None:
        u, v = self.camera.to_px(x, y)
        spread = spread_m * self.camera.px_per_m
        patch = _patch(canvas, u, v, 2.2 * spread, max(0.8, 2.2 * squash) * spread)
        if patch is None:
            return
        region, xs, ys = patch
        blob = np.exp(-(((xs - u) / spread) ** 2) * 1.6 - ((ys - v) / (squash * spread)) ** 2)
        region *= 1.0 - fade * blob[..., None]

    def _attach(self, link: Link, pose: Pose) -> tuple[tuple[float, float], tuple[float, float]]:
        """The link's two ends in pixels: the fixed anchor and the point on the body."""
        bx, by = link.body_anchor
        c, s = math.cos(pose.angle), math.sin(pose.angle)
        end = self.camera.to_px(pose.x + c * bx - s * by, pose.y + s * bx + c * by)
        return self.camera.to_px(*link.anchor), end

    def _string(self, canvas: np.ndarray, link: Link, pose: Pose) -> None:
        a, b = self._attach(link, pose)
        _segment(canvas, a, b, 1.3, STRING_RGB, 0.85)

    def _spring(self, canvas: np.ndarray, link: Link, pose: Pose) -> None:
        (u0, v0), (u1, v1) = self._attach(link, pose)
        length = math.hypot(u1 - u0, v1 - v0) or 1.0
        nx, ny = -(v1 - v0) / length, (u1 - u0) / length
        amp = 0.035 * self.camera.px_per_m
        points = [(u0, v0)]
        for k in range(1, 2 * SPRING_COILS):
            f = 0.08 + 0.84 * k / (2 * SPRING_COILS)
            side = amp if k % 2 else -amp
            points.append((u0 + (u1 - u0) * f + nx * side, v0 + (v1 - v0) * f + ny * side))
        points.append((u1, v1))
        for p, q in itertools.pairwise(points):
            _segment(canvas, p, q, 2.2, SPRING_RGB, 1.0)

    def _pivot(self, canvas: np.ndarray, link: Link, pose: Pose) -> None:
        u, v = self.camera.to_px(*link.anchor)
        _segment(canvas, (u - 0.01, v), (u + 0.01, v), 7.0, (70, 72, 78), 1.0)


def _composite(region: np.ndarray, color: np.ndarray, cover: np.ndarray) -> None:
    region *= 1.0 - cover[..., None]
    region += color * cover[..., None]


def _segment(canvas: np.ndarray, a: tuple[float, float], b: tuple[float, float], width: float,
             rgb: tuple[int, int, int], alpha: float) -> None:
    """An anti-aliased line from a to b (pixels) with round ends, by distance to the segment."""
    (ua, va), (ub, vb) = a, b
    patch = _patch(canvas, (ua + ub) / 2, (va + vb) / 2, abs(ub - ua) / 2 + width + 1,
                   abs(vb - va) / 2 + width + 1)
    if patch is None:
        return
    region, xs, ys = patch
    du, dv = ub - ua, vb - va
    t = np.clip(((xs - ua) * du + (ys - va) * dv) / max(du * du + dv * dv, 1e-9), 0.0, 1.0)
    dist = np.hypot(xs - ua - t * du, ys - va - t * dv)
    cover = alpha * np.clip(width / 2 + 0.5 - dist, 0.0, 1.0)
    _composite(region, np.asarray(rgb, np.float32), cover)


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
        if surface.kind in ("wall", "beam"):
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
