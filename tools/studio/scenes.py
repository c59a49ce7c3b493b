"""The scene registry: every phenomenon the studio simulates, as one `SceneKind` entry each.

An entry holds the scene's defaults (what `SceneSpec.params` may override), its builder (in
`builders.py`), its phenomena and law ids (from `laws.json`), the words the planner recognises it
by, which numbers in a prompt set which parameter, and the template of its generator prompt.
Entries are listed most specific first: the planner takes the first whose words match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.errors import BadInputError
from tools.schema import SceneSpec
from tools.studio import builders as b
from tools.studio.bodies import Ball, Block, Link, Point, Surface, World, box
from tools.studio.environments import environment

__all__ = ["SCENES", "Ball", "Block", "Link", "Point", "SceneKind", "Surface", "World", "box",
           "build_world", "scene_kind", "scene_params"]

Builder = Callable[[dict[str, Any], float], b.Parts]
# "marble" alone is left out: a marble floor is not a ball.
BALLS = ("ball", "balls", "sphere", "spheres", "a marble", "the marble", "glass marble",
         "marble rolls", "marbles", "orb", "basketball", "football", "baseball", "softball",
         "volleyball")
BLOCKS = ("box", "boxes", "block", "blocks", "crate", "crates", "brick", "bricks", "cube",
          "cubes", "book", "books")


@dataclass(frozen=True)
class SceneKind:
    """A registry entry (see the module docstring). `needs`: the prompt must also say one of
    these; `reads`: prompt quantity (height, count, angle, speed, length) → parameter name."""

    name: str
    defaults: dict[str, Any]
    build: Builder
    phenomena: tuple[str, ...]
    laws: tuple[str, ...]
    prompt: str
    words: tuple[str, ...]
    needs: tuple[str, ...] = ()
    reads: dict[str, str] = field(default_factory=dict)
    environment: str = "earth"
    max_count: int = 1
    camera: str = "Side view"


_COMMON = {"material": "rubber", "color": None, "radius_m": 0.08, "duration_s": 4.0}
_MULTI = {"materials": None, "colors": None}


def _entry(name: str, defaults: dict[str, Any], build: Builder, **kw: Any) -> SceneKind:
    return SceneKind(name, {**_COMMON, **defaults}, build, **kw)


SCENES: dict[str, SceneKind] = {k.name: k for k in (
    _entry("newtons_cradle",
           {**_MULTI, "material": "steel", "radius_m": 0.05, "count": 5, "length_m": 0.6,
            "lift_deg": 35.0, "lifted": 1},
           b.build_cradle, phenomena=("Newton's cradle", "conservation of momentum",
                                      "elastic collision", "pendulum"),
           laws=("momentum_conservation", "elastic_collision", "energy_conservation",
                 "pendulum_period"),
           prompt="a Newton's cradle of {count} {material} balls: the end ball is lifted and "
           "released, strikes the row, and the ball at the far end swings out",
           words=("newton's cradle", "newtons cradle", "newton cradle", "cradle"),
           reads={"count": "count"}, max_count=8),
    _entry("billiard_break",
           {"material": "billiard", "radius_m": 0.0286, "rows": 4, "speed_m_s": 5.0,
            "felt_friction_m_s2": 0.25},
           b.build_break, phenomena=("billiard break", "collisions", "conservation of momentum",
                                     "rolling friction"),
           laws=("momentum_conservation", "elastic_collision", "rolling_friction"),
           prompt="seen from above, a white cue ball strikes a triangle rack of {rows} rows of "
           "billiard balls, which scatter across the green felt and slow to a stop",
           words=("billiard", "pool table", "snooker", "cue ball", "break shot", "pool break"),
           reads={"speed": "speed_m_s"}, camera="Top-down view"),
    _entry("domino_chain",
           {**_MULTI, "material": "wood", "count": 8, "spacing_m": 0.15, "domino_height_m": 0.24,
            "domino_thickness_m": 0.035, "tilt_deg": 15.0},
           b.build_dominoes, phenomena=("domino effect", "toppling", "chain reaction"),
           laws=("toppling", "energy_conservation", "rigid_body"),
           prompt="a row of {count} upright {material} dominoes; the first is tipped over and "
           "knocks down the next, one after another, until the whole line has fallen",
           words=("domino", "dominoes", "dominos", "chain reaction"),
           reads={"count": "count"}, max_count=20),
    _entry("tower_topple",
           {**_MULTI, "material": "wood", "count": 5, "lean_m": 0.06, "block_width_m": 0.2,
            "block_height_m": 0.12},
           b.build_tower, phenomena=("centre of mass", "toppling", "stacking"),
           laws=("center_of_mass", "toppling", "rigid_body", "free_fall"),
           prompt="a leaning tower of {count} {material} blocks stacked on the floor, each "
           "offset from the one below; its centre of mass lies beyond its base and it topples",
           words=("tower", "stack", "stacked", "jenga", "topple", "toppling", "leaning"),
           needs=(*BLOCKS, "tower", "jenga"), reads={"count": "count"}, max_count=10),
    _entry("seesaw",
           {"material": "wood", "plank_length_m": 2.0, "pivot_height_m": 0.35,
            "load_size_m": 0.16, "left_material": "steel", "right_material": "wood",
            "left_color": None, "right_color": None, "left_distance_m": 0.6,
            "right_distance_m": 0.8},
           b.build_seesaw, phenomena=("lever", "torque", "rotational equilibrium"),
           laws=("lever_torque", "rigid_body", "gravity_uniform"),
           prompt="a wooden seesaw on a fulcrum with a {left_material} block on the left and a "
           "{right_material} block on the right; the side with the larger torque goes down",
           words=("seesaw", "see-saw", "teeter", "lever", "fulcrum", "balance beam")),
    _entry("spring",
           {"material": "wood", "stiffness_n_m": 40.0, "block_size_m": 0.14,
            "rest_length_m": 0.5, "stretch_m": 0.15, "damping": 0.0},
           b.build_spring, phenomena=("simple harmonic motion", "Hooke's law", "oscillation"),
           laws=("hookes_law", "simple_harmonic_motion", "energy_conservation"),
           prompt="a {material} block hangs from a coiled spring; pulled down and released, it "
           "bobs up and down with a steady period",
           words=("spring", "springs", "bungee", "oscillat", "slinky", "hooke")),
    _entry("pendulum",
           {**_MULTI, "material": "steel", "radius_m": 0.07, "count": 1, "length_m": 1.0,
            "amplitude_deg": 20.0, "length_step": 0.0},
           b.build_pendulum, phenomena=("pendulum", "simple harmonic motion",
                                        "energy conservation"),
           laws=("pendulum_period", "energy_conservation", "gravity_uniform"),
           prompt="a pendulum: {ball} hanging on {length_m:g} m strings, released from "
           "{amplitude_deg:g} degrees and swinging back and forth",
           words=("pendulum", "pendulums", "swing", "swings", "swinging", "on a string"),
           needs=(*BALLS, "pendulum", "pendulums", "bob", "weight", "metronome"),
           reads={"count": "count", "length": "length_m", "angle": "amplitude_deg"}, max_count=6),
    _entry("buoyancy",
           {**_MULTI, "water_level_m": 1.6, "start_height_m": 0.8, "radius_m": 0.09,
            "materials": ["rubber", "wood"]},
           b.build_buoyancy, phenomena=("buoyancy", "drag", "terminal velocity"),
           laws=("archimedes", "buoyancy_sink_float", "fluid_drag", "terminal_velocity"),
           prompt="in a tank of water, {balls} are released; the dense one sinks slowly to the "
           "bottom and the light one rises and floats at the surface",
           words=("sink", "sinks", "sinking", "float", "floats", "floating", "buoyan"),
           needs=BALLS, environment="underwater", max_count=4),
    _entry("drift",
           {"material": "plastic", "count": 2, "speed_m_s": 0.5, "radius_m": 0.1},
           b.build_drift, phenomena=("inertia", "Newton's first law", "weightlessness"),
           laws=("newton_first_law", "momentum_conservation", "weightlessness"),
           prompt="inside a space station module, a {material} ball and a box float "
           "weightlessly, each drifting in a straight line at constant speed",
           words=("drift", "drifts", "floating", "floats", "push", "pushed", "weightless",
                  "zero gravity", "zero-g", "space station"),
           needs=BALLS + BLOCKS, environment="space_station",
           reads={"speed": "speed_m_s", "count": "count"},
           max_count=2),
    _entry("collision",
           {"material": "billiard", "target_material": None, "speed_m_s": 1.5, "gap_m": 0.8,
            "target_speed_ratio": 0.0, "elastic": True, "perfectly_inelastic": False},
           b.build_collision, phenomena=("collision", "conservation of momentum"),
           laws=("momentum_conservation", "elastic_collision", "inelastic_collision"),
           prompt="{ball} rolls along the floor into a second ball at rest; they collide "
           "head-on and the momentum passes to the second ball",
           words=("collide", "collides", "collision", "colliding", "crash into", "crashes into",
                  "head-on", "rolls into", "knocks into"),
           needs=BALLS, reads={"speed": "speed_m_s"}),
    _entry("bounce_compare",
           {"height_m": 1.5, "spacing_m": 0.8, "left_material": "rubber",
            "right_material": "steel", "left_color": None, "right_color": None},
           b.build_compare, phenomena=("free fall", "bounce", "coefficient of restitution"),
           laws=("free_fall", "restitution", "equivalence_principle"),
           prompt="{left} and {right} are dropped side by side from {height_m:g} m onto a "
           "wooden floor; they land together and the {bouncier} ball bounces "
           "higher than the {deader} ball",
           words=("side by side", "compare", "versus", " vs ", " vs.", "next to each other",
                  "two balls", "both balls"),
           reads={"height": "height_m"}),
    _entry("incline_slide",
           {"material": "wood", "angle_deg": 36.0, "ramp_length_m": 1.6, "floor_run_m": 2.0,
            "block_width_m": 0.2, "block_height_m": 0.12},
           b.build_slide, phenomena=("sliding friction", "inclined plane"),
           laws=("kinetic_friction", "static_friction", "inclined_plane"),
           prompt="a {material} block slides down a wooden ramp inclined at {angle_deg:g} "
           "degrees, speeding up steadily, then slides along the floor and stops",
           words=("slide", "slides", "sliding", "ramp", "incline", "slope", "inclined"),
           needs=BLOCKS, reads={"angle": "angle_deg", "length": "ramp_length_m"}),
    _entry("table_roll_off",
           {"table_height_m": 0.8, "table_length_m": 1.2, "start_from_edge_m": 0.5,
            "speed_m_s": 0.9, "floor_run_m": 2.3},
           b.build_table, phenomena=("rolling", "projectile motion", "bounce", "rolling friction"),
           laws=("projectile_motion", "restitution", "rolling_friction", "free_fall"),
           prompt="{ball} rolls along a wooden table {table_height_m:g} m high, rolls off the "
           "edge, falls in a parabolic arc, bounces on the floor and rolls on",
           words=("off the table", "off a table", "off the edge", "rolls off", "rolling off",
                  "off a desk", "off the desk", "off a ledge", "off the counter", "off a shelf",
                  "along a table", "across a table", "across the table", "along the table"),
           needs=BALLS, reads={"height": "table_height_m", "speed": "speed_m_s"}),
    _entry("ramp_roll",
           {"angle_deg": 25.0, "ramp_length_m": 1.6, "floor_run_m": 2.3},
           b.build_ramp, phenomena=("rolling", "inclined plane", "rolling friction"),
           laws=("rolling_incline", "inclined_plane", "rolling_friction"),
           prompt="{ball} rolls from rest down a wooden ramp inclined at {angle_deg:g} degrees, "
           "speeding up steadily, then rolls along the floor",
           words=("ramp", "incline", "slope", "inclined plane", "slide", "hill", "rolls down"),
           needs=BALLS, reads={"angle": "angle_deg", "length": "ramp_length_m"}),
    _entry("throw",
           {"speed_m_s": 4.0, "angle_deg": 50.0, "launch_height_m": 1.0},
           b.build_throw, phenomena=("projectile motion", "free fall", "bounce"),
           laws=("projectile_motion", "free_fall", "restitution"),
           prompt="{ball} is thrown at {speed_m_s:g} m/s, {angle_deg:g} degrees above the "
           "horizontal; it flies in a parabola, lands and bounces",
           words=("throw", "thrown", "throws", "toss", "tossed", "launch", "launched", "kick",
                  "kicked", "projectile", "lob"),
           needs=BALLS,
           reads={"speed": "speed_m_s", "angle": "angle_deg", "height": "launch_height_m"}),
    _entry("drop",
           {**_MULTI, "height_m": 1.5, "count": 1},
           b.build_drop, phenomena=("free fall", "bounce", "energy loss in collisions"),
           laws=("free_fall", "restitution", "equivalence_principle", "energy_dissipation"),
           prompt="{ball} dropped from {height_m:g} m above a wooden floor falls and "
           "bounces several times, each bounce lower than the last",
           words=("drop", "dropped", "falls", "falling", "fall ", "bounce", "bouncing", "bounces",
                  "released", "let go"),
           needs=BALLS, reads={"height": "height_m", "count": "count"}, max_count=6),
)}


def scene_params(spec: SceneSpec) -> dict[str, Any]:
    """The scene's defaults overlaid with the spec's params, rejecting names the scene lacks."""
    kind = scene_kind(spec.scene)
    unknown = sorted(set(spec.params) - set(kind.defaults) - {"reference"})
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
    """A `SceneSpec` as a `World`: gravity comes from the spec, the medium from its environment."""
    params = scene_params(spec)
    parts = scene_kind(spec.scene).build(params, spec.gravity_m_s2)
    env = environment(spec.environment)
    extra = {k: v for k, v in parts.extra if v is not None}
    top_down = bool(extra.get("top_down", False))
    return World(
        scene=spec.scene,
        environment=spec.environment,
        gravity_m_s2=0.0 if top_down else spec.gravity_m_s2,
        damping=env.damping,
        balls=parts.balls,
        surfaces=parts.surfaces,
        view=parts.view,
        duration_s=float(params["duration_s"]),
        blocks=parts.blocks,
        links=parts.links,
        fluid_density_kg_m3=0.0 if top_down else env.fluid_density_kg_m3,
        drag_coefficient=env.drag_coefficient,
        **extra,
    )
