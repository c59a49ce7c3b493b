"""What a studio world is made of: balls, blocks, static surfaces and the links between them.

World coordinates are metres with x to the right, y up and the floor's top at y = 0. Masses come
from the material's density times a 3D volume (a sphere for a ball, `width × height × depth` for a
block), so buoyancy and collisions between different materials use real mass ratios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from tools.studio.materials import RGB, material

Point = tuple[float, float]
LinkKind = Literal["string", "spring", "pivot"]


@dataclass(frozen=True)
class Ball:
    """A solid sphere seen from the side; (x, y) is its centre at release."""

    name: str
    radius_m: float
    material: str
    color: RGB
    x: float
    y: float
    vx: float = 0.0
    vy: float = 0.0
    restitution: float | None = None  # None: the material's


@dataclass(frozen=True)
class Block:
    """A rigid box (domino, crate, plank, brick); (x, y) is its centre, `angle` anticlockwise."""

    name: str
    width_m: float
    height_m: float
    material: str
    color: RGB
    x: float
    y: float
    angle: float = 0.0
    vx: float = 0.0
    vy: float = 0.0
    spin: float = 0.0
    depth_m: float = 0.1
    restitution: float | None = None  # None: the material's


@dataclass(frozen=True)
class Surface:
    """A static convex polygon (counter-clockwise) bodies collide with; `kind` picks its look."""

    name: str
    kind: str
    polygon: tuple[Point, ...]
    material: str


@dataclass(frozen=True)
class Link:
    """A constraint from a body to a fixed world point (`anchor`) or to another body.

    `string` keeps the distance fixed (a pendulum's taut string), `spring` is a Hookean spring of
    `stiffness_n_m` and `rest_length_m`, `pivot` pins the body to the anchor so it can only turn
    (a seesaw on its fulcrum). `body_anchor` is the attachment point in the body's own frame.
    """

    name: str
    kind: LinkKind
    body: str
    anchor: Point
    body_anchor: Point = (0.0, 0.0)
    stiffness_n_m: float = 0.0
    rest_length_m: float = 0.0
    damping: float = 0.0


@dataclass(frozen=True)
class World:
    """Everything the simulator and the renderer need; `view` is the (x0, x1, y0, y1) to frame.

    The first eight fields are positional (evaluation code builds bare worlds of balls); the rest
    default to an ordinary room. `water_level_m` is where a fluid of `fluid_density_kg_m3` ends
    (infinite: the whole scene is under water), across `water_span_m` (x0, x1) when the water
    fills a container, everywhere when None. `top_down` worlds are seen from above: gravity
    acts into the table, showing only as `table_friction_m_s2`, the rolling deceleration.
    """

    scene: str
    environment: str
    gravity_m_s2: float
    damping: float
    balls: tuple[Ball, ...]
    surfaces: tuple[Surface, ...]
    view: tuple[float, float, float, float]
    duration_s: float
    blocks: tuple[Block, ...] = ()
    links: tuple[Link, ...] = ()
    fluid_density_kg_m3: float = 0.0
    drag_coefficient: float = 0.0
    water_level_m: float = math.inf
    top_down: bool = False
    table_friction_m_s2: float = 0.0
    contact_restitution: float | None = None
    water_span_m: tuple[float, float] | None = None

    @property
    def bodies(self) -> tuple[Ball | Block, ...]:
        """Every moving body, balls first (the order tracks and layouts use)."""
        return (*self.balls, *self.blocks)


def box(x0: float, y0: float, x1: float, y1: float) -> tuple[Point, ...]:
    """An axis-aligned rectangle, counter-clockwise."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def volume_m3(body: Ball | Block) -> float:
    """The body's 3D volume, which sets its mass and the water it displaces."""
    if isinstance(body, Ball):
        return 4.0 / 3.0 * math.pi * body.radius_m**3
    return body.width_m * body.height_m * body.depth_m


def mass_kg(body: Ball | Block) -> float:
    """Density of the body's material times its volume."""
    return material(body.material).density_kg_m3 * volume_m3(body)


def frontal_area_m2(body: Ball | Block) -> float:
    """Cross-section facing the flow, for quadratic drag (a block's mean of its two faces)."""
    if isinstance(body, Ball):
        return math.pi * body.radius_m**2
    return 0.5 * (body.width_m + body.height_m) * body.depth_m


def half_height_m(body: Ball | Block) -> float:
    """Half the body's vertical extent at rest, for submerged fractions and shadows."""
    return body.radius_m if isinstance(body, Ball) else 0.5 * body.height_m
