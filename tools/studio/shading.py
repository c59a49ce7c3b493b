"""How a ball looks: per-pixel shading of a sphere by finish (matte, glossy, metal, felt).

Inputs are pixel offsets from the centre in radii (y up); the light comes from the upper left
and front. Metal reflects a bright-above / dark-below room instead of diffusing, which is what
makes steel read as steel next to rubber.
"""

from __future__ import annotations

import numpy as np

from tools.studio.materials import RGB, Material

LIGHT = np.array([-0.45, 0.6, 0.66], dtype=np.float32) / np.linalg.norm([-0.45, 0.6, 0.66])
HALF = (LIGHT + np.array([0.0, 0.0, 1.0], np.float32)) / np.linalg.norm([*LIGHT, 0.0, 0.0, 1.0])
SPECULAR = {"matte": (0.18, 6.0), "felt": (0.06, 4.0), "glossy": (0.75, 60.0), "metal": (0.9, 80.0)}


def shade_ball(
    dx: np.ndarray, dy: np.ndarray, radius_px: float, color: RGB, mat: Material, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """Returns (RGB float colour per pixel, coverage in [0, 1]) for a ball patch."""
    d = np.hypot(dx, dy)
    cover = np.clip((1.0 - d) * radius_px + 0.5, 0.0, 1.0)
    nz = np.sqrt(np.clip(1.0 - d * d, 0.0, 1.0))
    base = np.asarray(color, dtype=np.float32)
    if mat.finish == "metal":
        rgb = _metal(dy, nz, base)
    else:
        lambert = np.clip(dx * LIGHT[0] + dy * LIGHT[1] + nz * LIGHT[2], 0.0, 1.0)
        rgb = base * (0.32 + 0.72 * lambert)[..., None]
        if mat.finish != "glossy":
            rgb = rgb * _seam(dx, dy, angle, radius_px)[..., None]
    strength, power = SPECULAR[mat.finish]
    spec = np.clip(dx * HALF[0] + dy * HALF[1] + nz * HALF[2], 0.0, 1.0) ** power
    rgb = rgb + (255.0 * strength * spec)[..., None]
    return np.clip(rgb, 0.0, 255.0), cover


def _metal(dy: np.ndarray, nz: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Reflects a room: bright ceiling above the horizon, a dark floor below, a crisp line."""
    reflected_up = 2.0 * nz * dy  # y of the view ray mirrored about the normal
    sky = np.clip(0.55 + 0.35 * reflected_up, 0.0, 1.0)
    ground = 0.28 + 0.1 * np.clip(-reflected_up, 0.0, 1.0)
    k = np.where(reflected_up > -0.1, sky, ground) * (0.7 + 0.3 * nz)
    return base * k[..., None]


def _seam(dx: np.ndarray, dy: np.ndarray, angle: float, radius_px: float) -> np.ndarray:
    """A faint band through the centre that turns with the ball, so rolling is visible."""
    dist = np.abs(-np.sin(angle) * dx + np.cos(angle) * dy) * radius_px
    width = max(1.0, 0.08 * radius_px)
    return 1.0 - 0.22 * np.clip(width - dist + 0.5, 0.0, 1.0)


def shade_block(
    lx: np.ndarray, ly: np.ndarray, half: tuple[float, float], color: RGB, mat: Material
) -> tuple[np.ndarray, np.ndarray]:
    """Returns (RGB per pixel, coverage) for a box, from pixel offsets in its own frame (y up).

    Coverage is the distance to the nearest side clipped to one pixel (anti-aliased, exact on the
    sides, close at corners). A bevel lights the upper and left edges and darkens the others, and
    the face carries its material: wood grain running along the long side (it turns with the
    body, so rotation reads), a brushed band on metal, a highlight on gloss.
    """
    hw, hh = half
    edge = np.minimum(hw - np.abs(lx), hh - np.abs(ly))
    cover = np.clip(edge + 0.5, 0.0, 1.0)
    base = np.asarray(color, dtype=np.float32)
    light = 0.86 + 0.2 * (ly / max(hh, 1.0))
    bevel = max(1.5, 0.1 * min(hw, hh))
    rim = np.clip(1.0 - edge / bevel, 0.0, 1.0)
    near_lit = np.minimum(hh - ly, hw + lx) <= np.minimum(hh + ly, hw - lx)
    lit_side = np.where(near_lit, 1.0, -0.6)
    k = light + 0.22 * rim * lit_side
    along, across = (lx, ly) if hw >= hh else (ly, lx)
    face = FACE.get(mat.name) or FACE.get(mat.finish, _flat)
    k = k * face(along, across, max(hw, hh), min(hw, hh))
    rgb = base * k[..., None]
    if mat.finish in ("glossy", "metal"):
        glint = np.exp(-(((lx + 0.45 * hw) / (0.35 * hw)) ** 2 + ((ly - 0.55 * hh) / (0.25 * hh))
                         ** 2))
        rgb = rgb + (90.0 * SPECULAR[mat.finish][0] * glint)[..., None]
    return np.clip(rgb, 0.0, 255.0), cover


def _grain(along: np.ndarray, across: np.ndarray, long_px: float, short_px: float) -> np.ndarray:
    wave = np.sin(across * (9.0 / max(short_px, 1.0)) + 2.2 * np.sin(along * 3.0 / long_px))
    return 1.0 + 0.045 * wave + 0.02 * np.sin(across * 1.7 + along * 0.05)


def _brushed(along: np.ndarray, across: np.ndarray, long_px: float, short_px: float) -> np.ndarray:
    band = np.exp(-((across / max(short_px, 1.0) - 0.25) ** 2) * 18.0)
    return 0.82 + 0.35 * band + 0.02 * np.sin(across * 2.3)


def _flat(along: np.ndarray, across: np.ndarray, long_px: float, short_px: float) -> np.ndarray:
    return np.ones_like(along)


# Faces by material name first (wood shows grain), then by finish.
FACE = {"wood": _grain, "cork": _grain, "table_wood": _grain, "metal": _brushed}
