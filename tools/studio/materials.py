"""The material table: how things bounce, grip and look.

Values are plausible textbook figures for a ball meeting a hard wooden floor. Restitution and
friction are stored per material and combined by product with the surface's, which is how pymunk
combines them, so a surface at 1.0 leaves the ball's own value unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tools.errors import BadInputError

RGB = tuple[int, int, int]
Finish = Literal["matte", "glossy", "metal", "felt"]


@dataclass(frozen=True)
class Material:
    """One entry of the table; `aliases` are the words a prompt may use for it."""

    name: str
    restitution: float
    friction: float
    density_kg_m3: float
    rolling_resistance: float
    color: RGB
    finish: Finish
    aliases: tuple[str, ...] = ()


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("rubber", 0.82, 0.9, 1100, 0.015, (214, 48, 49), "matte", ("rubber", "bouncy")),
        Material("steel", 0.55, 0.4, 7850, 0.004, (150, 156, 164), "metal",
                 ("steel", "metal", "iron", "ball bearing", "chrome")),
        Material("wood", 0.45, 0.6, 700, 0.02, (176, 122, 70), "matte", ("wood", "wooden")),
        Material("glass", 0.6, 0.35, 2500, 0.005, (120, 190, 220), "glossy",
                 ("glass", "marble")),
        Material("tennis", 0.73, 0.8, 400, 0.03, (206, 222, 52), "felt",
                 ("tennis ball", "tennis")),
        Material("plastic", 0.65, 0.5, 950, 0.015, (52, 120, 214), "glossy",
                 ("plastic", "ping pong", "ping-pong")),
        Material("clay", 0.1, 0.9, 1800, 0.08, (160, 100, 80), "matte", ("clay", "putty")),
        Material("bowling", 0.3, 0.3, 1320, 0.006, (40, 46, 120), "glossy",
                 ("bowling ball", "bowling")),
        Material("golf", 0.78, 0.6, 1150, 0.02, (244, 244, 240), "matte", ("golf ball", "golf")),
        Material("basketball", 0.76, 0.8, 90, 0.02, (226, 112, 40), "felt",
                 ("basketball",)),
        Material("billiard", 0.93, 0.2, 1700, 0.01, (236, 230, 214), "glossy",
                 ("billiard", "pool ball", "snooker", "cue ball")),
        Material("foam", 0.3, 0.8, 60, 0.05, (240, 220, 120), "matte", ("foam", "styrofoam")),
        Material("cork", 0.4, 0.7, 240, 0.03, (190, 150, 100), "matte", ("cork",)),
        Material("stone", 0.3, 0.7, 2600, 0.02, (128, 124, 118), "matte",
                 ("stone", "rock", "pebble")),
        Material("ice", 0.3, 0.04, 917, 0.002, (200, 232, 246), "glossy", ("ice", "icy")),
        Material("paper", 0.15, 0.5, 750, 0.05, (232, 226, 210), "matte",
                 ("paper", "cardboard", "paperback", "hardcover")),
        Material("brick", 0.2, 0.7, 1900, 0.03, (168, 72, 52), "matte", ("brick", "clay brick")),
        Material("fruit", 0.25, 0.7, 850, 0.04, (196, 40, 44), "glossy", ("fruit",)),
        Material("leather", 0.7, 0.7, 80, 0.025, (240, 240, 236), "matte",
                 ("leather", "soccer", "football")),
        Material("vinyl", 0.6, 0.6, 20, 0.03, (240, 90, 60), "glossy",
                 ("vinyl", "beach ball", "inflatable")),
        Material("ceramic", 0.1, 0.5, 2300, 0.03, (236, 232, 222), "glossy",
                 ("ceramic", "porcelain", "china")),
        Material("aluminium", 0.4, 0.4, 2700, 0.01, (196, 200, 206), "metal",
                 ("aluminium", "aluminum", "tin")),
        Material("brass", 0.4, 0.4, 8500, 0.005, (200, 160, 70), "metal",
                 ("brass", "copper", "bronze")),
        # Surfaces: restitution/friction act as multipliers on the ball's values.
        Material("floor_wood", 1.0, 1.0, 700, 0.0, (158, 128, 98), "matte", ()),
        Material("table_wood", 1.0, 1.0, 700, 0.0, (124, 84, 52), "matte", ()),
        Material("wall_paint", 0.9, 1.0, 1500, 0.0, (196, 190, 178), "matte", ()),
    )
}

BALL_MATERIALS: tuple[str, ...] = (
    "rubber", "steel", "wood", "glass", "tennis", "plastic", "clay", "bowling", "golf",
    "basketball", "billiard", "foam", "cork", "stone", "ice", "paper", "brick", "fruit",
    "leather", "vinyl", "ceramic", "aluminium", "brass",
)

COLORS: dict[str, RGB] = {
    "red": (214, 48, 49),
    "orange": (240, 130, 30),
    "yellow": (240, 200, 40),
    "green": (46, 160, 67),
    "blue": (40, 90, 210),
    "purple": (130, 60, 180),
    "pink": (232, 90, 160),
    "black": (34, 34, 38),
    "white": (246, 246, 246),
    "grey": (120, 124, 130),
    "gray": (120, 124, 130),
    "brown": (130, 80, 40),
    "silver": (170, 176, 184),
    "gold": (212, 170, 60),
    "cyan": (40, 180, 200),
    "teal": (30, 140, 130),
}

# Colours handed out in turn to bodies a prompt does not colour, so several stay distinguishable.
PALETTE: tuple[RGB, ...] = (
    (214, 48, 49), (40, 90, 210), (240, 200, 40), (46, 160, 67), (130, 60, 180),
    (240, 130, 30), (232, 90, 160), (40, 180, 200),
)


def material(name: str) -> Material:
    """Looks a material up by name, failing with the names that exist."""
    try:
        return MATERIALS[name]
    except KeyError:
        known = ", ".join(sorted(MATERIALS))
        raise BadInputError(f"unknown material {name!r}: choose one of {known}") from None
