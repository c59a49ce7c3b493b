"""The layout dict: a keyframe's machine-readable scene state, the stand-in's only view of motion.

Format (JSON-able, SI units, world y up, floor top at y = 0)::

    {"t": 1.25, "scene": "drop", "environment": "earth", "units": "m",
     "camera": {"width": 854, "height": 480, "px_per_m": 120.3, "origin_px": [427.0, 400.2]},
     "bodies": {"ball": {"x": 0.0, "y": 0.61, "angle": 0.0, "vx": 0.0, "vy": -4.1,
                         "radius_m": 0.08, "material": "rubber", "color": [214, 48, 49],
                         "px": [427.0, 326.8], "radius_px": 9.6, "shape": "ball"},
                "domino1": {"x": 0.0, "y": 0.12, "angle": -0.4, ..., "shape": "block",
                            "width_m": 0.035, "height_m": 0.24}}}

Every moving body is listed (balls and blocks), so a keyframe pins down the whole scene.
"""

from __future__ import annotations

from typing import Any

from tools.studio.bodies import Ball, Block
from tools.studio.camera import Camera
from tools.studio.simulate import Pose, Simulation


def layout_at(sim: Simulation, t: float, camera: Camera) -> dict[str, Any]:
    """Every body's pose at `t`, with what is needed to draw it and to place it in pixels."""
    bodies: dict[str, Any] = {}
    for body in sim.world.bodies:
        pose = sim.tracks[body.name].pose_at(t)
        u, v = camera.to_px(pose.x, pose.y)
        bodies[body.name] = {
            "x": pose.x, "y": pose.y, "angle": pose.angle, "vx": pose.vx, "vy": pose.vy,
            "material": body.material, "color": list(body.color), "px": [float(u), float(v)],
            **_shape(body, camera.px_per_m),
        }
    return {
        "t": float(t),
        "scene": sim.world.scene,  # a label: the bodies and what is done to them
        "environment": sim.world.environment,
        "units": "m",
        "camera": camera.as_dict(),
        "bodies": bodies,
    }


def poses_from_layout(layout: dict[str, Any]) -> dict[str, Pose]:
    """The body poses a layout pins down (velocities included when present)."""
    return {
        name: Pose(float(b["x"]), float(b["y"]), float(b.get("angle", 0.0)),
                   float(b.get("vx", 0.0)), float(b.get("vy", 0.0)))
        for name, b in layout["bodies"].items()
    }


def _shape(body: Ball | Block, px_per_m: float) -> dict[str, Any]:
    if isinstance(body, Ball):
        return {"shape": "ball", "radius_m": body.radius_m, "radius_px": body.radius_m * px_per_m}
    return {"shape": "block", "width_m": body.width_m, "height_m": body.height_m}
