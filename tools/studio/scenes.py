"""Scene builders: a `SceneSpec` becomes a `World` of balls and static surfaces in SI units.

World coordinates are metres with x to the right, y up and the floor's top at y = 0. Each scene is
a `SceneKind` in the `SCENES` registry: its defaults (what `SceneSpec.params` may override), a
builder, and the words the planner uses to describe it, so a new phenomenon is one new entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.errors import BadInputError
from tools.schema import SceneSpec
from tools.studio.environments import environment
from tools.studio.materials import RGB, material

Point = tuple[float, float]


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


@dataclass(frozen=True)
class Surface:
    """A static convex polygon (counter-clockwise) balls collide with; `kind` picks its look."""

    name: str
    kind: str
    polygon: tuple[Point, ...]
    material: str


@dataclass(frozen=True)
class World:
    """Everything the simulator and the renderer need; `view` is the (x0, x1, y0, y1) to frame."""

    scene: str
    environment: str
    gravity_m_s2: float
    damping: float
    balls: tuple[Ball, ...]
    surfaces: tuple[Surface, ...]
    view: tuple[float, float, float, float]
    duration_s: float


Builder = Callable[
    [dict[str, Any]], tuple[tuple[Ball, ...], tuple[Surface, ...], tuple[float, ...]]
]


@dataclass(frozen=True)
class SceneKind:
    """A registry entry: defaults, builder and the planner's vocabulary for the scene."""

    name: str
    defaults: dict[str, Any]
    build: Builder
    phenomena: tuple[str, ...]
    prompt: str
    ball_count: int = 1


def box(x0: float, y0: float, x1: float, y1: float) -> tuple[Point, ...]:
    """An axis-aligned rectangle, counter-clockwise."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _floor(x0: float, x1: float) -> Surface:
    return Surface("floor", "floor", box(x0 - 5.0, -1.0, x1 + 5.0, 0.0), "floor_wood")


def _ball(p: dict[str, Any], name: str, x: float, y_bottom: float, vx: float = 0.0) -> Ball:
    """A ball from params `<name>_material`, `<name>_color`, `radius_m` (or `material`/`color`)."""
    mat = material(str(p.get(f"{name}_material", p.get("material", "rubber"))))
    color = p.get(f"{name}_color", p.get("color")) or mat.color
    r = float(p["radius_m"])
    return Ball(name, r, mat.name, _rgb(color), x, y_bottom + r, vx, 0.0)


def _rgb(value: Any) -> RGB:
    r, g, b = (int(c) for c in value)
    return (r, g, b)


def _build_drop(
    p: dict[str, Any],
) -> tuple[tuple[Ball, ...], tuple[Surface, ...], tuple[float, ...]]:
    h, r = float(p["height_m"]), float(p["radius_m"])
    top = h + 2 * r
    half = max(0.9, 0.95 * top)
    view = (-half, half, -0.12 * (top + 0.3), 1.08 * top + 0.15)
    return (_ball(p, "ball", 0.0, h),), (_floor(-half, half),), view


def _build_compare(
    p: dict[str, Any],
) -> tuple[tuple[Ball, ...], tuple[Surface, ...], tuple[float, ...]]:
    h, r, gap = float(p["height_m"]), float(p["radius_m"]), float(p["spacing_m"])
    top = h + 2 * r
    half = max(0.9, 0.95 * top, gap)
    view = (-half, half, -0.12 * (top + 0.3), 1.08 * top + 0.15)
    balls = (_ball(p, "left", -gap / 2, h), _ball(p, "right", gap / 2, h))
    return balls, (_floor(-half, half),), view


def _build_table(
    p: dict[str, Any],
) -> tuple[tuple[Ball, ...], tuple[Surface, ...], tuple[float, ...]]:
    h, length, run = float(p["table_height_m"]), float(p["table_length_m"]), float(p["floor_run_m"])
    wall_x = run
    table = Surface("table", "table", box(-length, h - 0.05, 0.0, h), "table_wood")
    wall = Surface("wall", "wall", box(wall_x, 0.0, wall_x + 0.3, h + 2.0), "wall_paint")
    ball = _ball(p, "ball", -float(p["start_from_edge_m"]), h, float(p["speed_m_s"]))
    x0 = -float(p["start_from_edge_m"]) - 0.35
    view = (x0, wall_x + 0.08, -0.1 * (h + 0.6), h + 0.55)
    return (ball,), (_floor(x0, wall_x), table, wall), view


def _build_ramp(
    p: dict[str, Any],
) -> tuple[tuple[Ball, ...], tuple[Surface, ...], tuple[float, ...]]:
    theta = math.radians(float(p["angle_deg"]))
    length, r, run = float(p["ramp_length_m"]), float(p["radius_m"]), float(p["floor_run_m"])
    base, rise = length * math.cos(theta), length * math.sin(theta)
    ramp = Surface("ramp", "ramp", ((-base, 0.0), (0.0, 0.0), (-base, rise)), "table_wood")
    wall = Surface("wall", "wall", box(run, 0.0, run + 0.3, rise + 2.0), "wall_paint")
    # Start a little down the slope so the ball rests on the face, not on the top corner.
    s0 = 0.08 * length
    cx = -base + s0 * math.cos(theta) + r * math.sin(theta)
    cy = rise - s0 * math.sin(theta) + r * math.cos(theta)
    mat = material(str(p.get("material", "rubber")))
    ball = Ball("ball", r, mat.name, _rgb(p.get("color") or mat.color), cx, cy)
    view = (-base - 0.2, run + 0.08, -0.1 * (rise + 0.6), rise + 0.45)
    return (ball,), (_floor(-base - 0.2, run), ramp, wall), view


_COMMON = {"material": "rubber", "color": None, "radius_m": 0.08, "duration_s": 4.0}

SCENES: dict[str, SceneKind] = {
    k.name: k
    for k in (
        SceneKind(
            "drop",
            {**_COMMON, "height_m": 1.5},
            _build_drop,
            ("free fall", "bounce", "energy loss in collisions"),
            "{ball} is dropped from {height_m:g} m above a wooden floor, falls, "
            "bounces several times, each bounce lower than the last",
        ),
        SceneKind(
            "table_roll_off",
            {
                **_COMMON,
                "table_height_m": 0.8,
                "table_length_m": 1.2,
                "start_from_edge_m": 0.5,
                "speed_m_s": 0.9,
                "floor_run_m": 2.3,
            },
            _build_table,
            ("rolling", "projectile motion", "bounce", "rolling friction"),
            "{ball} rolls along a wooden table {table_height_m:g} m high, rolls off the "
            "edge, falls in a parabolic arc, bounces on the floor and rolls on",
        ),
        SceneKind(
            "ramp_roll",
            {**_COMMON, "angle_deg": 25.0, "ramp_length_m": 1.6, "floor_run_m": 2.3},
            _build_ramp,
            ("rolling", "inclined plane", "rolling friction"),
            "{ball} rolls from rest down a wooden ramp inclined at {angle_deg:g} degrees, "
            "speeding up steadily, then rolls along the floor",
        ),
        SceneKind(
            "bounce_compare",
            {
                **_COMMON,
                "height_m": 1.5,
                "spacing_m": 0.8,
                "left_material": "rubber",
                "right_material": "steel",
                "left_color": None,
                "right_color": None,
            },
            _build_compare,
            ("free fall", "bounce", "coefficient of restitution"),
            "{left} and {right} are dropped side by side from {height_m:g} m onto a "
            "wooden floor; they land together and the {left_material} ball bounces "
            "higher than the {right_material} ball",
            ball_count=2,
        ),
    )
}


def scene_params(spec: SceneSpec) -> dict[str, Any]:
    """The scene's defaults overlaid with the spec's params, rejecting names the scene lacks."""
    kind = scene_kind(spec.scene)
    unknown = sorted(set(spec.params) - set(kind.defaults))
    if unknown:
        raise BadInputError(
            f"scene {spec.scene!r} has no parameter {', '.join(unknown)}: "
            f"use {', '.join(sorted(kind.defaults))}"
        )
    return {**kind.defaults, **spec.params}


def scene_kind(name: str) -> SceneKind:
    """Looks a scene up by name, failing with the names that exist."""
    try:
        return SCENES[name]
    except KeyError:
        raise BadInputError(
            f"the studio has no scene {name!r}: choose one of {', '.join(sorted(SCENES))}"
        ) from None


def build_world(spec: SceneSpec) -> World:
    """A `SceneSpec` as a `World`: gravity comes from the spec, drag from its environment."""
    params = scene_params(spec)
    balls, surfaces, view = scene_kind(spec.scene).build(params)
    x0, x1, y0, y1 = view
    return World(
        scene=spec.scene,
        environment=spec.environment,
        gravity_m_s2=spec.gravity_m_s2,
        damping=environment(spec.environment).damping,
        balls=balls,
        surfaces=surfaces,
        view=(x0, x1, y0, y1),
        duration_s=float(params["duration_s"]),
    )
