"""The static part of a frame: wall, floor, table, ramp. Painted once per clip and reused.

Painted with PIL at 2x and box-downsampled, which anti-aliases every edge for free. Each surface
kind has one painter in `PAINTERS`, so a new prop (a shelf, a step) is one new function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from tools.studio.camera import Camera
from tools.studio.environments import environment
from tools.studio.materials import RGB, material
from tools.studio.scenes import Surface, World

SUPERSAMPLE = 2
Painter = Callable[[ImageDraw.ImageDraw, Surface, Camera, World], None]


def _shade(color: RGB, k: float) -> RGB:
    r, g, b = (int(max(0, min(255, c * k))) for c in color)
    return (r, g, b)


def _poly_px(points: tuple[tuple[float, float], ...], cam: Camera) -> list[tuple[float, float]]:
    out = []
    for x, y in points:
        u, v = cam.to_px(x, y)
        out.append((u * SUPERSAMPLE, v * SUPERSAMPLE))
    return out


def _paint_floor(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = environment(world.environment).floor
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    _, v0 = cam.to_px(0.0, 0.0)
    top = v0 * SUPERSAMPLE
    # A lit front edge and a few faint boards read as a floor seen from the side.
    draw.rectangle(
        (0, top, cam.width * SUPERSAMPLE, top + 2 * SUPERSAMPLE), fill=_shade(color, 1.12)
    )
    for k in range(1, 6):
        v = top + k * k * 0.04 * cam.px_per_m * SUPERSAMPLE
        draw.line((0, v, cam.width * SUPERSAMPLE, v), fill=_shade(color, 0.94), width=SUPERSAMPLE)


def _paint_table(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = material(s.material).color
    xs = [p[0] for p in s.polygon]
    ys = [p[1] for p in s.polygon]
    leg = 0.05
    for x in (min(xs) + 0.06, max(xs) - 0.06 - leg):
        points = ((x, 0.0), (x + leg, 0.0), (x + leg, min(ys)), (x, min(ys)))
        draw.polygon(_poly_px(points, cam), fill=_shade(color, 0.8))
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    top = (
        (min(xs), max(ys) - 0.012),
        (max(xs), max(ys) - 0.012),
        (max(xs), max(ys)),
        (min(xs), max(ys)),
    )
    draw.polygon(_poly_px(top, cam), fill=_shade(color, 1.2))


def _paint_ramp(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = material(s.material).color
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    low, _, high = s.polygon
    draw.line(_poly_px((high, low), cam), fill=_shade(color, 1.25), width=2 * SUPERSAMPLE)


def _paint_wall(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = _shade(environment(world.environment).wall, 0.86)
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    x0 = min(p[0] for p in s.polygon)
    draw.line(_poly_px(((x0, 0.0), (x0, 10.0)), cam), fill=_shade(color, 0.85), width=SUPERSAMPLE)


PAINTERS: dict[str, Painter] = {
    "floor": _paint_floor,
    "table": _paint_table,
    "ramp": _paint_ramp,
    "wall": _paint_wall,
}


def paint_backdrop(world: World, cam: Camera) -> np.ndarray:
    """The static scenery as an HxWx3 uint8 frame (cached per world and size)."""
    return _paint_cached(world, cam).copy()


@lru_cache(maxsize=16)
def _paint_cached(world: World, cam: Camera) -> np.ndarray:
    w, h = cam.width * SUPERSAMPLE, cam.height * SUPERSAMPLE
    wall = np.asarray(environment(world.environment).wall, dtype=np.float32)
    shade = np.linspace(1.04, 0.93, h, dtype=np.float32)[:, None, None]
    image = Image.fromarray(np.broadcast_to(wall * shade, (h, w, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for surface in sorted(world.surfaces, key=lambda s: s.kind != "wall"):
        PAINTERS[surface.kind](draw, surface, cam, world)
    small = np.asarray(image.resize((cam.width, cam.height), Image.Resampling.BOX), np.float32)
    # Fixed-seed grain: texture for the eye, far below what background subtraction reacts to.
    grain = np.random.default_rng(7).normal(0.0, 1.6, small.shape[:2])[..., None]
    return np.clip(small + grain, 0, 255).astype(np.uint8)
