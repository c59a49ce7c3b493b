"""Synthetic clips with known motion for the kinematics judge's tests (numpy only).

Each clip is a ball drawn anti-aliased and shaded over a static background (plain, gradient or
noisy texture) with a floor and a soft shadow, so the judge meets what real renders contain.
Positions are arrays in full-resolution pixels; NaN means the ball is not drawn.
"""

from __future__ import annotations

import numpy as np


def background(width: int, height: int, kind: str, floor_y: int, seed: int = 0) -> np.ndarray:
    """A static backdrop: 'plain', 'gradient' or 'noise', with a floor below `floor_y`."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    if kind == "plain":
        image = np.broadcast_to(np.array([200.0, 205.0, 215.0]), (height, width, 3)).copy()
    elif kind == "gradient":
        image = (
            np.array([120.0, 160.0, 230.0]) * (1 - rows) + np.array([235.0, 225.0, 200.0]) * rows
        )
        image = np.broadcast_to(image, (height, width, 3)).copy()
    elif kind == "noise":
        coarse = rng.uniform(90, 200, size=(height // 8 + 2, width // 8 + 2, 3))
        image = np.kron(coarse, np.ones((8, 8, 1)))[:height, :width]
        image += rng.normal(0, 12, size=image.shape)
    else:
        raise ValueError(kind)
    image[floor_y:] = np.array([110.0, 95.0, 80.0]) + rng.normal(
        0, 3, size=(height - floor_y, width, 3)
    )
    return image


def draw_ball(
    image: np.ndarray, x: float, y: float, radius: float, colour: tuple[int, int, int]
) -> None:
    """Paints an anti-aliased ball lit from the upper left (in place)."""
    height, width = image.shape[:2]
    x0, x1 = max(0, int(x - radius - 2)), min(width, int(x + radius + 3))
    y0, y1 = max(0, int(y - radius - 2)), min(height, int(y + radius + 3))
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    dist = np.hypot(xx - x, yy - y)
    alpha = np.clip(radius + 0.5 - dist, 0.0, 1.0)[..., None]
    light = 1.0 - 0.35 * np.clip(((xx - x) + (yy - y)) / (2 * radius), -1, 1)[..., None]
    ball = np.clip(np.array(colour, dtype=float) * light, 0, 255)
    image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * (1 - alpha) + ball * alpha


def draw_shadow(
    image: np.ndarray, x: float, height_above: float, floor_y: int, radius: float
) -> None:
    """A soft elliptical shadow on the floor, fainter the higher the ball."""
    strength = 0.25 * np.exp(-max(height_above, 0.0) / (6 * radius))
    h, w = image.shape[:2]
    x0, x1 = max(0, int(x - 2 * radius)), min(w, int(x + 2 * radius))
    y0, y1 = floor_y, min(h, int(floor_y + radius * 0.6))
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    r = np.hypot((xx - x) / (1.6 * radius), (yy - floor_y - 0.2 * radius) / (0.35 * radius))
    shade = 1.0 - strength * np.clip(1.2 - r, 0, 1)[..., None]
    image[y0:y1, x0:x1] *= shade


def render(
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    radii: np.ndarray | None = None,
    others: list[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]] | None = None,
    shake: float = 0.0,
    width: int = 426,
    height: int = 240,
    radius: float = 10.0,
    colour: tuple[int, int, int] = (220, 40, 40),
    kind: str = "plain",
    floor_y: int | None = None,
    shadow: bool = True,
    noise: float = 1.5,
    seed: int = 0,
) -> np.ndarray:
    """Frames (T, H, W, 3) uint8 of one ball at the given centres over a static scene.

    `radii` varies the ball's radius per frame; `others` adds balls (xs, ys, colour) of the
    same radius; `shake` moves the whole camera by up to that many pixels per frame.
    """
    floor = floor_y if floor_y is not None else int(height * 0.85)
    base = background(width, height, kind, floor, seed)
    rng = np.random.default_rng(seed + 1)
    frames = np.empty((len(xs), height, width, 3), dtype=np.uint8)
    balls = [(xs, ys, colour), *(others or [])]
    for i in range(len(xs)):
        image = base.copy()
        size = radius if radii is None else float(radii[i])
        for bx, by, tint in balls:
            x, y = bx[i], by[i]
            if not np.isnan(x):
                if shadow:
                    draw_shadow(image, x, floor - (y + size), floor, size)
                draw_ball(image, x, y, size, tint)
        if shake:
            dy, dx = np.round(rng.uniform(-shake, shake, 2)).astype(int)
            image = np.roll(image, (dy, dx), axis=(0, 1))
        if noise:
            image += rng.normal(0, noise, size=image.shape)
        frames[i] = np.clip(image, 0, 255).astype(np.uint8)
    return frames


def bouncing_heights(
    t: np.ndarray, drop_px: float, g_px: float, restitution: float, gain: bool = False
) -> np.ndarray:
    """Height above the floor of a ball dropped from rest, bouncing (exact, event by event).

    With `gain`, each bounce returns faster than it arrived: an energy violation.
    """
    heights = np.zeros_like(t)
    t_start, h0, v0 = 0.0, drop_px, 0.0  # v0 upward speed at t_start
    factor = (1.0 / restitution) if gain else restitution
    while t_start < t[-1]:
        # Solve h0 + v0 s - g s^2 / 2 = 0 for the landing time s.
        s_land = (v0 + np.sqrt(v0 * v0 + 2 * g_px * h0)) / g_px
        inside = (t >= t_start) & (t < t_start + s_land)
        s = t[inside] - t_start
        heights[inside] = h0 + v0 * s - 0.5 * g_px * s * s
        v_impact = g_px * s_land - v0
        t_start, h0, v0 = t_start + s_land, 0.0, v_impact * factor
        if v0 < 20.0:
            break
    return np.maximum(heights, 0.0)


def ball_ys(heights: np.ndarray, floor_y: int, radius: float) -> np.ndarray:
    """Centre y (image rows, downward) for heights of the ball's bottom above the floor."""
    return floor_y - radius - heights


def keyframe_interpolate(
    t: np.ndarray, values: np.ndarray, keyframe_times: np.ndarray
) -> np.ndarray:
    """What a keyframe-interpolating generator draws: straight lines between keyframes."""
    keyed = np.interp(keyframe_times, t, values)
    return np.interp(t, keyframe_times, keyed)
