"""The physics engine: a pymunk simulation of a `World`, sampled at a fine fixed step.

Balls are solid spheres (moment 2/5 m r², so they roll down an incline at 5/7 g sinθ, not the
disc's 2/3), and a small rolling resistance (decelerating by c_rr times the normal acceleration)
lets them come to rest as real balls do. Stepping is fixed and single-threaded, so a world always
gives the same trajectory.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pymunk

from tools.schema import SceneSpec
from tools.studio.events import ContactLog, Event, detect_events
from tools.studio.materials import material
from tools.studio.scenes import Ball, World, build_world

SIM_DT = 1.0 / 1000.0


@dataclass(frozen=True)
class Pose:
    """A ball's state at one instant: centre (m), angle (rad, counter-clockwise), velocity (m/s)."""

    x: float
    y: float
    angle: float
    vx: float = 0.0
    vy: float = 0.0


@dataclass(frozen=True)
class BodyTrack:
    """One ball's sampled trajectory; arrays share the time axis `t`."""

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
    """A simulated world: per-ball tracks and the events found in them, in time order."""

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
    data = {b.name: np.zeros((steps, 5)) for b in world.balls}
    log = ContactLog(steps, [b.name for b in world.balls])
    for i in range(steps):
        for ball, body in zip(world.balls, bodies, strict=True):
            data[ball.name][i] = (*body.position, body.angle, *body.velocity)
            touching = _contacts(body, names)
            log.record(i, ball.name, touching)
            _roll_resist(ball, body, touching, world.gravity_m_s2, dt)
        space.step(dt)
    times = np.arange(steps) * dt
    tracks = {n: BodyTrack(n, times, *(a[:, k].copy() for k in range(5))) for n, a in data.items()}
    return Simulation(world, dt, tracks, detect_events(world, tracks, log, dt))


@lru_cache(maxsize=32)
def _simulate_cached(spec_json: str) -> Simulation:
    return simulate(build_world(SceneSpec.model_validate_json(spec_json)))


def simulate_spec(spec: SceneSpec) -> Simulation:
    """Simulates a `SceneSpec`, cached by its full content so later rounds reuse the run."""
    return _simulate_cached(json.dumps(spec.model_dump(mode="json"), sort_keys=True))


def _build_space(world: World) -> tuple[pymunk.Space, list[pymunk.Body], dict[int, str]]:
    space = pymunk.Space()
    space.gravity = (0.0, -world.gravity_m_s2)
    space.damping = world.damping
    space.iterations = 30
    space.collision_slop = 1e-4  # the default 0.1 is tuned for pixels, not metres
    names: dict[int, str] = {}
    for surface in world.surfaces:
        shape = pymunk.Poly(space.static_body, list(surface.polygon))
        mat = material(surface.material)
        shape.elasticity, shape.friction = mat.restitution, mat.friction
        space.add(shape)
        names[id(shape)] = surface.name
    bodies = [_add_ball(space, ball) for ball in world.balls]
    return space, bodies, names


def _add_ball(space: pymunk.Space, ball: Ball) -> pymunk.Body:
    mat = material(ball.material)
    mass = mat.density_kg_m3 * 4.0 / 3.0 * math.pi * ball.radius_m**3
    body = pymunk.Body(mass, 0.4 * mass * ball.radius_m**2)
    body.position = (ball.x, ball.y)
    body.velocity = (ball.vx, ball.vy)
    # A ball launched along a surface is rolling, not sliding.
    body.angular_velocity = -ball.vx / ball.radius_m
    shape = pymunk.Circle(body, ball.radius_m)
    shape.elasticity, shape.friction = mat.restitution, mat.friction
    space.add(body, shape)
    return body


def _contacts(body: pymunk.Body, names: dict[int, str]) -> dict[str, tuple[float, float]]:
    """Surfaces the body touches now, each with the contact normal (its sign is not used)."""
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
    """Rolling resistance: slow a touching ball by c_rr × (normal part of g), spin with it."""
    if not normals:
        return
    speed = body.velocity.length
    n_y = max(abs(n[1]) for n in normals.values())
    decel = material(ball.material).rolling_resistance * gravity * n_y
    if speed <= 0.0 or decel <= 0.0:
        return
    factor = max(0.0, speed - decel * dt) / speed
    body.velocity = body.velocity * factor
    body.angular_velocity *= factor

