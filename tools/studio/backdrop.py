"""The static part of a frame: background, floor, table, ramp, beams. Painted once per clip.

Painted with PIL at 2x and box-downsampled, which anti-aliases every edge for free. Each surface
kind has one painter in `PAINTERS` and each environment one background in `BACKGROUNDS`, so a new
prop (a shelf, a step) or a new place is one new function. Every texture is static and faint:
the kinematics judge subtracts the background, so only bodies may change between frames.
"""

from __future__ import annotations

import math
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


def _paint_beam(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = (92, 96, 104)
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    xs, ys = [p[0] for p in s.polygon], [p[1] for p in s.polygon]
    lit = ((min(xs), max(ys) - 0.012), (max(xs), max(ys) - 0.012), (max(xs), max(ys)),
           (min(xs), max(ys)))
    draw.polygon(_poly_px(lit, cam), fill=_shade(color, 1.5))


def _paint_fulcrum(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = (86, 90, 100)
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    left, _, apex = s.polygon
    draw.line(_poly_px((left, apex), cam), fill=_shade(color, 1.4), width=2 * SUPERSAMPLE)


def _paint_step(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = material(s.material).color
    draw.polygon(_poly_px(s.polygon, cam), fill=_shade(color, 0.92))
    xs, ys = [p[0] for p in s.polygon], [p[1] for p in s.polygon]
    nose = ((min(xs), max(ys) - 0.012), (max(xs), max(ys) - 0.012), (max(xs), max(ys)),
            (min(xs), max(ys)))
    draw.polygon(_poly_px(nose, cam), fill=_shade(color, 1.2))


def _paint_bowl(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    draw.polygon(_poly_px(s.polygon, cam), fill=(226, 222, 212))


def _paint_tank(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    draw.polygon(_poly_px(s.polygon, cam), fill=(176, 206, 220))


def _paint_cushion(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    draw.polygon(_poly_px(s.polygon, cam), fill=(92, 56, 30))


def _paint_panel(draw: ImageDraw.ImageDraw, s: Surface, cam: Camera, world: World) -> None:
    color = environment(world.environment).floor
    draw.polygon(_poly_px(s.polygon, cam), fill=color)
    draw.polygon(_poly_px(s.polygon, cam), outline=_shade(color, 0.8), width=2 * SUPERSAMPLE)


PAINTERS: dict[str, Painter] = {
    "floor": _paint_floor,
    "table": _paint_table,
    "ramp": _paint_ramp,
    "wall": _paint_wall,
    "beam": _paint_beam,
    "fulcrum": _paint_fulcrum,
    "cushion": _paint_cushion,
    "step": _paint_step,
    "bowl": _paint_bowl,
    "tank": _paint_tank,
    "panel": _paint_panel,
}


def paint_backdrop(world: World, cam: Camera) -> np.ndarray:
    """The static scenery as an HxWx3 uint8 frame (cached per world and size)."""
    return _paint_cached(world, cam).copy()


@lru_cache(maxsize=16)
def _paint_cached(world: World, cam: Camera) -> np.ndarray:
    w, h = cam.width * SUPERSAMPLE, cam.height * SUPERSAMPLE
    key = "felt" if world.top_down else world.environment
    base = BACKGROUNDS.get(key, _plain)(world, cam, w, h)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for surface in sorted(world.surfaces, key=lambda s: s.kind != "wall"):
        PAINTERS[surface.kind](draw, surface, cam, world)
    small = np.asarray(image.resize((cam.width, cam.height), Image.Resampling.BOX), np.float32)
    # Fixed-seed grain: texture for the eye, far below what background subtraction reacts to.
    grain = np.random.default_rng(7).normal(0.0, 1.6, small.shape[:2])[..., None]
    return np.clip(small + grain, 0, 255).astype(np.uint8)


Background = Callable[[World, Camera, int, int], np.ndarray]


def _mottle(h: int, w: int, seed: int, cell: int, amount: float) -> np.ndarray:
    """Smooth, static low-frequency variation (plaster, regolith, felt), HxWx1."""
    coarse = np.random.default_rng(seed).normal(0.0, 1.0, (h // cell + 2, w // cell + 2))
    img = Image.fromarray(((coarse + 4) * 30).astype(np.uint8))
    smooth = np.asarray(img.resize((w, h), Image.Resampling.BICUBIC), np.float32) / 30 - 4
    return (amount * smooth)[..., None]


def _plain(world: World, cam: Camera, w: int, h: int) -> np.ndarray:
    """A lit wall: a vertical gradient, a soft mottle and faint wallpaper stripes."""
    wall = np.asarray(environment(world.environment).wall, dtype=np.float32)
    shade = np.linspace(1.04, 0.93, h, dtype=np.float32)[:, None, None]
    stripes = 1.0 + 0.012 * np.sin(np.arange(w, dtype=np.float32) * (2 * np.pi / (24 *
                                                                               SUPERSAMPLE)))
    image = wall * shade * stripes[None, :, None] + _mottle(h, w, 3, 48, 3.0)
    return _water(world, cam, image) if world.fluid_density_kg_m3 > 0 else image


def _water(world: World, cam: Camera, image: np.ndarray) -> np.ndarray:
    """Deep water darkening with depth, soft caustic bands, and air above a finite surface."""
    h, w = image.shape[:2]
    rows = np.arange(h, dtype=np.float32)[:, None]
    cols = np.arange(w, dtype=np.float32)[None, :]
    caustic = 1.0 + 0.04 * np.sin(cols / (31.0 * SUPERSAMPLE) + 0.6 * np.sin(rows / 57.0)) * \
        np.sin(rows / (23.0 * SUPERSAMPLE) + cols / 90.0)
    depth = np.linspace(1.1, 0.78, h, dtype=np.float32)[:, None]
    water = image * (depth * caustic)[..., None]
    if math.isfinite(world.water_level_m):
        _, v = cam.to_px(0.0, world.water_level_m)
        air = image if world.water_span_m else np.asarray(environment("earth").wall,
                                                          np.float32) * 0.97
        outside = rows < v * SUPERSAMPLE
        band = np.abs(rows - v * SUPERSAMPLE) < 2 * SUPERSAMPLE
        if world.water_span_m:
            u0, _ = cam.to_px(world.water_span_m[0], 0.0)
            u1, _ = cam.to_px(world.water_span_m[1], 0.0)
            across = (cols < u0 * SUPERSAMPLE) | (cols > u1 * SUPERSAMPLE)
            outside, band = outside | across, band & ~across
            _, floor_v = cam.to_px(0.0, 0.0)
            outside = outside | (rows > floor_v * SUPERSAMPLE)
        water = np.where(outside[..., None], air, water)
        water = np.where(band[..., None], np.asarray((210, 235, 245), np.float32), water)
    return water


def _moon(world: World, cam: Camera, w: int, h: int) -> np.ndarray:
    """A black sky with fixed stars (static points, far fewer than would read as motion)."""
    sky = np.zeros((h, w, 3), np.float32) + np.asarray(environment("moon").wall, np.float32)
    rng = np.random.default_rng(11)
    ys, xs = rng.integers(0, h, 160), rng.integers(0, w, 160)
    sky[ys, xs] = rng.uniform(90, 190, (160, 1))
    return sky


def _station(world: World, cam: Camera, w: int, h: int) -> np.ndarray:
    """Padded wall panels of a space-station module in a grid."""
    image = _plain(world, cam, w, h)
    cell = int(0.55 * cam.px_per_m * SUPERSAMPLE) or 1
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    seams = ((rows % cell) < SUPERSAMPLE * 2) | ((cols % cell) < SUPERSAMPLE * 2)
    return np.where(seams[..., None], image * 0.9, image)


def _felt(world: World, cam: Camera, w: int, h: int) -> np.ndarray:
    """Billiard cloth seen from above: green, a faint nap and a lighter centre under the lamp."""
    rows = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    cols = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    lamp = 1.08 - 0.16 * (rows**2 + 0.6 * cols**2)
    felt = np.asarray((34, 120, 66), np.float32) * lamp[..., None]
    return felt + _mottle(h, w, 5, 20, 2.5)


BACKGROUNDS: dict[str, Background] = {"moon": _moon, "space_station": _station, "felt": _felt}
