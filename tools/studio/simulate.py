"""The physics engine: a pymunk simulation of a `World`, sampled at a fine fixed step.

Balls are solid spheres (moment 2/5 m r², so they roll down an incline at 5/7 g sinθ, not the
disc's 2/3), and a small rolling resistance (decelerating by c_rr times the normal acceleration)
lets them come to rest as real balls do. Blocks are boxes with the plate moment m(w²+h²)/12.
Links become pymunk constraints. A fluid acts through each body's velocity update (buoyancy with
the sphere's added mass, quadratic drag), and a top-down table through a constant rolling
deceleration. Stepping is fixed and single-threaded, so a world always gives the same trajectory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pymunk

from tools.schema import SceneSpec
from tools.studio.bodies import (
    Ball,
    Block,
    Link,
    World,
    frontal_area_m2,
    half_height_m,
    mass_kg,
    volume_m3,
)
from tools.studio.compose import gravity
from tools.studio.environments import environment
from tools.studio.events import ContactLog, Event, detect_events
from tools.studio.materials import material
from tools.studio.stages import compose

SIM_DT = 1.0 / 1000.0
BALL, BLOCK = 1, 2  # pymunk collision types of moving shapes
BALL_BALL_FRICTION = 0.05  # two spheres touch at a point and barely grip each other
VelocityFunc = Callable[[pymunk.Body, Any, float, float], None]


@dataclass(frozen=True)
class Pose:
    """A body's state at one instant: centre (m), angle (rad, counter-clockwise), velocity (m/s)."""

    x: float
    y: float
    angle: float
    vx: float = 0.0
    vy: float = 0.0


@dataclass(frozen=True)
class BodyTrack:
    """One body's sampled trajectory; arrays share the time axis `t`."""

    name: str
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    vx: np.ndarray
    vy: np.ndarray

    def pose_at(self, t: float) -> Pose:
        """Linear interpolation between samples; times outside the run hold the end poses."""
        return Pose(*(float(np.interp(t, self.t, a)) for a in
                      (self.x, self.y, self.angle, self.vx, self.vy)))


@dataclass(frozen=True)
class Simulation:
    """A simulated world: per-body tracks and the events found in them, in time order."""

    world: World
    dt: float
    tracks: dict[str, BodyTrack]
    events: list[Event] = field(default_factory=list)

    def poses_at(self, t: float) -> dict[str, Pose]:
        return {name: track.pose_at(t) for name, track in self.tracks.items()}


def simulate(world: World, dt: float = SIM_DT) -> Simulation:
    """Runs the world for its duration and returns the tracks and the detected events."""
    space, bodies, names = _build_space(world)
    steps = round(world.duration_s / dt) + 1
    data = np.zeros((len(bodies), steps, 5))
    log = ContactLog(steps, [b.name for b in world.bodies])
    pairs = list(zip(world.bodies, bodies, strict=True))
    for i in range(steps):
        for k, (spec, body) in enumerate(pairs):
            data[k, i] = (*body.position, body.angle, *body.velocity)
            touching = _contacts(body, names)
            if touching:
                log.record(i, spec.name, touching)
                if isinstance(spec, Ball):
                    _roll_resist(spec, body, touching, world.gravity_m_s2, dt)
        space.step(dt)
    times = np.arange(steps) * dt
    tracks = {spec.name: BodyTrack(spec.name, times, *(data[k, :, c].copy() for c in range(5)))
              for k, spec in enumerate(world.bodies)}
    return Simulation(world, dt, tracks, detect_events(world, tracks, log, dt))


@lru_cache(maxsize=48)
def _simulate_cached(spec_json: str) -> Simulation:
    spec = SceneSpec.model_validate_json(spec_json)
    sim = simulate(compose_world(spec))
    if sim.world.top_down or sim.world.environment == "space_station":
        return sim
    return replace(sim, world=replace(sim.world, view=motion_view(sim)))


def simulate_spec(spec: SceneSpec) -> Simulation:
    """Simulates a `SceneSpec`, cached by its full content so later rounds reuse the run.

    The returned world's view is fitted to the motion, so `sim.world` is `build_world(spec)`.
    """
    return _simulate_cached(json.dumps(spec.model_dump(mode="json"), sort_keys=True))


def compose_world(spec: SceneSpec) -> World:
    """The spec's bodies, fixtures and links in its environment, with a provisional view."""
    parts = compose(spec)
    env = environment(spec.environment)
    extra = {k: v for k, v in parts.extra if v is not None}
    top_down = bool(extra.pop("top_down", False))
    fluid = {"fluid_density_kg_m3": env.fluid_density_kg_m3,
             "drag_coefficient": env.drag_coefficient} | {
        k: extra.pop(k) for k in ("fluid_density_kg_m3", "drag_coefficient") if k in extra}
    return World(
        scene=_label(spec),
        environment=spec.environment,
        gravity_m_s2=0.0 if top_down else gravity(spec),
        damping=env.damping,
        balls=parts.balls,
        surfaces=parts.surfaces,
        view=parts.view,
        duration_s=spec.duration_s,
        blocks=parts.blocks,
        links=parts.links,
        top_down=top_down,
        **({} if top_down else fluid),
        **extra,
    )


def _label(spec: SceneSpec) -> str:
    """A short name for the scene: its groups and what is done to them."""
    return "; ".join(f"{b.count} {b.name} {b.action}" if b.count > 1 else f"{b.name} {b.action}"
                     for b in spec.bodies)


VIEW_MARGIN = 0.08
SHOWN_KINDS = ("table", "ramp", "step", "bowl", "tank", "fulcrum")


def motion_view(sim: Simulation) -> tuple[float, float, float, float]:
    """Everything that moves, where it goes, and the fixtures it uses, with a margin; the floor
    line kept in sight. Scenery that nothing reaches (a distant backstop) is left out."""
    xs: list[float] = []
    ys: list[float] = []
    for body in sim.world.bodies:
        track = sim.tracks[body.name]
        reach = body.radius_m if isinstance(body, Ball) else 0.5 * math.hypot(body.width_m,
                                                                              body.height_m)
        xs += [float(track.x.min()) - reach, float(track.x.max()) + reach]
        ys += [float(track.y.min()) - reach, float(track.y.max()) + reach]
    for link in sim.world.links:
        xs.append(link.anchor[0])
        ys.append(link.anchor[1] + 0.08)
    for surface in sim.world.surfaces:
        if surface.kind in SHOWN_KINDS:
            xs += [p[0] for p in surface.polygon]
            ys += [p[1] for p in surface.polygon]
    x0, x1, y0, y1 = min(xs), max(xs), min(0.0, min(ys)), max(ys)
    w, h = max(x1 - x0, 0.6), max(y1 - y0, 0.4)
    return (x0 - VIEW_MARGIN * w, x1 + VIEW_MARGIN * w, y0 - 0.12 * h - 0.05,
            y1 + 1.5 * VIEW_MARGIN * h)


def _build_space(world: World) -> tuple[pymunk.Space, list[pymunk.Body], dict[int, str]]:
    """The pymunk space; `names` maps each shape's id to its surface or body name."""
    space = pymunk.Space()
    space.gravity = (0.0, -world.gravity_m_s2)
    space.damping = world.damping
    space.iterations = 40
    space.collision_slop = 1e-4  # the default 0.1 is tuned for pixels, not metres
    names: dict[int, str] = {}
    for surface in world.surfaces:
        wall = pymunk.Poly(space.static_body, list(surface.polygon))
        mat = material(surface.material)
        wall.elasticity, wall.friction = mat.restitution, mat.friction
        space.add(wall)
        names[id(wall)] = surface.name
    bodies: dict[str, pymunk.Body] = {}
    for spec in world.bodies:
        body, shape = _ball_body(spec) if isinstance(spec, Ball) else _block_body(spec)
        shape.collision_type = BALL if isinstance(spec, Ball) else BLOCK
        body.velocity_func = _velocity_func(world, spec)
        space.add(body, shape)
        names[id(shape)] = f"@{spec.name}"  # '@' marks a body, so events tell it from a surface
        bodies[spec.name] = body
    for link in world.links:
        space.add(_constraint(space, link, bodies))
    space.on_collision(BALL, BALL, begin=_ball_contact(world.contact_restitution))
    if world.contact_restitution is not None:
        e = world.contact_restitution
        space.on_collision(BLOCK, BLOCK, begin=lambda arb, *_: setattr(arb, "restitution", e))
    return space, list(bodies.values()), names


def _ball_contact(restitution: float | None) -> Callable[..., None]:
    """Ball-on-ball contacts: little friction, and the scene's idealised restitution if any."""
    def begin(arbiter: pymunk.Arbiter, *_: Any) -> None:
        arbiter.friction = BALL_BALL_FRICTION
        if restitution is not None:
            arbiter.restitution = restitution

    return begin


def _ball_body(ball: Ball) -> tuple[pymunk.Body, pymunk.Shape]:
    mat, mass = material(ball.material), mass_kg(ball)
    body = pymunk.Body(mass, 0.4 * mass * ball.radius_m**2)
    body.position = (ball.x, ball.y)
    body.velocity = (ball.vx, ball.vy)
    # A ball launched along a surface is rolling, not sliding.
    body.angular_velocity = -ball.vx / ball.radius_m
    shape = pymunk.Circle(body, ball.radius_m)
    shape.elasticity = mat.restitution if ball.restitution is None else ball.restitution
    shape.friction = mat.friction
    return body, shape


def _block_body(block: Block) -> tuple[pymunk.Body, pymunk.Shape]:
    mat, mass = material(block.material), mass_kg(block)
    w, h = block.width_m, block.height_m
    body = pymunk.Body(mass, mass * (w * w + h * h) / 12.0)
    body.position, body.angle = (block.x, block.y), block.angle
    body.velocity, body.angular_velocity = (block.vx, block.vy), block.spin
    shape: pymunk.Shape = pymunk.Poly.create_box(body, (w, h), radius=0.0)
    shape.elasticity = mat.restitution if block.restitution is None else block.restitution
    shape.friction = mat.friction
    return body, shape


def _constraint(space: pymunk.Space, link: Link, bodies: dict[str, pymunk.Body]) -> Any:
    body = bodies[link.body]
    if link.kind == "spring":
        return pymunk.DampedSpring(space.static_body, body, link.anchor, link.body_anchor,
                                   link.rest_length_m, link.stiffness_n_m, link.damping)
    if link.kind == "pivot":
        return pymunk.PivotJoint(space.static_body, body, link.anchor)
    return pymunk.PinJoint(space.static_body, body, link.anchor, link.body_anchor)


def _velocity_func(world: World, spec: Ball | Block) -> VelocityFunc:
    """The body's velocity update: plain gravity, plus a fluid or a table when the world has one.

    In a fluid the net weight (m − ρV)g accelerates the mass plus the fluid it drags along
    (added mass ½ρV, exact for a sphere), and drag ½ρC_dAv² decays the speed implicitly, which
    stays stable at any step.
    """
    rho, level, table = world.fluid_density_kg_m3, world.water_level_m, world.table_friction_m_s2
    span = world.water_span_m
    mass, vol, half = mass_kg(spec), volume_m3(spec), half_height_m(spec)
    area_cd = world.drag_coefficient * frontal_area_m2(spec)

    def update(body: pymunk.Body, gravity: Any, damping: float, dt: float) -> None:
        if rho <= 0.0:
            pymunk.Body.update_velocity(body, gravity, damping, dt)
            if table > 0.0:
                _decelerate(body, table * dt)
            return
        frac = min(1.0, max(0.0, (level - body.position.y + half) / (2 * half)))
        if span is not None and not span[0] <= body.position.x <= span[1]:
            frac = 0.0
        inertia = mass + 0.5 * rho * vol * frac
        scale = (mass - rho * vol * frac) / inertia
        pymunk.Body.update_velocity(body, (gravity[0] * scale, gravity[1] * scale), damping, dt)
        k = 0.5 * rho * area_cd * frac / inertia
        body.velocity = body.velocity / (1.0 + k * body.velocity.length * dt)
        body.angular_velocity /= 1.0 + 4.0 * frac * dt

    return update


def _decelerate(body: pymunk.Body, dv: float) -> None:
    """Slows a body by `dv` along its motion without reversing it (rolling on felt)."""
    speed = body.velocity.length
    body.velocity = body.velocity * (max(0.0, speed - dv) / speed) if speed > 0 else body.velocity
    body.angular_velocity = 0.0


def _contacts(body: pymunk.Body, names: dict[int, str]) -> dict[str, tuple[float, float]]:
    """Surfaces and bodies ('@name') the body touches now, each with the contact normal."""
    found: dict[str, tuple[float, float]] = {}

    def visit(arbiter: pymunk.Arbiter) -> None:
        a, b = arbiter.shapes
        other = b if a.body is body else a
        if id(other) in names and arbiter.contact_point_set.points:
            found[names[id(other)]] = (arbiter.normal.x, arbiter.normal.y)

    body.each_arbiter(visit)
    return found


def _roll_resist(
    ball: Ball,
    body: pymunk.Body,
    normals: dict[str, tuple[float, float]],
    gravity: float,
    dt: float,
) -> None:
    """Rolling resistance: slow a ball touching a surface by c_rr × (normal part of g)."""
    grounds = [n for name, n in normals.items() if not name.startswith("@")]
    speed = body.velocity.length
    if not grounds or speed <= 0.0:
        return
    n_y = max(abs(n[1]) for n in grounds)
    decel = material(ball.material).rolling_resistance * gravity * n_y
    if decel <= 0.0:
        return
    factor = max(0.0, speed - decel * dt) / speed
    body.velocity = body.velocity * factor
    body.angular_velocity *= factor

